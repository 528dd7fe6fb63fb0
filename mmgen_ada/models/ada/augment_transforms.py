# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Execute drawn augmentation parameters on a batch of images.

The functions here are deterministic: :class:`AugmentPipe` draws the random
parameters, these apply them. All are differentiable with respect to the
images to any order (R1 is computed on augmented reals), and work for any
floating dtype (the filters are cast to the image dtype).
"""
import torch
import torch.nn.functional as F

from mmgen_ada.ops import (conv2d_gradfix, downsample2d, grid_sample_gradfix,
                           upsample2d)
from .augment_matrices import constant_scale2d, constant_translate2d


def _reflect_index(index: torch.Tensor, size: int) -> torch.Tensor:
    """Map integer positions onto ``[0, size)`` by mirroring at the edges.

    Same as ``F.pad(..., mode='reflect')`` (edge pixels not repeated),
    continued periodically for positions further out than ``size - 1``.
    """
    if size == 1:
        return torch.zeros_like(index)
    period = 2 * (size - 1)
    index = torch.remainder(index, period)
    return torch.where(index >= size, period - index, index)


def apply_blit(images: torch.Tensor, blit_inv: torch.Tensor) -> torch.Tensor:
    """Execute pixel-blitting transforms exactly, by copying pixels.

    Args:
        images (Tensor): ``(N, C, H, W)``.
        blit_inv (Tensor): ``(N, 3, 3)`` inverse transforms built from
            x-flips, quarter turns and integer translations (entries are
            integers), in the centred pixel coordinates of
            :func:`resample_geometric`. They must map pixel centres onto
            pixel centres: any of them on square images; on non-square ones
            flips, half turns and translations, not a single quarter turn.
            Source pixels outside the image are read from its mirror image
            (reflection without repeating the edge), as the padding of
            :func:`resample_geometric` does.

    Returns:
        Tensor: ``(N, C, H, W)``, a per-sample permutation of the pixels.
    """
    n, c, h, w = images.shape
    device = images.device
    cx, cy = (w - 1) / 2, (h - 1) / 2
    rows, cols = torch.meshgrid(
        torch.arange(h, device=device, dtype=torch.float64),
        torch.arange(w, device=device, dtype=torch.float64),
        indexing='ij')
    out_xy1 = torch.stack([
        cols.flatten() - cx,
        rows.flatten() - cy,
        torch.ones(h * w, device=device, dtype=torch.float64)
    ])  # [3, HW]
    src = blit_inv.to(torch.float64) @ out_xy1  # [N, 3, HW]
    src_col = _reflect_index(torch.round(src[:, 0] + cx).long(), w)
    src_row = _reflect_index(torch.round(src[:, 1] + cy).long(), h)
    index = (src_row * w + src_col)[:, None, :].expand(n, c, h * w)
    return images.reshape(n, c, h * w).gather(2, index).reshape(n, c, h, w)


def upsample_phase(lowpass: torch.Tensor) -> float:
    """Content offset of :func:`upsample2d` (``up=2``) in output pixels.

    ``upsample2d`` pads by ``(taps + 1) // 2`` in front, so for an input
    ramp it returns the ramp sampled at ``(m + phase - 0.5) / 2`` at output
    pixel ``m`` instead of the pixel-centre position ``(m - 0.5) / 2``,
    with ``phase = 0.5 + (taps - 1 - (taps + 1) // 2) - centroid`` and
    ``centroid = sum_k k f[k] / sum_k f[k]`` (the filter's delay at low
    frequencies). 0 for symmetric filters; 0.4017 for ``sym6``, which the
    reference code rounds to 0.5 (a 0.05 pixel offset of the rotation
    centre).

    Args:
        lowpass (Tensor): 1-D filter taps.

    Returns:
        float: ``phase``.
    """
    taps = lowpass.detach().double().cpu()
    centroid = float(
        (torch.arange(taps.numel(), dtype=torch.float64) * taps).sum() /
        taps.sum())
    size = taps.numel()
    return 0.5 + (size - 1 - (size + 1) // 2) - centroid


def resample_geometric(images: torch.Tensor, geom_inv: torch.Tensor,
                       lowpass: torch.Tensor) -> torch.Tensor:
    """Warp images by per-sample inverse affine transforms (App. B.2).

    Pads with reflection far enough to cover the transformed image corners,
    upsamples 2x with the wavelet low-pass ``lowpass``, samples bilinearly on
    the transformed grid and downsamples 2x with the time-reversed filter,
    which inverts the upsampling for the identity transform (orthonormal
    wavelet). The padding is one reflection at most (``W - 1`` columns,
    ``H - 1`` rows), as in the reference code; pixels whose source lies
    beyond it read zeros. That happens for transforms reaching further out,
    e.g. a quarter turn of an image more than about 2:1 (16x64: the outer 9
    columns of each side).

    Args:
        images (Tensor): ``(N, C, H, W)``.
        geom_inv (Tensor): ``(N, 3, 3)`` inverse homogeneous transforms
            mapping output pixel coordinates to input pixel coordinates, both
            in pixels relative to the image centre (x right, y down).
        lowpass (Tensor): Separable 1-D low-pass filter ``(taps,)`` with
            taps summing to 1 (:func:`mmgen_ada.ops.setup_filter` of the
            ``sym6`` wavelet).

    Returns:
        Tensor: ``(N, C, H, W)``.
    """
    n, c, h, w = images.shape
    device, dtype = images.device, images.dtype
    lowpass = lowpass.to(device=device, dtype=dtype)
    geom_inv = geom_inv.to(dtype)
    pad = lowpass.shape[0] // 4  # filter support in input pixels, each side

    # Reflect-pad by the extent of the transformed corners plus the filter
    # support, but never more than reflection allows (W - 1).
    cx, cy = (w - 1) / 2, (h - 1) / 2
    corners = torch.tensor(
        [[-cx, cx, cx, -cx], [-cy, -cy, cy, cy], [1., 1., 1., 1.]],
        device=device,
        dtype=dtype)  # [xyz, corner]
    src = geom_inv @ corners  # [N, xyz, corner]
    src_x, src_y = src[:, 0].flatten(), src[:, 1].flatten()
    margin = torch.stack([(-src_x).max() - cx, (-src_y).max() - cy,
                          src_x.max() - cx,
                          src_y.max() - cy]) + 2 * pad
    upper = torch.tensor([w - 1, h - 1, w - 1, h - 1],
                         device=device,
                         dtype=dtype)
    margin = torch.minimum(margin.clamp(min=0), upper).ceil()
    mx0, my0, mx1, my1 = (int(m) for m in margin.tolist())
    images = F.pad(images, [mx0, mx1, my0, my1], mode='reflect')
    # The padded image's centre moved by half the padding difference.
    geom_inv = constant_translate2d(
        (mx0 - mx1) / 2, (my0 - my1) / 2, n, device, dtype) @ geom_inv

    # 2x upsampling: pixel coordinates scale by 2 about the centre, and the
    # filter's delay moves the content by `phase` upsampled pixels; the
    # conjugation makes the transform act about the true image centre.
    images = upsample2d(images, lowpass, up=2)
    phase = upsample_phase(lowpass)
    scale_up = constant_scale2d(2, 2, n, device, dtype)
    scale_down = constant_scale2d(0.5, 0.5, n, device, dtype)
    geom_inv = scale_up @ geom_inv @ scale_down
    shift_neg = constant_translate2d(-phase, -phase, n, device, dtype)
    shift_pos = constant_translate2d(phase, phase, n, device, dtype)
    geom_inv = shift_neg @ geom_inv @ shift_pos

    # Output covers the image plus the filter support at 2x; convert both
    # ends to grid_sample's normalised coordinates (align_corners=False).
    out_h, out_w = (h + 2 * pad) * 2, (w + 2 * pad) * 2
    to_norm = constant_scale2d(2 / images.shape[3], 2 / images.shape[2], n,
                               device, dtype)
    from_norm = constant_scale2d(out_w / 2, out_h / 2, n, device, dtype)
    theta = (to_norm @ geom_inv @ from_norm)[:, :2, :]
    grid = F.affine_grid(theta, [n, c, out_h, out_w], align_corners=False)
    images = grid_sample_gradfix.grid_sample(images, grid)

    # Downsample with the time-reversed filter and crop the support margin.
    return downsample2d(
        images, lowpass, down=2, padding=-2 * pad, flip_filter=True)


def apply_color(images: torch.Tensor, color: torch.Tensor) -> torch.Tensor:
    """Apply per-sample homogeneous colour matrices (App. B.3).

    Args:
        images (Tensor): ``(N, C, H, W)`` with ``C`` 3 (RGB) or 1 (L). A
            grey image is treated as ``(l, l, l)`` and the transformed RGB
            values are averaged back to one channel.
        color (Tensor): ``(N, 4, 4)`` matrices acting on ``(r, g, b, 1)``.

    Returns:
        Tensor: ``(N, C, H, W)``.
    """
    n, c, h, w = images.shape
    color = color.to(images.dtype)
    flat = images.reshape(n, c, h * w)
    if c == 3:
        flat = color[:, :3, :3] @ flat + color[:, :3, 3:]
    elif c == 1:
        mean_rows = color[:, :3, :].mean(dim=1, keepdim=True)  # [N, 1, 4]
        flat = flat * mean_rows[:, :, :3].sum(
            dim=2, keepdim=True) + mean_rows[:, :, 3:]
    else:
        raise ValueError('Colour augmentations need RGB (3 channels) or L '
                         f'(1 channel) images, got {c} channels.')
    return flat.reshape(n, c, h, w)


def apply_band_filter(images: torch.Tensor, gains: torch.Tensor,
                      filter_bank: torch.Tensor) -> torch.Tensor:
    """Filter each image with ``gains @ filter_bank`` (App. B.4).

    The combined zero-phase filter is applied separably along x then y, on
    a reflection-padded image.

    Args:
        images (Tensor): ``(N, C, H, W)`` with ``H, W > taps // 2``.
        gains (Tensor): ``(N, num_bands)`` per-sample band gains.
        filter_bank (Tensor): ``(num_bands, taps)`` band filters (odd
            ``taps``), see :func:`band_filter_bank`.

    Returns:
        Tensor: ``(N, C, H, W)``.
    """
    n, c, h, w = images.shape
    dtype = images.dtype
    taps = gains.to(dtype) @ filter_bank.to(device=images.device, dtype=dtype)
    pad = filter_bank.shape[1] // 2
    if min(h, w) <= pad:
        raise ValueError(
            f'imgfilter needs images larger than {pad}x{pad} pixels (the '
            f'reflection padding of its {filter_bank.shape[1]}-tap filters), '
            f'got {h}x{w}.')
    taps = taps.repeat_interleave(c, dim=0)  # [N * C, taps], sample-major
    x = images.reshape(1, n * c, h, w)
    x = F.pad(x, [pad, pad, pad, pad], mode='reflect')
    x = conv2d_gradfix.conv2d(x, taps[:, None, None, :], groups=n * c)
    x = conv2d_gradfix.conv2d(x, taps[:, None, :, None], groups=n * c)
    return x.reshape(n, c, h, w)


def apply_cutout(images: torch.Tensor, size: torch.Tensor,
                 center: torch.Tensor) -> torch.Tensor:
    """Zero a centred rectangle per sample (cutout, App. B.5).

    A pixel is cut when its centre lies within ``size / 2`` of ``center``
    along both axes, all in units of the image width / height.

    Args:
        images (Tensor): ``(N, C, H, W)``.
        size (Tensor): ``(N,)`` rectangle side, relative to the image
            width (x) and height (y) (0 cuts nothing).
        center (Tensor): ``(N, 2)`` rectangle centre ``(x, y)`` in ``[0, 1]``.

    Returns:
        Tensor: ``(N, C, H, W)``.
    """
    n, c, h, w = images.shape
    device = images.device
    coord_x = (torch.arange(w, device=device) + 0.5) / w  # [W]
    coord_y = (torch.arange(h, device=device) + 0.5) / h  # [H]
    half = (size / 2).reshape(n, 1, 1, 1)
    keep_x = (coord_x.reshape(1, 1, 1, w) -
              center[:, 0].reshape(n, 1, 1, 1)).abs() >= half
    keep_y = (coord_y.reshape(1, 1, h, 1) -
              center[:, 1].reshape(n, 1, 1, 1)).abs() >= half
    return images * torch.logical_or(keep_x, keep_y).to(images.dtype)


__all__ = [
    'apply_blit', 'upsample_phase', 'resample_geometric', 'apply_color',
    'apply_band_filter', 'apply_cutout'
]
