# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The DiffAugment transforms with explicit per-sample parameters.

Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training",
NeurIPS 2020, Sec. 3 and Appendix: every transform is differentiable w.r.t.
the images, so it can sit in front of the discriminator for reals and fakes
alike. The random draws are made by :class:`DiffAugment`; these functions
only apply them, so each can be checked against a closed form.
"""
import torch
from torch import Tensor


def adjust_brightness(x: Tensor, shift: Tensor) -> Tensor:
    """``x + shift`` per sample.

    Args:
        x (Tensor): ``(N, C, H, W)`` images.
        shift (Tensor): ``(N,)`` additive offsets (the paper draws
            ``U(-0.5, 0.5)``).

    Returns:
        Tensor: ``(N, C, H, W)``.
    """
    return x + shift.to(x.dtype).view(-1, 1, 1, 1)


def adjust_saturation(x: Tensor, factor: Tensor) -> Tensor:
    """Scale each pixel's deviation from its mean over channels.

    ``out = (x - m) * factor + m`` with ``m`` the channel mean per pixel.

    Args:
        x (Tensor): ``(N, C, H, W)`` images.
        factor (Tensor): ``(N,)`` scales (the paper draws ``U(0, 2)``).

    Returns:
        Tensor: ``(N, C, H, W)``.
    """
    mean = x.mean(dim=1, keepdim=True)  # [N1HW]
    return (x - mean) * factor.to(x.dtype).view(-1, 1, 1, 1) + mean


def adjust_contrast(x: Tensor, factor: Tensor) -> Tensor:
    """Scale each image's deviation from its mean over C, H and W.

    Args:
        x (Tensor): ``(N, C, H, W)`` images.
        factor (Tensor): ``(N,)`` scales (the paper draws ``U(0.5, 1.5)``).

    Returns:
        Tensor: ``(N, C, H, W)``.
    """
    mean = x.mean(dim=(1, 2, 3), keepdim=True)  # [N111]
    return (x - mean) * factor.to(x.dtype).view(-1, 1, 1, 1) + mean


def translate(x: Tensor, shift_y: Tensor, shift_x: Tensor) -> Tensor:
    """Integer translation per sample with zero padding.

    ``out[n, :, i, j] = x[n, :, i - shift_y[n], j - shift_x[n]]`` where the
    source pixel lies inside the image, else 0.

    Args:
        x (Tensor): ``(N, C, H, W)`` images.
        shift_y (Tensor): ``(N,)`` integer row shifts.
        shift_x (Tensor): ``(N,)`` integer column shifts.

    Returns:
        Tensor: ``(N, C, H, W)``.
    """
    n, _, h, w = x.shape
    pad = int(max(shift_y.abs().max(), shift_x.abs().max(), 0)) if n else 0
    padded = torch.nn.functional.pad(x, [pad, pad, pad, pad])  # [NC(H+2p)..]
    rows = (torch.arange(h, device=x.device)[None] - shift_y.long().view(-1, 1)
            + pad)  # [NH]
    cols = (torch.arange(w, device=x.device)[None] - shift_x.long().view(-1, 1)
            + pad)  # [NW]
    batch = torch.arange(n, device=x.device).view(-1, 1, 1)
    out = padded[batch, :, rows[:, :, None], cols[:, None, :]]  # [NHWC]
    return out.permute(0, 3, 1, 2)


def cutout(x: Tensor, center_y: Tensor, center_x: Tensor, size_y: int,
           size_x: int) -> Tensor:
    """Zero a ``size_y x size_x`` rectangle per sample, clipped to the image.

    The rectangle covers rows ``[center_y - size_y // 2, center_y - size_y //
    2 + size_y)`` and likewise columns around ``center_x``.

    Args:
        x (Tensor): ``(N, C, H, W)`` images.
        center_y (Tensor): ``(N,)`` integer row of each rectangle's centre.
        center_x (Tensor): ``(N,)`` integer column of each rectangle's centre.
        size_y (int): Height of the rectangle in pixels.
        size_x (int): Width of the rectangle in pixels.

    Returns:
        Tensor: ``(N, C, H, W)``.
    """
    _, _, h, w = x.shape
    top = center_y.long().view(-1, 1) - size_y // 2  # [N1]
    left = center_x.long().view(-1, 1) - size_x // 2
    rows = torch.arange(h, device=x.device)[None] - top  # [NH]
    cols = torch.arange(w, device=x.device)[None] - left  # [NW]
    inside_y = (rows >= 0) & (rows < size_y)
    inside_x = (cols >= 0) & (cols < size_x)
    keep = ~(inside_y[:, :, None] & inside_x[:, None, :])  # [NHW]
    return x * keep[:, None].to(x.dtype)
