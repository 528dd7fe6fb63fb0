# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Project an image into W (Karras et al. 2020, StyleGAN2 Sec. 5).

Follows NVlabs ``projector.py``: optimise one ``w`` (broadcast to all
layers) starting from the mean of 10k mapped latents, plus the per-layer
noise maps, with Adam, a cosine-ramped learning rate, a decaying Gaussian
perturbation of ``w`` (scaled by the spread of ``w``), and the
noise-autocorrelation regulariser over a pyramid of each noise map; noise
maps are renormalised to zero mean and unit variance after every step.
Only the distance differs when NVlabs' VGG16 LPIPS weights are unavailable
(see :mod:`.projection_distance`).
"""
import copy
from typing import Callable, Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmgen_ada.image_size import SizeArg, parse_image_size
from .inference import LabelsLike, make_labels, run_synthesis


def noise_regularization(noise_maps) -> torch.Tensor:
    """Squared autocorrelation of noise maps at shifts of one pixel.

    For each map and each level of its 2x2 average-pool pyramid (down to
    a shorter side of 8):
    ``mean(n * roll(n, 1, x))**2 + mean(n * roll(n, 1, y))**2``.

    Args:
        noise_maps (Iterable[Tensor]): Maps (H, W).

    Returns:
        Tensor: Scalar sum over maps and levels.
    """
    reg = torch.zeros([])
    for noise in noise_maps:
        noise = noise[None, None]  # [1, 1, H, W] for avg_pool2d
        while True:
            reg = reg + (noise * torch.roll(noise, 1, dims=3)).mean()**2
            reg = reg + (noise * torch.roll(noise, 1, dims=2)).mean()**2
            if min(noise.shape[2:]) <= 8:
                break
            noise = F.avg_pool2d(noise, kernel_size=2)
    return reg


def learning_rate(step: int, num_steps: int, initial_learning_rate: float,
                  lr_rampdown_length: float, lr_rampup_length: float) -> float:
    """NVlabs' projector schedule: linear ramp-up, cosine ramp-down."""
    t = step / num_steps
    ramp = min(1.0, (1.0 - t) / lr_rampdown_length)
    ramp = 0.5 - 0.5 * np.cos(ramp * np.pi)
    ramp = ramp * min(1.0, t / lr_rampup_length)
    return initial_learning_rate * ramp


