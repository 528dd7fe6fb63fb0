# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Convert state dicts between NVlabs StyleGAN2-ADA and mmgen-ada.

Our networks store the same raw parameters under the same names as
``stylegan2-ada-pytorch`` ``training/networks.py`` (``Generator`` with the
default 'skip' synthesis, ``Discriminator`` with the default 'resnet'
architecture or the cifar preset's 'orig'), with two differences:

* the FIR ``resample_filter`` buffers NVlabs stores in every block and conv
  layer are rebuilt from the config here (non-persistent buffers); the
  converter checks that official ones equal ``setup_filter(resample_filter)``;
* the discriminator head NVlabs calls ``b4`` is ``epilogue`` here.

Official pickles embed source code; load them with the official code, take
``G.state_dict()`` / ``D.state_dict()`` (or ``G_ema``) and convert those.
"""
import re
from collections import OrderedDict
from typing import Dict, Iterable, List, Mapping, Sequence

import torch

from mmgen_ada.ops import setup_filter

_G_PATTERNS = [
    r'mapping\.w_avg',
    r'mapping\.(embed|fc\d+)\.(weight|bias)',
    r'synthesis\.b\d+\.const',
    r'synthesis\.b\d+\.conv[01]\.(weight|bias|noise_strength|noise_const)',
    r'synthesis\.b\d+\.(conv[01]|torgb)\.affine\.(weight|bias)',
    r'synthesis\.b\d+\.torgb\.(weight|bias)',
]
_D_PATTERNS = [
    r'mapping\.(embed|fc\d+)\.(weight|bias)',
    r'b\d+\.(fromrgb|conv0|conv1)\.(weight|bias)',
    r'b\d+\.skip\.weight',
    r'b4\.(conv|fc|out)\.(weight|bias)',
]
# Official modules holding a resample_filter buffer (a block or a conv).
_G_FILTER_OWNERS = r'synthesis\.b\d+(\.conv[01])?'
_D_FILTER_OWNERS = r'(?!b4(\.|$))b\d+(\.(fromrgb|conv0|conv1|skip))?|b4\.conv'


def _check_keys(keys: Iterable[str], patterns: List[str], what: str) -> None:
    unknown = [
        k for k in keys if not any(re.fullmatch(p, k) for p in patterns)
    ]
    if unknown:
        raise ValueError(
            f'unexpected keys in the {what} state dict: {unknown}. Only the '
            'NVlabs StyleGAN2-ADA layout is supported (generator '
            "architecture='skip', discriminator architecture='resnet' or "
            "'orig'); "
            f'valid key patterns: {patterns}.')


def _strip_filters(state_dict: Mapping[str, torch.Tensor], owners: str,
                   resample_filter: Sequence[float],
                   what: str) -> Dict[str, torch.Tensor]:
    """Drop official ``*.resample_filter`` buffers after checking them."""
    expected = setup_filter(list(resample_filter))
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.endswith('.resample_filter') and re.fullmatch(
                owners, key[:-len('.resample_filter')]):
            if (value.shape != expected.shape or not torch.allclose(
                    value.float().cpu(), expected, atol=1e-7)):
                taps = list(resample_filter)
                raise ValueError(
                    f'{what} {key} is not setup_filter({taps}); pass the '
                    'resample_filter the weights were trained with. Got '
                    f'{value.tolist()}.')
            continue
        out[key] = value
    return out


def _add_filters(state_dict: Mapping[str, torch.Tensor], owners: str,
                 resample_filter: Sequence[float]) -> Dict[str, torch.Tensor]:
    """Insert official ``resample_filter`` buffers for every owner module.

    Each goes after the owner's own parameters (``weight``, ``bias``, ...)
    and before its other buffers and submodules, as in official state dicts.
    """
    f = setup_filter(list(resample_filter))
    own_params = ('weight', 'bias', 'noise_strength', 'const')
    owner_names = []
    for key in state_dict:
        parts = key.split('.')
        for n in range(1, len(parts)):
            prefix = '.'.join(parts[:n])
            if re.fullmatch(owners, prefix) and prefix not in owner_names:
                owner_names.append(prefix)
    out = OrderedDict()
    pending = list(owner_names)
    entered = set()
    for key, value in state_dict.items():
        for owner in list(pending):
            inside = key.startswith(owner + '.')
            if inside:
                entered.add(owner)
            if ((inside and key[len(owner) + 1:] not in own_params)
                    or (owner in entered and not inside)):
                out[f'{owner}.resample_filter'] = f.clone()
                pending.remove(owner)
        out[key] = value
    for owner in pending:
        out[f'{owner}.resample_filter'] = f.clone()
    return out


def convert_nvlabs_generator(
    state_dict: Mapping[str, torch.Tensor],
    resample_filter: Sequence[float] = (1, 3, 3, 1)
) -> Dict[str, torch.Tensor]:
    """Official ``Generator.state_dict()`` -> ``StyleGANv2Generator``'s.

    Args:
        state_dict (Mapping[str, Tensor]): Official generator state dict.
        resample_filter (Sequence[float]): Filter taps the weights were
            trained with. Defaults to (1, 3, 3, 1).

    Returns:
        dict[str, Tensor]: State dict for :class:`StyleGANv2Generator`.
    """
    out = _strip_filters(state_dict, _G_FILTER_OWNERS, resample_filter,
                         'generator')
    _check_keys(out, _G_PATTERNS, 'NVlabs generator')
    return out


def to_nvlabs_generator(
    state_dict: Mapping[str, torch.Tensor],
    resample_filter: Sequence[float] = (1, 3, 3, 1)
) -> Dict[str, torch.Tensor]:
    """``StyleGANv2Generator.state_dict()`` -> official ``Generator`` layout.

    Args:
        state_dict (Mapping[str, Tensor]): Our generator state dict.
        resample_filter (Sequence[float]): Filter taps of the generator.
            Defaults to (1, 3, 3, 1).

    Returns:
        dict[str, Tensor]: State dict loadable by NVlabs' ``Generator``.
    """
    _check_keys(state_dict, _G_PATTERNS, 'mmgen-ada generator')
    return _add_filters(state_dict, _G_FILTER_OWNERS, resample_filter)


def convert_nvlabs_discriminator(
    state_dict: Mapping[str, torch.Tensor],
    resample_filter: Sequence[float] = (1, 3, 3, 1)
) -> Dict[str, torch.Tensor]:
    """Official ``Discriminator.state_dict()`` -> ``StyleGAN2Discriminator``'s.

    Args:
        state_dict (Mapping[str, Tensor]): Official discriminator state dict.
        resample_filter (Sequence[float]): Filter taps the weights were
            trained with. Defaults to (1, 3, 3, 1).

    Returns:
        dict[str, Tensor]: State dict for :class:`StyleGAN2Discriminator`
        (``b4.*`` renamed to ``epilogue.*``).
    """
    out = _strip_filters(state_dict, _D_FILTER_OWNERS, resample_filter,
                         'discriminator')
    _check_keys(out, _D_PATTERNS, 'NVlabs discriminator')
    return OrderedDict(
        (re.sub(r'^b4\.', 'epilogue.', k), v) for k, v in out.items())


def to_nvlabs_discriminator(
    state_dict: Mapping[str, torch.Tensor],
    resample_filter: Sequence[float] = (1, 3, 3, 1)
) -> Dict[str, torch.Tensor]:
    """``StyleGAN2Discriminator.state_dict()`` -> official layout.

    Args:
        state_dict (Mapping[str, Tensor]): Our discriminator state dict.
        resample_filter (Sequence[float]): Filter taps of the discriminator.
            Defaults to (1, 3, 3, 1).

    Returns:
        dict[str, Tensor]: State dict loadable by NVlabs' ``Discriminator``.
    """
    if any(k.startswith('b4.') for k in state_dict):
        raise ValueError('got a b4.* key: this looks like an NVlabs '
                         'state dict already (ours names the head epilogue).')
    renamed = OrderedDict(
        (re.sub(r'^epilogue\.', 'b4.', k), v) for k, v in state_dict.items())
    _check_keys(renamed, _D_PATTERNS, 'mmgen-ada discriminator (epilogue '
                'renamed to b4)')
    return _add_filters(renamed, _D_FILTER_OWNERS, resample_filter)
