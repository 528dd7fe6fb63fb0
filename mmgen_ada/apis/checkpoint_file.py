# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Official NVlabs network snapshots read as our checkpoints.

:func:`~mmgen_ada.engine.checkpoint.read_checkpoint`, the one reader of
checkpoint files, hands every pickle that is not a torch file to
:func:`read_nvlabs_snapshot`: the snapshot is read by the restricted
unpickler of :mod:`mmgen_ada.apis.nvlabs_pickle` (no pickled code is run) and
converted by :func:`~mmgen_ada.apis.nvlabs_checkpoint.convert_nvlabs_pickle`
into ``dict(state_dict=..., meta=...)`` whose ``meta['cfg']`` is the derived
config as plain data (``dict(default_scope=..., model=...)``), so nothing
read from the file is ever executed.
"""
import os.path as osp
import pickle
from typing import Any

from mmgen_ada.engine.checkpoint import CheckpointReadError
from .nvlabs_checkpoint import convert_nvlabs_pickle, nvlabs_model_cfg
from .nvlabs_pickle import load_nvlabs_pickle


def read_nvlabs_snapshot(path: str, map_location: Any = 'cpu') -> dict:
    """Read an official ``stylegan2-ada-pytorch`` / ``stylegan3`` ``.pkl``.

    Args:
        path (str): Local pickle file.
        map_location (str | torch.device, optional): Where to put the
            tensors; None keeps them on the CPU. Defaults to 'cpu'.

    Returns:
        dict: Our checkpoint of it; ``meta['cfg']`` is a plain config dict
        and ``meta['augment_p']`` the snapshot's ADA probability.

    Raises:
        CheckpointReadError: If the pickle is not an NVlabs snapshot that can
            be read without running code, or cannot be converted.
    """
    try:
        data = load_nvlabs_pickle(path)
    except pickle.UnpicklingError as e:
        raise CheckpointReadError(
            f'{path} is a pickle but not an NVlabs network snapshot that can '
            f'be read safely: {e}') from None
    except (ValueError, EOFError) as e:
        raise CheckpointReadError(
            f'{path} is a pickle but not an NVlabs network snapshot: '
            f'{e}') from None
    try:
        model_cfg = nvlabs_model_cfg(data)
        checkpoint = convert_nvlabs_pickle(data, source=osp.basename(path))
    except ValueError as e:
        raise CheckpointReadError(
            f'{path} is an NVlabs network snapshot mmgen-ada cannot convert: '
            f'{e}') from None
    checkpoint['meta']['cfg'] = dict(
        default_scope='mmgen_ada', model=model_cfg)
    if map_location is not None:
        checkpoint['state_dict'] = {
            k: v.to(map_location)
            for k, v in checkpoint['state_dict'].items()
        }
    return checkpoint
