# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Batched homogeneous transformation matrices for :class:`AugmentPipe`.

Every builder takes per-sample parameters of shape ``(N,)`` (tensors) and
returns a stack of matrices: ``(N, 3, 3)`` for 2-D pixel coordinates
``(x, y, 1)`` and ``(N, 4, 4)`` for homogeneous colours ``(r, g, b, 1)``.
Matrices act on column vectors, so ``A @ B`` applies ``B`` first.

2-D convention: ``x`` grows to the right (columns), ``y`` grows downwards
(rows), and a positive angle turns the ``x`` axis towards the ``y`` axis.
"""
import math

import torch

# Luma axis of the paper's colour transformations (Appendix B.1.3): the grey
# diagonal of RGB space, embedded in homogeneous coordinates.
LUMA_AXIS = (1 / math.sqrt(3), 1 / math.sqrt(3), 1 / math.sqrt(3), 0.)


def _assemble(rows: list) -> torch.Tensor:
    """Stack a nested list of ``(N,)`` tensors / floats into ``(N, R, C)``."""
    ref = next(e for row in rows for e in row if isinstance(e, torch.Tensor))
    out = ref.new_zeros(ref.shape + (len(rows), len(rows[0])))
    for i, row in enumerate(rows):
        for j, elem in enumerate(row):
            if isinstance(elem, torch.Tensor) or elem != 0:
                out[..., i, j] = elem
    return out


def translate2d(tx: torch.Tensor, ty: torch.Tensor) -> torch.Tensor:
    """Translation by ``(tx, ty)`` pixels.

    Args:
        tx (Tensor): Shift along x, shape ``(N,)``.
        ty (Tensor): Shift along y, shape ``(N,)``.

    Returns:
        Tensor: ``(N, 3, 3)``.
    """
    return _assemble([[1, 0, tx], [0, 1, ty], [0, 0, 1]])


def scale2d(sx: torch.Tensor, sy: torch.Tensor) -> torch.Tensor:
    """Scaling by ``sx`` along x and ``sy`` along y (about the origin).

    Args:
        sx (Tensor): Factor along x, shape ``(N,)``.
        sy (Tensor): Factor along y, shape ``(N,)``.

    Returns:
        Tensor: ``(N, 3, 3)``.
    """
    return _assemble([[sx, 0, 0], [0, sy, 0], [0, 0, 1]])


def rotate2d(theta: torch.Tensor) -> torch.Tensor:
    """Rotation by ``theta`` radians about the origin.

    Args:
        theta (Tensor): Angle in radians, shape ``(N,)``.

    Returns:
        Tensor: ``(N, 3, 3)``.
    """
    cos, sin = torch.cos(theta), torch.sin(theta)
    return _assemble([[cos, -sin, 0], [sin, cos, 0], [0, 0, 1]])


def translate3d(tx: torch.Tensor, ty: torch.Tensor,
                tz: torch.Tensor) -> torch.Tensor:
    """Homogeneous 3-D translation (adds ``(tx, ty, tz)`` to a colour).

    Args:
        tx, ty, tz (Tensor): Offsets, each of shape ``(N,)``.

    Returns:
        Tensor: ``(N, 4, 4)``.
    """
    return _assemble([[1, 0, 0, tx], [0, 1, 0, ty], [0, 0, 1, tz],
                      [0, 0, 0, 1]])


def scale3d(sx: torch.Tensor, sy: torch.Tensor,
            sz: torch.Tensor) -> torch.Tensor:
    """Homogeneous 3-D scaling about the origin.

    Args:
        sx, sy, sz (Tensor): Factors, each of shape ``(N,)``.

    Returns:
        Tensor: ``(N, 4, 4)``.
    """
    return _assemble([[sx, 0, 0, 0], [0, sy, 0, 0], [0, 0, sz, 0],
                      [0, 0, 0, 1]])


def rotate3d(axis: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Homogeneous rotation by ``theta`` about a unit ``axis`` (Rodrigues).

    ``R = cos(t) I + sin(t) [axis]_x + (1 - cos(t)) axis axis^T``.

    Args:
        axis (Tensor): Unit vector, shape ``(3,)`` or ``(4,)`` (the 4th
            homogeneous entry, if any, is ignored).
        theta (Tensor): Angle in radians, shape ``(N,)``.

    Returns:
        Tensor: ``(N, 4, 4)``.
    """
    ax, ay, az = (axis[0], axis[1], axis[2])
    cos, sin = torch.cos(theta), torch.sin(theta)
    one_minus_cos = 1 - cos
    return _assemble([
        [
            ax * ax * one_minus_cos + cos, ax * ay * one_minus_cos - az * sin,
            ax * az * one_minus_cos + ay * sin, 0
        ],
        [
            ay * ax * one_minus_cos + az * sin, ay * ay * one_minus_cos + cos,
            ay * az * one_minus_cos - ax * sin, 0
        ],
        [
            az * ax * one_minus_cos - ay * sin,
            az * ay * one_minus_cos + ax * sin, az * az * one_minus_cos + cos,
            0
        ],
        [0, 0, 0, 1],
    ])


def constant_translate2d(tx: float,
                         ty: float,
                         batch_size: int,
                         device: torch.device,
                         dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """:func:`translate2d` with Python-float offsets, repeated ``N`` times."""
    ones = torch.ones(batch_size, device=device, dtype=dtype)
    return translate2d(ones * tx, ones * ty)


def constant_scale2d(sx: float,
                     sy: float,
                     batch_size: int,
                     device: torch.device,
                     dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """:func:`scale2d` with Python-float factors, repeated ``N`` times."""
    ones = torch.ones(batch_size, device=device, dtype=dtype)
    return scale2d(ones * sx, ones * sy)


def rotate2d_quarter(k: torch.Tensor) -> torch.Tensor:
    """Rotation by ``k * 90`` degrees with exact integer entries.

    Args:
        k (Tensor): Number of quarter turns (integer-valued), shape ``(N,)``.

    Returns:
        Tensor: ``(N, 3, 3)``, equal to ``rotate2d(k * pi / 2)`` without the
        float rounding of ``cos(pi / 2)``.
    """
    k = torch.remainder(k, 4)
    cos = torch.where(k == 0, 1., torch.where(k == 2, -1., 0.)).to(k.dtype)
    sin = torch.where(k == 1, 1., torch.where(k == 3, -1., 0.)).to(k.dtype)
    return _assemble([[cos, -sin, 0], [sin, cos, 0], [0, 0, 1]])
