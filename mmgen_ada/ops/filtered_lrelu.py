# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Alias-free leaky ReLU of StyleGAN3 (``filtered_lrelu``).

Per channel: add the bias, upsample by ``up`` with the interpolation filter
``fu`` (gain ``up**2``, user ``padding`` applied here), apply the leaky ReLU
with ``gain``, ``slope`` and ``clamp``, then filter with ``fd`` and keep
every ``down``-th pixel. This is the composition of NVlabs stylegan3's
``_filtered_lrelu_ref``; the reference builds it from :func:`bias_act` and
:func:`upfirdn2d` (any-order gradients), and on CUDA ``impl='auto'`` uses
mmcv's fused kernel when available.
"""
import math
from typing import Optional

import torch

from . import mmcv_kernels
from .bias_act import bias_act
from .upfirdn2d import Padding, get_filter_size, parse_padding, upfirdn2d


def filtered_lrelu(x: torch.Tensor,
                   fu: Optional[torch.Tensor] = None,
                   fd: Optional[torch.Tensor] = None,
                   b: Optional[torch.Tensor] = None,
                   up: int = 1,
                   down: int = 1,
                   padding: Padding = 0,
                   gain: float = math.sqrt(2),
                   slope: float = 0.2,
                   clamp: Optional[float] = None,
                   flip_filter: bool = False,
                   impl: str = 'auto') -> torch.Tensor:
    """Bias, upsample, leaky ReLU, downsample: StyleGAN3's nonlinearity.

    The output width is ``(W * up + px0 + px1 - (fu_w - 1) - (fd_w - 1) +
    (down - 1)) // down`` (same for the height).

    Args:
        x (Tensor): Input of shape (N, C, H, W).
        fu (Tensor | None): Upsampling filter ``(fh, fw)`` or ``(taps,)``;
            None is the identity. Defaults to None.
        fd (Tensor | None): Downsampling filter; None is the identity.
            Defaults to None.
        b (Tensor | None): Bias of shape (C,). Defaults to None.
        up (int): Upsampling factor >= 1. Defaults to 1.
        down (int): Downsampling factor >= 1. Defaults to 1.
        padding (int | tuple[int, ...]): Padding of the upsampled image,
            ``int``, ``(px, py)`` or ``(px0, px1, py0, py1)``. Defaults to 0.
        gain (float): Gain of the leaky ReLU output, > 0. Defaults to
            sqrt(2).
        slope (float): Negative slope, >= 0. Defaults to 0.2.
        clamp (float | None): Clamp the activations to ``[-clamp, clamp]``
            (before downsampling); None disables. Defaults to None.
        flip_filter (bool): False = convolution. Defaults to False.
        impl (str): 'auto' (mmcv kernel on CUDA when available), 'ref' or
            'mmcv'. Defaults to 'auto'.

    Returns:
        Tensor: Shape (N, C, H_out, W_out), dtype of ``x``.
    """
    _check_args(x, b, up, down, gain, slope, clamp)
    if mmcv_kernels.resolve(impl, x) == 'mmcv':
        return mmcv_kernels.load().filtered_lrelu(
            x,
            filter_up=fu,
            filter_down=fd,
            bias=b,
            up=up,
            down=down,
            padding=list(parse_padding(padding)),
            gain=gain,
            slope=slope,
            clamp=clamp,
            flip_filter=flip_filter,
            use_custom_op=True)
    return _filtered_lrelu_ref(x, fu, fd, b, up, down, padding, gain, slope,
                               clamp, flip_filter)


def _check_args(x, b, up, down, gain, slope, clamp) -> None:
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        raise ValueError('x must be a 4-D tensor (N, C, H, W), got '
                         f'{getattr(x, "shape", type(x).__name__)}.')
    if b is not None and (b.ndim != 1 or b.shape[0] != x.shape[1]):
        raise ValueError(f'b must have shape ({x.shape[1]},), got '
                         f'{tuple(b.shape)}.')
    for name, value in (('up', up), ('down', down)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f'{name} must be an int >= 1, got {value!r}.')
    if not gain > 0:
        raise ValueError(f'gain must be > 0, got {gain!r}.')
    if not slope >= 0:
        raise ValueError(f'slope must be >= 0, got {slope!r}.')
    if clamp is not None and not clamp >= 0:
        raise ValueError(f'clamp must be None or >= 0, got {clamp!r}.')


def _filtered_lrelu_ref(x: torch.Tensor, fu: Optional[torch.Tensor],
                        fd: Optional[torch.Tensor], b: Optional[torch.Tensor],
                        up: int, down: int, padding: Padding, gain: float,
                        slope: float, clamp: Optional[float],
                        flip_filter: bool) -> torch.Tensor:
    """Composition of reference ops (arguments already validated)."""
    fu_w, fu_h = get_filter_size(fu)
    fd_w, fd_h = get_filter_size(fd)
    px0, px1, py0, py1 = parse_padding(padding)
    n, c, h, w = x.shape
    out_w = (w * up + px0 + px1 - (fu_w - 1) - (fd_w - 1) + (down - 1)) // down
    out_h = (h * up + py0 + py1 - (fu_h - 1) - (fd_h - 1) + (down - 1)) // down

    x = bias_act(x, b, impl='ref')
    x = upfirdn2d(
        x,
        fu,
        up=up,
        padding=(px0, px1, py0, py1),
        gain=up**2,
        flip_filter=flip_filter,
        impl='ref')
    x = bias_act(
        x, act='lrelu', alpha=slope, gain=gain, clamp=clamp, impl='ref')
    x = upfirdn2d(x, fd, down=down, flip_filter=flip_filter, impl='ref')
    assert x.shape == (n, c, out_h, out_w), (x.shape, (n, c, out_h, out_w))
    return x


__all__ = ['filtered_lrelu']
