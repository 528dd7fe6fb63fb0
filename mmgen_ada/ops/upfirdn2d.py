# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Upsample, FIR-filter and downsample batches of 2-D images (``upfirdn2d``).

Semantics follow NVlabs stylegan3 ``torch_utils/ops/upfirdn2d.py`` and
``scipy.signal.upfirdn``: for every channel, (1) upsample by inserting
``up - 1`` zeros after each pixel, (2) pad with zeros (negative padding crops),
(3) convolve with the FIR filter ``f`` keeping only outputs whose footprint
lies inside the padded image ("valid" mode; a true convolution, i.e. the
filter is flipped, unless ``flip_filter=True``), (4) keep every ``down``-th
pixel. The pure-PyTorch reference is built from differentiable torch ops
(depthwise ``conv2d``, or ``conv_transpose2d`` with stride ``up``, which
equals zero insertion followed by convolution without multiplying the
zeros), so it supports gradients of any order; on CUDA, ``impl='auto'`` uses
mmcv's compiled kernel when available.
"""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

from . import mmcv_kernels

Scaling = Union[int, Sequence[int]]
Padding = Union[int, Sequence[int]]


def parse_scaling(scaling: Scaling, name: str = 'scaling') -> Tuple[int, int]:
    """Parse an up/down factor ``int | (sx, sy)`` into ``(sx, sy)``.

    Args:
        scaling (int | Sequence[int]): One factor for both axes or ``(x, y)``.
        name (str): Argument name used in error messages.

    Returns:
        tuple[int, int]: ``(sx, sy)``, both >= 1.
    """
    if isinstance(scaling, int) and not isinstance(scaling, bool):
        sx = sy = scaling
    elif (isinstance(scaling, (list, tuple)) and len(scaling) == 2
          and all(isinstance(s, int) for s in scaling)):
        sx, sy = scaling
    else:
        raise ValueError(
            f'{name} must be an int or a pair of ints (x, y), got {scaling!r}.'
        )
    if sx < 1 or sy < 1:
        raise ValueError(f'{name} factors must be >= 1, got {scaling!r}.')
    return sx, sy


def parse_padding(padding: Padding) -> Tuple[int, int, int, int]:
    """Parse ``int | (px, py) | (px0, px1, py0, py1)`` into four ints.

    Args:
        padding (int | Sequence[int]): Padding (negative values crop).

    Returns:
        tuple[int, int, int, int]: ``(px0, px1, py0, py1)`` = (left, right,
        top, bottom).
    """
    if isinstance(padding, int) and not isinstance(padding, bool):
        return padding, padding, padding, padding
    if (isinstance(padding, (list, tuple))
            and all(isinstance(p, int) for p in padding)):
        if len(padding) == 2:
            px, py = padding
            return px, px, py, py
        if len(padding) == 4:
            px0, px1, py0, py1 = padding
            return px0, px1, py0, py1
    raise ValueError('padding must be an int, (px, py) or (px0, px1, py0, '
                     f'py1) of ints, got {padding!r}.')


def get_filter_size(f: Optional[torch.Tensor]) -> Tuple[int, int]:
    """Width and height of a filter: ``(fw, fh)``; ``(1, 1)`` for None."""
    if f is None:
        return 1, 1
    if not isinstance(f, torch.Tensor) or f.ndim not in (1, 2):
        raise ValueError('the filter must be None or a 1-D (separable) or '
                         f'2-D tensor, got {_describe(f)}.')
    return int(f.shape[-1]), int(f.shape[0])


def _describe(obj) -> str:
    if isinstance(obj, torch.Tensor):
        return f'a tensor of shape {tuple(obj.shape)}'
    return repr(obj)


def setup_filter(f,
                 device: torch.device = torch.device('cpu'),
                 normalize: bool = True,
                 flip_filter: bool = False,
                 gain: float = 1,
                 separable: Optional[bool] = None) -> torch.Tensor:
    """Build a float32 FIR filter for :func:`upfirdn2d`.

    Args:
        f (Tensor | array-like | float | None): Filter taps ``[taps]``, a 2-D
            filter ``[fh, fw]``, a scalar (impulse) or None (= ``[1]``).
        device (torch.device): Device of the result. Defaults to CPU.
        normalize (bool): Scale so that the (2-D) taps sum to 1, which keeps
            the DC gain at 1. Defaults to True.
        flip_filter (bool): Flip the result along every axis. Defaults to
            False.
        gain (float): Overall gain of the 2-D filter; a separable filter gets
            ``sqrt(gain)`` since it is applied once per axis. Defaults to 1.
        separable (bool | None): Return a separable 1-D filter; None means
            separable iff ``f`` is 1-D with at least 8 taps (as NVlabs).

    Returns:
        Tensor: float32 filter of shape ``(taps,)`` when separable, otherwise
        ``(fh, fw)`` (a 1-D input becomes its outer product).
    """
    if f is None:
        f = 1
    f = torch.as_tensor(f, dtype=torch.float32)
    if f.ndim not in (0, 1, 2) or f.numel() == 0:
        raise ValueError('f must be a scalar or a non-empty 1-D/2-D filter, '
                         f'got shape {tuple(f.shape)}.')
    if f.ndim == 0:
        f = f[None]
    if separable is None:
        separable = f.ndim == 1 and f.numel() >= 8
    if f.ndim == 1 and not separable:
        f = torch.outer(f, f)
    if f.ndim != (1 if separable else 2):
        raise ValueError('separable=True needs a 1-D filter, got shape '
                         f'{tuple(f.shape)}.')
    if normalize:
        f = f / f.sum()
    if flip_filter:
        f = f.flip(list(range(f.ndim)))
    f = f * (gain**(f.ndim / 2))
    return f.to(device=device)


def upfirdn2d(x: torch.Tensor,
              f: Optional[torch.Tensor],
              up: Scaling = 1,
              down: Scaling = 1,
              padding: Padding = 0,
              flip_filter: bool = False,
              gain: float = 1,
              impl: str = 'auto') -> torch.Tensor:
    """Pad, upsample, FIR-filter and downsample a batch of 2-D images.

    The output size along x is
    ``(W * upx + px0 + px1 - fw + downx) // downx`` (same along y).

    Args:
        x (Tensor): Input of shape (N, C, H, W), float16/32/64.
        f (Tensor | None): Filter of shape ``(fh, fw)``, a separable filter
            ``(taps,)`` applied along x then y, or None (identity).
        up (int | tuple[int, int]): Upsampling factor, or ``(upx, upy)``.
            Defaults to 1.
        down (int | tuple[int, int]): Downsampling factor, or
            ``(downx, downy)``. Defaults to 1.
        padding (int | tuple[int, ...]): Padding of the upsampled image,
            ``int``, ``(px, py)`` or ``(px0, px1, py0, py1)``; negative values
            crop. Defaults to 0.
        flip_filter (bool): False = convolution, True = correlation.
            Defaults to False.
        gain (float): Overall gain of the filter. Defaults to 1.
        impl (str): 'auto' (mmcv kernel on CUDA when available), 'ref' or
            'mmcv'. Defaults to 'auto'.

    Returns:
        Tensor: Shape (N, C, H_out, W_out), dtype of ``x``.
    """
    path = mmcv_kernels.resolve(impl, x)
    if path == 'mmcv':
        return mmcv_kernels.load().upfirdn2d(
            x,
            f,
            up=_as_mmcv_scaling(up),
            down=_as_mmcv_scaling(down),
            padding=list(parse_padding(padding)),
            flip_filter=flip_filter,
            gain=gain,
            impl='cuda')
    return _upfirdn2d_ref(x, f, up, down, padding, flip_filter, gain)


def _as_mmcv_scaling(scaling: Scaling) -> Union[int, list]:
    sx, sy = parse_scaling(scaling)
    return sx if sx == sy else [sx, sy]


def _upfirdn2d_ref(x: torch.Tensor, f: Optional[torch.Tensor], up: Scaling,
                   down: Scaling, padding: Padding, flip_filter: bool,
                   gain: float) -> torch.Tensor:
    """Pure-PyTorch :func:`upfirdn2d`, differentiable to any order."""
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        raise ValueError(
            f'x must be a 4-D tensor (N, C, H, W), got {_describe(x)}.')
    upx, upy = parse_scaling(up, 'up')
    downx, downy = parse_scaling(down, 'down')
    px0, px1, py0, py1 = parse_padding(padding)
    if f is None:
        f = torch.ones([1, 1], dtype=x.dtype, device=x.device)
    fw, fh = get_filter_size(f)
    _, _, h, w = x.shape
    if w * upx + px0 + px1 < fw or h * upy + py0 + py1 < fh:
        raise ValueError(
            f'the upsampled and padded image ({h * upy + py0 + py1}x'
            f'{w * upx + px0 + px1}) is smaller than the filter ({fh}x{fw}); '
            f'got input {h}x{w}, up={up!r}, padding={padding!r}.')

    f = f.to(x.dtype) * (gain**(f.ndim / 2))
    if upx == 1 and upy == 1:
        # Pad/crop, then correlate with the flipped filter (F.conv2d
        # correlates); keeping every down-th output is a strided conv.
        # The symmetric non-negative part of the padding goes to the conv
        # itself (no padded copy); F.pad handles the rest and the crops.
        sx = max(min(px0, px1), 0)
        sy = max(min(py0, py1), 0)
        if (px0 - sx, px1 - sx, py0 - sy, py1 - sy) != (0, 0, 0, 0):
            x = F.pad(x, [px0 - sx, px1 - sx, py0 - sy, py1 - sy])
        if not flip_filter:
            f = f.flip(list(range(f.ndim)))
        return _depthwise(
            F.conv2d, x, f, stride=(downx, downy), padding=(sx, sy))

    # Zero insertion + padding + "valid" convolution equals the *full*
    # convolution of the input computed by a transposed conv with stride up,
    # shifted by (filter size - 1 - padding): cheaper than convolving zeros.
    if flip_filter:
        f = f.flip(list(range(f.ndim)))
    x = _depthwise(F.conv_transpose2d, x, f, stride=(upx, upy))
    x = F.pad(x, [px0 - fw + 1, px1 + upx - fw, py0 - fh + 1, py1 + upy - fh])
    if downx > 1 or downy > 1:
        x = x[:, :, ::downy, ::downx]
    return x


def _depthwise(
    conv,
    x: torch.Tensor,
    f: torch.Tensor,
    stride: Tuple[int, int],
    padding: Tuple[int, int] = (0, 0)) -> torch.Tensor:
    """Per-channel ``conv`` (F.conv2d or F.conv_transpose2d) with ``f``.

    ``stride`` and ``padding`` are ``(x, y)``. A 2-D filter is one grouped
    conv; a separable 1-D filter runs along x and then along y.
    """
    c = x.shape[1]
    if f.ndim == 2:
        return conv(
            x,
            f[None, None].repeat(c, 1, 1, 1),
            stride=stride[::-1],
            padding=padding[::-1],
            groups=c)
    x = conv(
        x,
        f[None, None, None, :].repeat(c, 1, 1, 1),
        stride=(1, stride[0]),
        padding=(0, padding[0]),
        groups=c)
    return conv(
        x,
        f[None, None, :, None].repeat(c, 1, 1, 1),
        stride=(stride[1], 1),
        padding=(padding[1], 0),
        groups=c)


def filter2d(x: torch.Tensor,
             f: Optional[torch.Tensor],
             padding: Padding = 0,
             flip_filter: bool = False,
             gain: float = 1,
             impl: str = 'auto') -> torch.Tensor:
    """Filter images with a FIR filter, keeping their size.

    Args:
        x (Tensor): Input of shape (N, C, H, W).
        f (Tensor | None): Filter ``(fh, fw)``, ``(taps,)`` or None.
        padding (int | tuple[int, ...]): Extra padding on top of the
            size-preserving one (negative crops). Defaults to 0.
        flip_filter (bool): False = convolution. Defaults to False.
        gain (float): Overall gain. Defaults to 1.
        impl (str): 'auto', 'ref' or 'mmcv'. Defaults to 'auto'.

    Returns:
        Tensor: Shape (N, C, H + py0 + py1, W + px0 + px1).
    """
    px0, px1, py0, py1 = parse_padding(padding)
    fw, fh = get_filter_size(f)
    pad = [
        px0 + fw // 2, px1 + (fw - 1) // 2, py0 + fh // 2, py1 + (fh - 1) // 2
    ]
    return upfirdn2d(
        x, f, padding=pad, flip_filter=flip_filter, gain=gain, impl=impl)


def upsample2d(x: torch.Tensor,
               f: Optional[torch.Tensor],
               up: Scaling = 2,
               padding: Padding = 0,
               flip_filter: bool = False,
               gain: float = 1,
               impl: str = 'auto') -> torch.Tensor:
    """Upsample images by ``up`` with a FIR interpolation filter.

    The filter gain is multiplied by ``upx * upy`` to make up for the
    inserted zeros, and the padding is chosen so that the output is exactly
    ``(H * upy, W * upx)`` before the user ``padding``.

    Args:
        x (Tensor): Input of shape (N, C, H, W).
        f (Tensor | None): Filter ``(fh, fw)``, ``(taps,)`` or None.
        up (int | tuple[int, int]): Upsampling factor. Defaults to 2.
        padding (int | tuple[int, ...]): Extra padding of the output.
            Defaults to 0.
        flip_filter (bool): False = convolution. Defaults to False.
        gain (float): Overall gain. Defaults to 1.
        impl (str): 'auto', 'ref' or 'mmcv'. Defaults to 'auto'.

    Returns:
        Tensor: Shape (N, C, H * upy + py0 + py1, W * upx + px0 + px1).
    """
    upx, upy = parse_scaling(up, 'up')
    px0, px1, py0, py1 = parse_padding(padding)
    fw, fh = get_filter_size(f)
    pad = [
        px0 + (fw + upx - 1) // 2, px1 + (fw - upx) // 2,
        py0 + (fh + upy - 1) // 2, py1 + (fh - upy) // 2
    ]
    return upfirdn2d(
        x,
        f,
        up=up,
        padding=pad,
        flip_filter=flip_filter,
        gain=gain * upx * upy,
        impl=impl)


def downsample2d(x: torch.Tensor,
                 f: Optional[torch.Tensor],
                 down: Scaling = 2,
                 padding: Padding = 0,
                 flip_filter: bool = False,
                 gain: float = 1,
                 impl: str = 'auto') -> torch.Tensor:
    """Downsample images by ``down`` after FIR (anti-alias) filtering.

    Args:
        x (Tensor): Input of shape (N, C, H, W).
        f (Tensor | None): Filter ``(fh, fw)``, ``(taps,)`` or None.
        down (int | tuple[int, int]): Downsampling factor. Defaults to 2.
        padding (int | tuple[int, ...]): Extra padding of the input.
            Defaults to 0.
        flip_filter (bool): False = convolution. Defaults to False.
        gain (float): Overall gain. Defaults to 1.
        impl (str): 'auto', 'ref' or 'mmcv'. Defaults to 'auto'.

    Returns:
        Tensor: Shape (N, C, H // downy, W // downx) for zero ``padding`` and
        sizes divisible by ``down``.
    """
    downx, downy = parse_scaling(down, 'down')
    px0, px1, py0, py1 = parse_padding(padding)
    fw, fh = get_filter_size(f)
    pad = [
        px0 + (fw - downx + 1) // 2, px1 + (fw - downx) // 2,
        py0 + (fh - downy + 1) // 2, py1 + (fh - downy) // 2
    ]
    return upfirdn2d(
        x,
        f,
        down=down,
        padding=pad,
        flip_filter=flip_filter,
        gain=gain,
        impl=impl)


__all__ = [
    'setup_filter', 'upfirdn2d', 'filter2d', 'upsample2d', 'downsample2d'
]
