# Copyright (c) mmgen-ada contributors. All rights reserved.
"""MMagic's ``pretrained=dict(ckpt_path, prefix, map_location, strict)``."""
from typing import Optional

import torch.nn as nn
from mmengine.logging import print_log

from .mmagic_arguments import MMagicArgumentError

PRETRAINED_KEYS = ('ckpt_path', 'prefix', 'map_location', 'strict')


def load_pretrained(module: nn.Module, owner: str,
                    pretrained: Optional[dict]) -> None:
    """Load ``pretrained['ckpt_path']`` (its ``prefix.`` sub-dict) into
    ``module``, as MMagic's ``_load_pretrained_model``, but read with
    :func:`~mmgen_ada.engine.checkpoint.read_checkpoint` (nothing in the
    file is executed; NVlabs ``.pkl`` files are converted) and checked
    key by key: with ``strict=True`` (the default) every tensor must fit,
    else only the tensors that fit are loaded and the others logged.

    The checkpoint must be in this toolbox's layout (ours, or a converted
    NVlabs network); MMagic's own checkpoints name their layers
    differently and are refused with the keys that do not fit.

    Args:
        module (nn.Module): The generator or discriminator.
        owner (str): Its class name, for messages.
        pretrained (dict, optional): ``ckpt_path`` (required), ``prefix``
            (e.g. ``'generator_ema'``, default ``''``), ``map_location``
            (default ``'cpu'``), ``strict`` (default True). None: nothing.
    """
    if pretrained is None:
        return
    if not isinstance(pretrained, dict) or 'ckpt_path' not in pretrained:
        raise MMagicArgumentError(
            f'{owner}(pretrained={pretrained!r}): expected a dict with '
            f"'ckpt_path' (and optionally {list(PRETRAINED_KEYS[1:])})")
    unknown = sorted(set(pretrained) - set(PRETRAINED_KEYS))
    if unknown:
        raise MMagicArgumentError(
            f'{owner}: unknown pretrained key(s) {unknown}; valid keys are '
            f'{list(PRETRAINED_KEYS)}')
    # Imported here: the engine imports the models package.
    from mmgen_ada.engine.checkpoint import (load_state_dict_checked,
                                             read_checkpoint)
    path = str(pretrained['ckpt_path'])
    checkpoint = read_checkpoint(
        path, map_location=pretrained.get('map_location', 'cpu'))
    state_dict = checkpoint.get('state_dict', checkpoint)
    prefix = pretrained.get('prefix', '')
    if prefix:
        prefix = prefix.rstrip('.') + '.'
        state_dict = {
            k[len(prefix):]: v
            for k, v in state_dict.items() if k.startswith(prefix)
        }
        if not state_dict:
            raise MMagicArgumentError(
                f'{owner}(pretrained): {path} has no tensors under prefix '
                f'{prefix!r}')
    load_state_dict_checked(
        module,
        state_dict,
        f'{path} (prefix {prefix!r})',
        partial=not pretrained.get('strict', True))
    print_log(
        f'{owner}: loaded pretrained weights from {path}', logger='current')
