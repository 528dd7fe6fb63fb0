# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Find and read the two local weight files of LPIPS-VGG16.

LPIPS (Zhang et al. 2018) is a VGG16 trunk trained on ImageNet plus one
learned linear layer per tapped stage. Both are state dicts of tensors:

* the trunk: torchvision's ``vgg16-397923af.pth`` (keys ``features.N.*``);
* the linear layers: ``vgg.pth`` of LPIPS v0.1, shipped inside the PyPI
  package ``lpips`` (keys ``lin{k}.model.1.weight``, or ``lin{k}.weight``).

Nothing is downloaded and nothing in a file is executed: files are read
with ``torch.load(weights_only=True)``, which rebuilds tensors only.
"""
import os.path as osp
from importlib import metadata
from typing import Dict, Optional

import torch

#: torchvision's file name of the ImageNet VGG16 weights.
VGG16_FILE = 'vgg16-397923af.pth'
VGG16_URL = 'https://download.pytorch.org/models/' + VGG16_FILE
#: The PyPI distribution that ships the LPIPS linear weights.
LPIPS_DIST = 'lpips'
LPIPS_VERSION = '0.1.4'
LPIPS_FILE = 'lpips/weights/v0.1/vgg.pth'
LPIPS_INSTALL_HINT = f'pip install --no-deps {LPIPS_DIST}=={LPIPS_VERSION}'


def _default_vgg16_path() -> str:
    return osp.join(torch.hub.get_dir(), 'checkpoints', VGG16_FILE)


def _installed_lpips_path() -> Optional[str]:
    """``vgg.pth`` of an installed ``lpips`` (located, never imported)."""
    try:
        files = metadata.files(LPIPS_DIST)
    except metadata.PackageNotFoundError:
        return None
    for file in files or ():
        if str(file).replace('\\', '/') == LPIPS_FILE:
            path = str(file.locate())
            return path if osp.isfile(path) else None
    return None


def find_vgg16_weights(path: Optional[str] = None) -> str:
    """Local path of the VGG16 trunk weights.

    Args:
        path (str, optional): The file; None looks for torchvision's cached
            ``<torch.hub dir>/checkpoints/vgg16-397923af.pth``.

    Raises:
        FileNotFoundError: Naming the file looked for and how to get it.
    """
    candidate = osp.expanduser(path) if path else _default_vgg16_path()
    if osp.isfile(candidate):
        return candidate
    raise FileNotFoundError(
        f'LPIPS needs the ImageNet VGG16 weights, not found at '
        f'{candidate!r}. They are never downloaded at run time: download '
        f'{VGG16_URL} once and put it there, or give its path as '
        'vgg16_weights=... (a state dict with keys features.N.weight/bias).')


def find_lpips_weights(path: Optional[str] = None) -> str:
    """Local path of the LPIPS linear weights (``vgg.pth`` of LPIPS v0.1).

    Args:
        path (str, optional): The file; None looks in an installed ``lpips``
            distribution (found through its file list, not imported).

    Raises:
        FileNotFoundError: Naming what was looked for and how to get it.
    """
    if path:
        candidate = osp.expanduser(path)
        if osp.isfile(candidate):
            return candidate
        raise FileNotFoundError(
            f'lpips_weights={candidate!r} does not exist. Give the path of '
            f'LPIPS v0.1 vgg.pth, or set it to None to use the one shipped '
            f'with `{LPIPS_INSTALL_HINT}`.')
    found = _installed_lpips_path()
    if found is None:
        raise FileNotFoundError(
            'LPIPS linear weights (LPIPS v0.1 vgg.pth) not found. Install '
            f'them with `{LPIPS_INSTALL_HINT}` (the file is located, not '
            'imported), or give lpips_weights=<path to vgg.pth>.')
    return found


def read_state_dict(path: str, what: str) -> Dict[str, torch.Tensor]:
    """A state dict of tensors from ``path``, loaded with weights_only."""
    try:
        state = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # torch raises several types for bad files
        raise ValueError(
            f'{what} {path!r} cannot be read as a state dict of tensors '
            f'({type(err).__name__}: {err}). Re-download it; files that '
            'need code to load are refused.') from err
    if isinstance(state, dict) and 'state_dict' in state:
        state = state['state_dict']
    if not isinstance(state, dict) or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f'{what} {path!r} is not a state dict of tensors.')
    return state
