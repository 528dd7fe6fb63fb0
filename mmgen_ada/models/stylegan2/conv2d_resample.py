# Copyright (c) mmgen-ada contributors. All rights reserved.
"""2-D convolution fused with FIR up- or downsampling (StyleGAN2 layers).

Definition (per spatial axis, ``*`` = full discrete convolution):
``conv2d_resample(x, w, f, up, padding)`` is
``conv(upfirdn2d(x, f, up=up, padding=p, gain=up**2), w)`` where ``p`` is the
user padding plus the FIR alignment padding of the up/downsampling filter
(``(fw + up - 1) // 2`` before, ``(fw - up) // 2`` after for ``up``;
``(fw - down + 1) // 2`` / ``(fw - down) // 2`` for ``down``), and with
``down`` the FIR-filtered result is decimated before/after the convolution.
These are the alignments of NVlabs' StyleGAN2-ADA, so trained weights keep
their meaning.

Because the FIR filter and the convolution are both linear shift-invariant
maps, their order can be swapped; the cheap orders used here are:

* up: a transposed convolution with stride ``up`` (zero insertion followed
  by a true convolution with the kernel), then the FIR filter. Writing the
  fallback as ``out[m] = (u * f * w)[m + kw - 1 + fw - 1 - p0]`` and the
  transposed form as ``out[m] = (u * w * f)[m + fw - 1 - a + t]`` (``t`` =
  transposed-conv padding) gives the FIR padding ``a = p0 - (kw - 1) + t``
  before and ``b = p1 - (kw - up) + t`` after.
* down: FIR filter (with padding), then a convolution with stride ``down``;
  for 1x1 kernels the filter also does the decimation.
"""
from typing import Optional, Sequence, Tuple, Union

import torch

from mmgen_ada.ops import conv2d_gradfix, upfirdn2d

Padding = Union[int, Sequence[int]]


def _filter_size(f: Optional[torch.Tensor]) -> Tuple[int, int]:
    """``(fw, fh)`` of a 1-D (separable) or 2-D filter; ``(1, 1)`` for None."""
    if f is None:
        return 1, 1
    return int(f.shape[-1]), int(f.shape[0])


def _padding4(padding: Padding) -> Tuple[int, int, int, int]:
    """Parse ``int | (px, py) | (px0, px1, py0, py1)`` into four ints."""
    if isinstance(padding, int):
        return padding, padding, padding, padding
    padding = tuple(int(p) for p in padding)
    if len(padding) == 2:
        return padding[0], padding[0], padding[1], padding[1]
    if len(padding) == 4:
        return padding
    raise ValueError('padding must be an int, (px, py) or (px0, px1, py0, '
                     f'py1), got {padding!r}.')


def _conv(x: torch.Tensor,
          w: torch.Tensor,
          stride: int = 1,
          padding: Tuple[int, int] = (0, 0),
          groups: int = 1,
          transpose: bool = False,
          flip_weight: bool = True) -> torch.Tensor:
    """(Transposed) convolution through ``conv2d_gradfix``.

    ``flip_weight=False`` flips the kernel first: correlation (what
    ``F.conv2d`` computes) then becomes a true convolution, and a true
    convolution (what ``conv_transpose2d`` computes) becomes a correlation.
    """
    if not flip_weight and (w.shape[2] > 1 or w.shape[3] > 1):
        w = w.flip([2, 3])
    if transpose:
        return conv2d_gradfix.conv_transpose2d(
            x, w, stride=stride, padding=padding, groups=groups)
    return conv2d_gradfix.conv2d(
        x, w, stride=stride, padding=padding, groups=groups)


