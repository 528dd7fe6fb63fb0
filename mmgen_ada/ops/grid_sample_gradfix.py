# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Bilinear ``grid_sample`` with working second derivatives.

Equal to ``F.grid_sample(input, grid, mode='bilinear', padding_mode='zeros',
align_corners=False)``. ADA's geometric augmentations resample images with
it, and R1 regularisation back-propagates through the augmentation twice.
Older PyTorch releases raise "derivative for grid_sampler_2d_backward is not
implemented" there, so the reference here writes bilinear sampling with
gathers and weights that autograd differentiates to any order. ``impl='auto'``
uses the native op instead when a one-off probe shows that this PyTorch
differentiates it twice.
"""
import torch
import torch.nn.functional as F
from mmengine.logging import print_log

#: Values accepted for ``impl``.
GRID_SAMPLE_IMPLS = ('auto', 'ref', 'torch')

_native_ok = None  # None until probed, then bool.


def native_double_backward_supported() -> bool:
    """Whether ``F.grid_sample`` supports double backward here (cached).

    Probes once with a tiny float64 sample, differentiating twice with
    respect to both the input and the grid; logs the result once.
    """
    global _native_ok
    if _native_ok is None:
        # Fixed inputs: drawing them would advance the global RNG, and
        # a resumed run must draw exactly what an uninterrupted one does.
        x = torch.linspace(-1, 1, 9, dtype=torch.float64).reshape(1, 1, 3, 3)
        x = x.cos().requires_grad_(True)
        g = torch.linspace(-0.45, 0.4, 8, dtype=torch.float64)
        g = g.reshape(1, 2, 2, 2).requires_grad_(True)
        try:
            # enable_grad: the first call may happen under torch.no_grad().
            with torch.enable_grad():
                y = _native(x, g)
                gx, gg = torch.autograd.grad(
                    y.square().sum(), (x, g), create_graph=True)
                torch.autograd.grad((gx.sum() + gg.sum()), (x, g))
        except RuntimeError as err:
            _native_ok = False
            print_log(
                'mmgen_ada.ops.grid_sample_gradfix: torch grid_sample has '
                f'no double backward ({err}); using the gather reference.',
                logger='current')
        else:
            _native_ok = True
            print_log(
                'mmgen_ada.ops.grid_sample_gradfix: torch grid_sample '
                'supports double backward; impl="auto" uses it.',
                logger='current')
    return _native_ok


def _native(input: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    return F.grid_sample(
        input,
        grid,
        mode='bilinear',
        padding_mode='zeros',
        align_corners=False)


def grid_sample(input: torch.Tensor,
                grid: torch.Tensor,
                impl: str = 'auto') -> torch.Tensor:
    """Bilinear sampling with zero padding and ``align_corners=False``.

    Args:
        input (Tensor): Images of shape (N, C, H, W).
        grid (Tensor): Sampling positions of shape (N, H_out, W_out, 2),
            ``(x, y)`` normalised so that -1 and 1 are the outer edges of the
            corner pixels; samples outside read zeros.
        impl (str): 'auto' (native op if it supports double backward in this
            PyTorch, else the reference), 'ref' (gather reference) or
            'torch' (native op). Defaults to 'auto'.

    Returns:
        Tensor: Shape (N, C, H_out, W_out), dtype of ``input``.
    """
    if impl not in GRID_SAMPLE_IMPLS:
        raise ValueError(
            f'impl must be one of {GRID_SAMPLE_IMPLS}, but got {impl!r}.')
    if input.ndim != 4 or grid.ndim != 4 or grid.shape[-1] != 2 \
            or grid.shape[0] != input.shape[0]:
        raise ValueError(
            'expected input (N, C, H, W) and grid (N, H_out, W_out, 2), got '
            f'{tuple(input.shape)} and {tuple(grid.shape)}.')
    if impl == 'torch' or (impl == 'auto'
                           and native_double_backward_supported()):
        return _native(input, grid)
    return _grid_sample_ref(input, grid)


def _grid_sample_ref(input: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """Bilinear sampling from gathers and weights (any-order gradients)."""
    n, c, h, w = input.shape
    _, h_out, w_out, _ = grid.shape
    grid = grid.to(input.dtype)
    # Unnormalise (align_corners=False): -1 -> -0.5, 1 -> size - 0.5.
    ix = ((grid[..., 0] + 1) * w - 1) / 2  # (N, H_out, W_out)
    iy = ((grid[..., 1] + 1) * h - 1) / 2
    # floor() has zero derivative, so gradients flow through the weights.
    x0 = ix.detach().floor()
    y0 = iy.detach().floor()
    wx1 = ix - x0
    wy1 = iy - y0
    wx0 = 1 - wx1
    wy0 = 1 - wy1

    flat = input.reshape(n, c, h * w)
    out = input.new_zeros(n, c, h_out * w_out)
    for xs, wx in ((x0, wx0), (x0 + 1, wx1)):
        for ys, wy in ((y0, wy0), (y0 + 1, wy1)):
            inside = (xs >= 0) & (xs <= w - 1) & (ys >= 0) & (ys <= h - 1)
            index = (ys.clamp(0, h - 1) * w + xs.clamp(0, w - 1)).long()
            index = index.reshape(n, 1, h_out * w_out).expand(n, c, -1)
            weight = (wx * wy * inside.to(input.dtype)).reshape(n, 1, -1)
            out = out + flat.gather(2, index) * weight
    return out.reshape(n, c, h_out, w_out)


def _reset_for_tests() -> None:
    """Forget the cached probe result (used by tests only)."""
    global _native_ok
    _native_ok = None


__all__ = ['grid_sample']
