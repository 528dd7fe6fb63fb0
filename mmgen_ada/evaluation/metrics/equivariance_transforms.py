# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Image translations of the StyleGAN3 equivariance metrics (appendix E).

Each returns the transformed images and a 0/1 mask of the output pixels
whose value is fully determined by input pixels (the rest depends on what
lies outside the image and is excluded from the PSNR).
"""
from typing import Tuple

import math

import torch

Tensor = torch.Tensor
#: Lanczos window half-width of fractional translation (E.2: a = 3).
LANCZOS_A = 3


def lanczos(x: Tensor, a: int = LANCZOS_A) -> Tensor:
    """``sinc(x) * sinc(x / a)`` for ``|x| < a``, else 0 (normalised sinc)."""
    return torch.where(x.abs() < a,
                       torch.sinc(x) * torch.sinc(x / a),
                       torch.zeros_like(x))


def integer_translate(x: Tensor, tx: float, ty: float) -> Tuple[Tensor, Tensor]:
    """Translate images by ``round(tx W), round(ty H)`` pixels (E.1).

    Content moves right/down for positive shifts; uncovered pixels are 0 and
    masked out.

    Args:
        x (Tensor): (N, C, H, W).
        tx (float): Horizontal shift in image widths.
        ty (float): Vertical shift in image heights.

    Returns:
        tuple[Tensor, Tensor]: Translated images and mask, both (N, C, H, W).
    """
    _, _, h, w = x.shape
    ix, iy = int(round(float(tx) * w)), int(round(float(ty) * h))
    out = torch.zeros_like(x)
    mask = torch.zeros_like(x)
    if abs(ix) < w and abs(iy) < h:
        src = x[:, :, max(-iy, 0):h - max(iy, 0), max(-ix, 0):w - max(ix, 0)]
        out[:, :, max(iy, 0):h - max(-iy, 0),
            max(ix, 0):w - max(-ix, 0)] = src
        mask[:, :, max(iy, 0):h - max(-iy, 0), max(ix, 0):w - max(-ix, 0)] = 1
    return out, mask


def _interp_matrix(size: int, shift: float, a: int,
                   device: torch.device) -> Tuple[Tensor, Tensor]:
    """(size, size) Lanczos resampling matrix of a shift, and valid rows.

    Row ``j`` holds the weights ``L(j - shift - k)`` of input ``k``,
    normalised to sum 1 over the kernel's 2a taps; row ``j`` is valid when
    all its taps lie inside the image.
    """
    base = math.floor(shift)
    frac = shift - base
    j = torch.arange(size, device=device, dtype=torch.float64).view(-1, 1)
    k = torch.arange(size, device=device, dtype=torch.float64).view(1, -1)
    offset = j - base - k  # integer tap index m, weight L(m - frac)
    taps = torch.arange(-(a - 1), a + 1, device=device, dtype=torch.float64)
    total = lanczos(taps - frac, a).sum()
    inside = (offset >= -(a - 1)) & (offset <= a)
    weights = torch.where(inside, lanczos(offset - frac, a),
                          torch.zeros_like(offset)) / total
    rows = torch.arange(size, device=device)
    valid = (rows >= base + a) & (rows < size + base - (a - 1))
    return weights, valid


def fractional_translate(x: Tensor,
                         tx: float,
                         ty: float,
                         a: int = LANCZOS_A) -> Tuple[Tensor, Tensor]:
    """Translate images by a fraction of a pixel with a Lanczos-a filter (E.2).

    ``out[i, j] = sum_{k, l} L(i - ty H - k) L(j - tx W - l) x[k, l]``, each
    separable kernel normalised to unit sum; a pixel is valid when its whole
    2a x 2a support is inside the image.

    Args:
        x (Tensor): (N, C, H, W).
        tx (float): Horizontal shift in image widths.
        ty (float): Vertical shift in image heights.
        a (int): Lanczos window half-width. Defaults to 3.

    Returns:
        tuple[Tensor, Tensor]: Translated images (dtype of ``x``) and mask.
    """
    _, _, h, w = x.shape
    ay, valid_y = _interp_matrix(h, float(ty) * h, a, x.device)
    ax, valid_x = _interp_matrix(w, float(tx) * w, a, x.device)
    out = torch.einsum('ik,nckl,jl->ncij', ay, x.to(torch.float64), ax)
    mask = (valid_y.view(-1, 1) & valid_x.view(1, -1)).to(x.dtype)
    return out.to(x.dtype), mask.expand_as(x).contiguous()