def conv2d_resample(x: torch.Tensor,
                    w: torch.Tensor,
                    f: Optional[torch.Tensor] = None,
                    up: int = 1,
                    down: int = 1,
                    padding: Padding = 0,
                    groups: int = 1,
                    flip_weight: bool = True,
                    flip_filter: bool = False) -> torch.Tensor:
    """Convolve ``x`` with ``w``, optionally FIR-upsampling or downsampling.

    Args:
        x (Tensor): Input of shape (N, C_in, H, W).
        w (Tensor): Kernel of shape (C_out, C_in // groups, kh, kw), same
            dtype as ``x``.
        f (Tensor | None): Float32 FIR filter from ``setup_filter`` (1-D
            separable or 2-D), or None for no filtering. Defaults to None.
        up (int): Upsampling factor (>= 1). Defaults to 1.
        down (int): Downsampling factor (>= 1); ``up`` and ``down`` cannot
            both exceed 1. Defaults to 1.
        padding (int | Sequence[int]): Padding w.r.t. the upsampled image:
            ``int``, ``(px, py)`` or ``(px0, px1, py0, py1)``. Defaults to 0.
        groups (int): Convolution groups. Defaults to 1.
        flip_weight (bool): True = correlation (as ``F.conv2d``),
            False = true convolution. Defaults to True.
        flip_filter (bool): False = convolve with ``f``, True = correlate.
            Defaults to False.

    Returns:
        Tensor: Shape (N, C_out, H_out, W_out); with ``padding = kh // 2``
        and odd ``kh``: ``H_out = H * up`` or ``H // down``.
    """
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        raise ValueError(f'x must be a 4-D tensor (N, C, H, W), got {x!r}.')
    if not isinstance(w, torch.Tensor) or w.ndim != 4 or w.dtype != x.dtype:
        raise ValueError('w must be a 4-D tensor with the dtype of x '
                         f'({x.dtype}), got {getattr(w, "shape", w)!r}.')
    for name, value in (('up', up), ('down', down), ('groups', groups)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f'{name} must be an int >= 1, got {value!r}.')
    if up > 1 and down > 1:
        raise ValueError(
            f'up and down cannot both exceed 1, got up={up}, down={down}.')
    out_channels, in_per_group, kh, kw = w.shape
    fw, fh = _filter_size(f)
    px0, px1, py0, py1 = _padding4(padding)

    # Alignment padding of the resampling filter.
    if up > 1:
        px0, px1 = px0 + (fw + up - 1) // 2, px1 + (fw - up) // 2
        py0, py1 = py0 + (fh + up - 1) // 2, py1 + (fh - up) // 2
    if down > 1:
        px0, px1 = px0 + (fw - down + 1) // 2, px1 + (fw - down) // 2
        py0, py1 = py0 + (fh - down + 1) // 2, py1 + (fh - down) // 2
    pad = [px0, px1, py0, py1]

    if down > 1:
        if kh == 1 and kw == 1:  # decimate first: 1x1 conv on fewer pixels
            x = upfirdn2d(
                x, f, down=down, padding=pad, flip_filter=flip_filter)
            return _conv(x, w, groups=groups, flip_weight=flip_weight)
        x = upfirdn2d(x, f, padding=pad, flip_filter=flip_filter)
        return _conv(x, w, stride=down, groups=groups, flip_weight=flip_weight)

    if up > 1:
        if kh == 1 and kw == 1:  # 1x1 conv first, on fewer pixels
            x = _conv(x, w, groups=groups, flip_weight=flip_weight)
            return upfirdn2d(
                x, f, up=up, padding=pad, gain=up**2, flip_filter=flip_filter)
        # conv_transpose2d wants (C_in, C_out // groups, kh, kw).
        w = w.reshape(groups, out_channels // groups, in_per_group, kh, kw)
        w = w.transpose(1, 2).reshape(groups * in_per_group,
                                      out_channels // groups, kh, kw)
        ax0, ax1 = px0 - (kw - 1), px1 - (kw - up)
        ay0, ay1 = py0 - (kh - 1), py1 - (kh - up)
        # Let the transposed conv crop what the FIR step would crop anyway.
        tx = max(min(-ax0, -ax1), 0)
        ty = max(min(-ay0, -ay1), 0)
        x = _conv(
            x,
            w,
            stride=up,
            padding=(ty, tx),
            groups=groups,
            transpose=True,
            flip_weight=not flip_weight)
        return upfirdn2d(
            x,
            f,
            padding=[ax0 + tx, ax1 + tx, ay0 + ty, ay1 + ty],
            gain=up**2,
            flip_filter=flip_filter)

    if px0 == px1 and py0 == py1 and px0 >= 0 and py0 >= 0:
        return _conv(
            x, w, padding=(py0, px0), groups=groups, flip_weight=flip_weight)
    x = upfirdn2d(x, None, padding=pad)
    return _conv(x, w, groups=groups, flip_weight=flip_weight)
