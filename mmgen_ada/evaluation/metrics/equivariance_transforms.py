# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Image translations of the StyleGAN3 equivariance metrics (appendix E).

Each returns the transformed images and a 0/1 mask of the output pixels
whose value is fully determined by input pixels (the rest depends on what
lies outside the image and is excluded from the PSNR).
"""
import math
from typing import Tuple

import torch

Tensor = torch.Tensor
#: Lanczos window half-width of fractional translation (E.2: a = 3).
LANCZOS_A = 3


def lanczos(x: Tensor, a: int = LANCZOS_A) -> Tensor:
    """``sinc(x) * sinc(x / a)`` for ``|x| < a``, else 0 (normalised sinc)."""
    return torch.where(x.abs() < a,
                       torch.sinc(x) * torch.sinc(x / a), torch.zeros_like(x))


def integer_translate(x: Tensor, tx: float,
                      ty: float) -> Tuple[Tensor, Tensor]:
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
        out[:, :, max(iy, 0):h - max(-iy, 0), max(ix, 0):w - max(-ix, 0)] = src
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


# ------------------------------------------------------------- rotation (E.3)
#: Rotation filter settings: Lanczos a, kept half-width (input pixels),
#: FFT period half-width, upsampling factor.
ROT_A, ROT_AMAX, ROT_PERIOD, ROT_UP = 3, 6, 64, 4


def lanczos_window(x: Tensor, a: int) -> Tensor:
    """The window ``sinc(x / a)`` for ``|x| < a``, else 0."""
    return torch.where(x.abs() < a, torch.sinc(x / a), torch.zeros_like(x))


def rotation_matrix(angle: float) -> Tensor:
    """3x3 matrix ``[[cos, sin, 0], [-sin, cos, 0], [0, 0, 1]]``.

    As an image warp (the output at P reads the input at ``inverse @ P``;
    x right, y down, about the image centre) an angle of ``k pi / 2`` turns
    images as ``torch.rot90(x, k, dims=(2, 3))``.
    """
    c, s = math.cos(angle), math.sin(angle)
    return torch.tensor([[c, s, 0.], [-s, c, 0.], [0., 0., 1.]],
                        dtype=torch.float64)


def _circular_conv2d(a: Tensor, b: Tensor) -> Tensor:
    """Centred circular convolution of two centred (N, N) grids."""
    fa = torch.fft.fft2(torch.fft.ifftshift(a))
    fb = torch.fft.fft2(torch.fft.ifftshift(b))
    return torch.fft.fftshift(torch.fft.ifft2(fa * fb).real)


def rotation_filter(mat: Tensor,
                    up: int,
                    a: int = ROT_A,
                    amax: int = ROT_AMAX,
                    period: int = ROT_PERIOD) -> Tensor:
    """Low-pass filter of a band-limited affine resampling (E.3).

    On a grid of spacing ``1 / up`` input pixels: the convolution of the
    input's ideal low-pass ``sinc(x) sinc(y)`` with the output's, whose axes
    are those of ``mat`` (``sinc(x') sinc(y')``, ``(x', y') = mat (x, y)``),
    times the convolution of the matching Lanczos windows. Convolutions are
    circular over ``2 period`` pixels (FFT); the result is cut to
    ``|x|, |y| < amax`` and each of the ``up^2`` polyphase components is
    normalised to sum 1, so a constant image stays constant.

    Returns:
        Tensor: (L, L) float64, ``L = 2 amax up - 1``, centred.
    """
    n = 2 * period * up
    u = (torch.arange(n, dtype=torch.float64) - n // 2) / up
    yi, xi = torch.meshgrid(u, u, indexing='ij')
    m = mat[:2, :2].to(torch.float64)
    xo = m[0, 0] * xi + m[0, 1] * yi
    yo = m[1, 0] * xi + m[1, 1] * yi
    f = _circular_conv2d(
        torch.sinc(xi) * torch.sinc(yi),
        torch.sinc(xo) * torch.sinc(yo))
    w = _circular_conv2d(
        lanczos_window(xi, a) * lanczos_window(yi, a),
        lanczos_window(xo, a) * lanczos_window(yo, a))
    half = amax * up - 1
    c = n // 2
    f = (f * w)[c - half:c + half + 1, c - half:c + half + 1]
    sums = torch.zeros(up, up, dtype=f.dtype)
    for py in range(up):  # each phase (index mod up) sums to 1
        for px in range(up):
            sums[py, px] = f[py::up, px::up].sum()
    idx = torch.arange(f.shape[0]) % up
    f = f / sums[idx.view(-1, 1), idx.view(1, -1)]
    return f


def _filter_same(x: Tensor, f: Tensor) -> Tensor:
    """Depthwise 'same' 2-D filtering of (N, C, H, W) with an odd (L, L)."""
    n, ch, h, w = x.shape
    p = f.shape[0] // 2
    weight = f.flip(0, 1).to(x.dtype).expand(ch, 1, *f.shape)
    return torch.nn.functional.conv2d(
        torch.nn.functional.pad(x, [p, p, p, p]), weight, groups=ch)


def _sub_filter(f: Tensor, r: int, up: int) -> Tuple[Tensor, int, int]:
    """Taps ``g[m] = f[m up + r + p]`` (1-D index sets) of output phase r.

    Returns:
        tuple: indices into f, and the range ``m0 <= m <= m1``.
    """
    length = f.shape[0]
    p = length // 2
    m0 = -((r + p) // up)
    m1 = (length - 1 - r - p) // up
    idx = torch.arange(m0, m1 + 1) * up + r + p
    return idx, m0, m1


def _upsample(x: Tensor, f: Tensor, up: int) -> Tensor:
    """Zero-insert ``x`` (N, C, H, W) by ``up`` and convolve with f, done
    per output phase: ``fine[q up + r] = sum_m g_r[m] x[q - m]``.

    Returns:
        Tensor: (N, C, H up, W up); input pixel k lands on fine index k up.
    """
    n, ch, h, w = x.shape
    fine = x.new_zeros(n, ch, h * up, w * up)
    flat = x.reshape(n * ch, 1, h, w)
    for ry in range(up):
        iy, my0, my1 = _sub_filter(f, ry, up)
        for rx in range(up):
            ix, mx0, mx1 = _sub_filter(f, rx, up)
            g = f[iy][:, ix].flip(0, 1).to(x.dtype)  # correlation kernel
            padded = torch.nn.functional.pad(flat, [mx1, -mx0, my1, -my0])
            out = torch.nn.functional.conv2d(padded, g[None, None])
            fine[:, :, ry::up, rx::up] = out.view(n, ch, h, w)
    return fine


def fractional_rotation(x: Tensor, angle: float) -> Tuple[Tensor, Tensor]:
    """Band-limited rotation of images by ``angle`` radians (E.3, R_alpha).

    The images are upsampled 4x with :func:`rotation_filter` and sampled
    bilinearly at the rotated pixel centres (about the image centre, as
    :func:`rotation_matrix` describes). A pixel is valid when its sample
    point lies where the whole filter support covers input pixels.

    Args:
        x (Tensor): (N, C, H, W).
        angle (float): Radians.

    Returns:
        tuple[Tensor, Tensor]: Rotated images (dtype of ``x``) and mask.
    """
    n, ch, h, w = x.shape
    up = ROT_UP
    mat = rotation_matrix(angle)
    f = rotation_filter(mat, up)
    p = f.shape[0] // 2
    fine = _upsample(x.to(torch.float64), f.to(x.device), up)
    # Output pixel centres about the image centre, in input pixels.
    ys = torch.arange(h, dtype=torch.float64, device=x.device) + 0.5 - h / 2
    xs = torch.arange(w, dtype=torch.float64, device=x.device) + 0.5 - w / 2
    yo, xo = torch.meshgrid(ys, xs, indexing='ij')
    inv = torch.linalg.inv(mat[:2, :2]).to(x.device)
    xin = inv[0, 0] * xo + inv[0, 1] * yo
    yin = inv[1, 0] * xo + inv[1, 1] * yo
    # Fine index of input position X: input pixel k (centre k + 0.5 - W/2)
    # sits at fine index k * up.
    ax = (xin + w / 2 - 0.5) * up
    ay = (yin + h / 2 - 0.5) * up
    grid = torch.stack([(ax + 0.5) / (w * up) * 2 - 1,
                        (ay + 0.5) / (h * up) * 2 - 1],
                       dim=-1)
    out = torch.nn.functional.grid_sample(
        fine,
        grid.unsqueeze(0).expand(n, h, w, 2),
        mode='bilinear',
        padding_mode='zeros',
        align_corners=False)
    valid = ((ax >= p) & (ax <= (w - 1) * up - p) & (ay >= p) &
             (ay <= (h - 1) * up - p))
    mask = valid.to(x.dtype).expand(n, ch, h, w).contiguous()
    return out.to(x.dtype), mask


def fractional_pseudo_rotation(x: Tensor,
                               angle: float) -> Tuple[Tensor, Tensor]:
    """Filter images as a rotation by ``angle`` would, without rotating
    (E.3, R*_alpha): the :func:`rotation_filter` of ``-angle`` at the input
    sampling rate. Valid pixels are those the whole filter covers.

    Returns:
        tuple[Tensor, Tensor]: Filtered images and mask, (N, C, H, W).
    """
    f = rotation_filter(rotation_matrix(-angle), up=1)
    c = f.shape[0] // 2
    out = _filter_same(x.to(torch.float64), f.to(x.device))
    mask = torch.zeros_like(x)
    mask[:, :, c:x.shape[2] - c, c:x.shape[3] - c] = 1
    return out.to(x.dtype), mask
