# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Read any checkpoint file a user may pass: ours or an official NVlabs one.

:func:`read_checkpoint_file` looks at the first bytes of the file:

* a zip archive, or the legacy ``torch.save`` format (a pickle that starts
  with torch's magic number): an mmengine / mmgen-ada checkpoint, read with
  ``torch.load(weights_only=True)``;
* any other pickle: an official ``stylegan2-ada-pytorch`` / ``stylegan3``
  network snapshot, read by the restricted unpickler of
  :mod:`mmgen_ada.apis.nvlabs_pickle` (no pickled code is run) and converted
  by :func:`~mmgen_ada.apis.nvlabs_checkpoint.convert_nvlabs_pickle`;
* anything else, or a file either reader refuses: :class:`CheckpointFileError`
  naming the file and what it holds.

Both kinds come back as our checkpoint dict,
``dict(state_dict=..., meta=...)``; for a converted snapshot ``meta['cfg']``
is the derived config as plain data (``dict(default_scope=...,
model=...)``), so nothing read from the file is ever executed.
``mmgen_ada.engine.runner`` registers :func:`read_local_checkpoint_file` as
mmengine's local checkpoint loader, so ``load_from`` and ``tools/test.py``
take ``.pkl`` files too.
"""
import os.path as osp
import pickle
import re
from typing import Any, Optional, Union

import torch
from mmengine.runner import CheckpointLoader

from .nvlabs_checkpoint import convert_nvlabs_pickle, nvlabs_model_cfg
from .nvlabs_pickle import load_nvlabs_pickle

#: First bytes of a zip archive (``torch.save`` since torch 1.6).
ZIP_MAGIC = b'PK\x03\x04'
#: Pickle protocol opcode (``PROTO``), the first byte of pickles >= 2.
PICKLE_PROTO = b'\x80'
# torch's legacy format pickles MAGIC_NUMBER = 0x1950a86a20f9469cfc6c first,
# as a LONG1 opcode with 10 little-endian bytes after the 2-byte PROTO.
_LEGACY_TORCH_MAGIC = b'\x8a\x0a' + (0x1950a86a20f9469cfc6c).to_bytes(
    10, 'little')
_URL = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*://')


class CheckpointFileError(ValueError):
    """A file that is neither a checkpoint of ours nor an NVlabs snapshot we
    can read safely. The message names the file and what it holds."""


def sniff_checkpoint_format(path: str) -> str:
    """What kind of file ``path`` is, from its first bytes.

    Args:
        path (str): Local file.

    Returns:
        str: ``'torch-zip'``, ``'torch-legacy'``, ``'pickle'`` (a pickle
        that is not a torch file, e.g. an NVlabs snapshot) or ``'unknown'``.
    """
    with open(path, 'rb') as f:
        head = f.read(16)
    if head.startswith(ZIP_MAGIC):
        return 'torch-zip'
    if head.startswith(PICKLE_PROTO):
        if head[2:2 + len(_LEGACY_TORCH_MAGIC)] == _LEGACY_TORCH_MAGIC:
            return 'torch-legacy'
        return 'pickle'
    return 'unknown'


def _weights_only_refusal(
        path: str, kind: str,
        error: pickle.UnpicklingError) -> CheckpointFileError:
    # torch's message suggests weights_only=False; quote only the culprit.
    found = re.search(r'GLOBAL (\S+)', str(error))
    what = (f'objects of type {found.group(1)}'
            if found else 'pickled objects other than tensors and plain data')
    return CheckpointFileError(
        f'{path} is a torch checkpoint ({kind}) holding {what}. mmgen-ada '
        'reads only tensors and plain data from checkpoints, since '
        'unpickling anything else can run code from the file. Load it where '
        'you trust it and re-save the weights, e.g. '
        "torch.save(dict(state_dict=ckpt['state_dict']), 'clean.pth').")


def _read_torch(path: str, kind: str, map_location: Any) -> Any:
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        raise _weights_only_refusal(path, kind, e) from None
    except (RuntimeError, EOFError) as e:
        raise CheckpointFileError(
            f'{path} looks like a torch checkpoint ({kind}) but cannot be '
            f'read ({type(e).__name__}: {e}); is the file complete?') from e


def _read_nvlabs(path: str, map_location: Any) -> dict:
    try:
        data = load_nvlabs_pickle(path)
    except pickle.UnpicklingError as e:
        raise CheckpointFileError(
            f'{path} is a pickle but not an NVlabs network snapshot that can '
            f'be read safely: {e}') from None
    except (ValueError, EOFError) as e:
        raise CheckpointFileError(
            f'{path} is a pickle but not an NVlabs network snapshot: '
            f'{e}') from None
    try:
        model_cfg = nvlabs_model_cfg(data)
        checkpoint = convert_nvlabs_pickle(data, source=osp.basename(path))
    except ValueError as e:
        raise CheckpointFileError(
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


def read_checkpoint_file(path: str,
                         map_location: Optional[Union[str,
                                                      torch.device]] = 'cpu'
                         ) -> Any:
    """Read our checkpoint or an official NVlabs ``.pkl`` as our checkpoint.

    Args:
        path (str): Local file (``~`` is expanded). URLs and other remote
            schemes go through mmengine's ``CheckpointLoader``.
        map_location (str | torch.device, optional): As in ``torch.load``.
            Defaults to 'cpu'.

    Returns:
        Whatever ``torch.load`` returns for torch files (for our checkpoints
        ``dict(state_dict=..., meta=..., ...)``); for an NVlabs snapshot our
        checkpoint of it, whose ``meta['cfg']`` is a plain config dict and
        whose ``meta['augment_p']`` is the snapshot's ADA probability.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        CheckpointFileError: For any file that is neither, or holds objects
            that cannot be read without running code.
    """
    if _URL.match(path):
        return CheckpointLoader.load_checkpoint(path, map_location)
    return read_local_checkpoint_file(path, map_location)


def read_local_checkpoint_file(
        path: str,
        map_location: Optional[Union[str, torch.device]] = 'cpu') -> Any:
    """:func:`read_checkpoint_file` for local files only (mmengine's ``''``
    scheme loader, see ``mmgen_ada.engine.runner``)."""
    path = osp.expanduser(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file {path} does not exist')
    kind = sniff_checkpoint_format(path)
    if kind in ('torch-zip', 'torch-legacy'):
        return _read_torch(path, kind, map_location)
    if kind == 'pickle':
        return _read_nvlabs(path, map_location)
    with open(path, 'rb') as f:
        head = f.read(8)
    raise CheckpointFileError(
        f'{path} is not a checkpoint: it is neither a torch checkpoint (zip '
        f'or legacy torch.save) nor an NVlabs network pickle (it starts with '
        f'bytes {head!r}). Give a .pth written by mmgen-ada/mmengine or an '
        'official stylegan2-ada-pytorch/stylegan3 .pkl.')