def project(
    generator: nn.Module,
    target: torch.Tensor,
    distance: nn.Module,
    *,
    num_steps: int = 1000,
    w_avg_samples: int = 10000,
    initial_learning_rate: float = 0.1,
    initial_noise_factor: float = 0.05,
    lr_rampdown_length: float = 0.25,
    lr_rampup_length: float = 0.05,
    noise_ramp_length: float = 0.75,
    regularize_noise_weight: float = 1e5,
    labels: LabelsLike = None,
    callback: Optional[Callable[[int, float, float], None]] = None
) -> torch.Tensor:
    """Find ``ws`` whose image (const noise) reconstructs ``target``.

    Defaults are NVlabs'. Randomness (w perturbation, initial noise) comes
    from torch's global generator, w statistics from
    ``np.random.RandomState(123)`` as in the reference.

    Args:
        generator (nn.Module): StyleGAN2/3 generator (not modified: a copy
            is optimised).
        target (Tensor): Target image (C, H, W), values in [0, 255], the
            generator's resolution and channel count.
        distance (nn.Module): Distance with ``set_target`` and ``forward``
            (see :func:`~mmgen_ada.apis.build_projection_distance`).
        num_steps (int): Optimisation steps. Defaults to 1000.
        w_avg_samples (int): Latents for the w mean and spread. Defaults to
            10000.
        initial_learning_rate (float): Peak Adam lr. Defaults to 0.1.
        initial_noise_factor (float): Initial w perturbation, relative to
            the spread of w. Defaults to 0.05.
        lr_rampdown_length (float): Fraction of steps of the cosine
            ramp-down. Defaults to 0.25.
        lr_rampup_length (float): Fraction of steps of the ramp-up.
            Defaults to 0.05.
        noise_ramp_length (float): Fraction of steps over which the w
            perturbation decays (quadratically) to 0. Defaults to 0.75.
        regularize_noise_weight (float): Weight of
            :func:`noise_regularization`. Defaults to 1e5.
        labels: Class label for conditional generators (see
            :func:`~mmgen_ada.apis.make_labels`).
        callback (callable, optional): Called after every step with
            ``(step, dist, loss)``, step counted from 1.

    Returns:
        Tensor: ws after every step (num_steps, num_ws, style_channels); the
        last one is the projection.
    """
    size = (generator.out_channels,
            *parse_image_size(generator.out_size, 'generator.out_size'))
    if tuple(target.shape) != size:
        raise ValueError(f'target must have shape {size} (C, H, W) like the '
                         f'generator output, got {tuple(target.shape)}')
    if num_steps < 1:
        raise ValueError(f'num_steps must be >= 1, got {num_steps}')
    device = next(generator.parameters()).device
    G = copy.deepcopy(generator).eval().requires_grad_(False).to(device)
    cond_size = int(getattr(G, 'cond_size', 0) or 0)

    # Mean and spread of w.
    z_samples = np.random.RandomState(123).randn(w_avg_samples, G.noise_size)
    c = make_labels(labels, w_avg_samples, cond_size, device)
    with torch.no_grad():
        w_samples = G.mapping(
            torch.from_numpy(z_samples).to(device, torch.float32), c)
    w_samples = w_samples[:, :1, :].cpu().numpy().astype(np.float32)
    w_avg = np.mean(w_samples, axis=0, keepdims=True)  # [1, 1, C]
    w_std = (np.sum((w_samples - w_avg)**2) / w_avg_samples)**0.5

    noise_bufs = [
        buf for name, buf in G.synthesis.named_buffers()
        if 'noise_const' in name
    ]
    distance.set_target(target[None].to(device, torch.float32))

    w_opt = torch.tensor(
        w_avg, dtype=torch.float32, device=device, requires_grad=True)
    w_out = torch.zeros(
        [num_steps] + list(w_opt.shape[1:]),
        dtype=torch.float32,
        device=device)
    optimizer = torch.optim.Adam(
        [w_opt] + noise_bufs, betas=(0.9, 0.999), lr=initial_learning_rate)
    for buf in noise_bufs:
        buf[:] = torch.randn_like(buf)
        buf.requires_grad = True

    for step in range(num_steps):
        t = step / num_steps
        w_noise_scale = w_std * initial_noise_factor * max(
            0.0, 1.0 - t / noise_ramp_length)**2
        lr = learning_rate(step, num_steps, initial_learning_rate,
                           lr_rampdown_length, lr_rampup_length)
        for param_group in optimizer.param_groups:
            param_group['lr'] = lr

        w_noise = torch.randn_like(w_opt) * w_noise_scale
        ws = (w_opt + w_noise).repeat([1, G.num_ws, 1])
        synth = (run_synthesis(G, ws, 'const') + 1) * (255 / 2)
        dist = distance(synth)
        loss = dist + regularize_noise_weight * noise_regularization(
            noise_bufs).to(device)

        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        w_out[step] = w_opt.detach()[0]
        with torch.no_grad():
            for buf in noise_bufs:
                buf -= buf.mean()
                buf *= buf.square().mean().rsqrt()
        if callback is not None:
            callback(step + 1, float(dist.detach()), float(loss.detach()))
    return w_out.repeat([1, G.num_ws, 1])


def load_target_image(path: str,
                      size: SizeArg,
                      channels: int = 3) -> np.ndarray:
    """Read a target image as NVlabs' projector does.

    Centre-crop to a square (for a rectangular generator: the largest
    centred crop of its aspect ratio), resize to ``size`` with Lanczos, RGB
    (or grayscale when ``channels == 1``).

    Args:
        path (str): Image file.
        size (int | tuple[int, int]): Generator resolution, ``n`` or
            ``(H, W)``.
        channels (int): 3 (RGB) or 1 (grayscale). Defaults to 3.

    Returns:
        np.ndarray: uint8 (H, W, channels).
    """
    from PIL import Image
    if channels not in (1, 3):
        raise ValueError(f'channels must be 1 or 3, got {channels}')
    image = Image.open(path).convert('RGB' if channels == 3 else 'L')
    out_h, out_w = parse_image_size(size, 'size')
    w, h = image.size
    if out_h == out_w:
        cw = ch = min(w, h)
    elif w * out_h > h * out_w:  # wider than the target: crop columns
        cw, ch = h * out_w // out_h, h
    else:
        cw, ch = w, w * out_h // out_w
    left, top = (w - cw) // 2, (h - ch) // 2
    image = image.crop((left, top, left + cw, top + ch))
    image = image.resize((out_w, out_h), Image.LANCZOS)
    return np.array(image, dtype=np.uint8).reshape(out_h, out_w, channels)
