# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Perceptual path length (Karras et al. 2019, StyleGAN Sec. 4.1)."""
import logging
from typing import Dict, Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import print_log

from mmgen_ada.evaluation.feature_extractors.lpips_vgg16 import LPIPSVGG16
from mmgen_ada.evaluation.feature_extractors.lpips_weights import (
    find_lpips_weights, find_vgg16_weights)
from mmgen_ada.registry import METRICS
from .generator_metric import GeneratorMetric

SPACES = ('z', 'w')
SAMPLINGS = ('end', 'full')
#: Images larger than this are area-downsampled to it before LPIPS.
LPIPS_RESOLUTION = 256


def _unit(x: torch.Tensor) -> torch.Tensor:
    return x / x.norm(dim=-1, keepdim=True)


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation of the directions of ``a`` and ``b``.

    Args:
        a (Tensor): (N, D).
        b (Tensor): (N, D).
        t (Tensor): (N, 1) fractions; 0 gives ``a / |a|``, 1 ``b / |b|``.

    Returns:
        Tensor: (N, D) unit vectors at angle ``t * angle(a, b)`` from ``a``
        in the plane of ``a`` and ``b``.
    """
    a, b = _unit(a), _unit(b)
    cos = (a * b).sum(dim=-1, keepdim=True)
    angle = t * torch.acos(cos.clamp(-1, 1))
    ortho = _unit(b - cos * a)
    return _unit(a * torch.cos(angle) + ortho * torch.sin(angle))


def filtered_mean(dist: np.ndarray) -> float:
    """Mean of the values within the 1st-99th percentiles (StyleGAN PPL).

    The bounds are the 1st percentile rounded down and the 99th rounded up
    to sample values (``method='lower'``/``'higher'``); values equal to a
    bound are kept.
    """
    lo = np.percentile(dist, 1, method='lower')
    hi = np.percentile(dist, 99, method='higher')
    return float(dist[(dist >= lo) & (dist <= hi)].mean())


@METRICS.register_module()
class PerceptualPathLength(GeneratorMetric):
    """PPL: LPIPS distance between images at latents ``epsilon`` apart.

    For each sample, two latents ``z0, z1`` (and one label) are drawn and
    ``t`` is 0 ('end') or uniform in [0, 1] ('full'). In Z ('z') the path is
    the slerp of ``z0, z1``; in W ('w') the lerp of their mapped ``w``
    (StyleGAN2's ``ppl2_wend`` is space 'w', 'end', no crop). The images at
    ``t`` and ``t + epsilon`` are made with the constant noise buffers in
    float32, optionally cropped to the face region (rows 3/8-7/8, columns
    2/8-6/8 of the image, StyleGAN's crop), area-downsampled to 256 when
    larger, and the distance is ``LPIPS / epsilon**2``. The score is the mean
    over samples within the 1st-99th percentiles (:func:`filtered_mean`).

    LPIPS (:class:`LPIPSVGG16`) reads its weights from local files only; a
    missing file is reported when the metric is built (a warning) and is an
    error when it runs, naming the file and how to get it.

    Result: ``<prefix>/ppl_score`` (MMagic's name); prefix 'PPL'.

    Args:
        fake_nums (int): Number of latent pairs. Defaults to 50000.
        real_nums, fake_key, real_key, need_cond_input, sample_model,
        collect_device, prefix: See :class:`GeneratorMetric`. The order of
            the arguments is MMagic's.
        crop (bool): Crop to the face region. Defaults to True (MMagic).
        epsilon (float): Path step. Defaults to 1e-4.
        space (str): 'W'/'w' (default) or 'Z'/'z'.
        sampling (str): 'end' (default) or 'full'.
        latent_dim (int, optional): MMagic's z dimension; when given it must
            equal the generator's. Defaults to None.
        vgg16_weights (str, optional): VGG16 state dict (torchvision
            layout). Defaults to torchvision's cached file.
        lpips_weights (str, optional): LPIPS v0.1 ``vgg.pth``. Defaults to
            the file of an installed ``lpips`` package.
    """

    default_prefix = 'PPL'

    def __init__(self,
                 fake_nums: int = 50000,
                 real_nums: int = 0,
                 fake_key: Optional[str] = None,
                 real_key: Optional[str] = 'gt_img',
                 need_cond_input: Optional[bool] = None,
                 sample_model: str = 'ema',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 crop: bool = True,
                 epsilon: float = 1e-4,
                 space: str = 'W',
                 sampling: str = 'end',
                 latent_dim: Optional[int] = None,
                 vgg16_weights: Optional[str] = None,
                 lpips_weights: Optional[str] = None) -> None:
        super().__init__(
            fake_nums=fake_nums,
            real_nums=real_nums,
            sample_model=sample_model,
            collect_device=collect_device,
            prefix=prefix,
            fake_key=fake_key,
            real_key=real_key,
            need_cond_input=need_cond_input)
        if not isinstance(space, str) or space.lower() not in SPACES:
            raise ValueError(f"PerceptualPathLength: space must be 'W' or "
                             f"'Z' (either case), got {space!r}.")
        if sampling not in SAMPLINGS:
            raise ValueError(f'PerceptualPathLength: sampling must be one of '
                             f'{SAMPLINGS}, got {sampling!r}.')
        if not epsilon > 0:
            raise ValueError(f'PerceptualPathLength: epsilon must be > 0, '
                             f'got {epsilon!r}.')
        self.crop = crop
        self.epsilon = float(epsilon)
        self.space = space.lower()
        self.sampling = sampling
        self.latent_dim = latent_dim
        self.vgg16_weights = vgg16_weights
        self.lpips_weights = lpips_weights
        self._lpips: Optional[LPIPSVGG16] = None
        for find, path in ((find_vgg16_weights, vgg16_weights),
                           (find_lpips_weights, lpips_weights)):
            try:
                find(path)
            except FileNotFoundError as err:
                print_log(
                    f'PerceptualPathLength will fail when run: {err}',
                    logger='current',
                    level=logging.WARNING)

    def lpips(self, device: torch.device) -> LPIPSVGG16:
        """The LPIPS network, loaded from the local files on first use."""
        if self._lpips is None:
            self._lpips = LPIPSVGG16(self.vgg16_weights, self.lpips_weights)
        return self._lpips.to(device)

    def images(self, net: nn.Module, ws: torch.Tensor) -> torch.Tensor:
        """RGB images (N, C, h, w) that LPIPS compares, from ws."""
        img = net.synthesis(ws, noise_mode='const', force_fp32=True)
        if getattr(net, 'rgb2bgr', False):
            img = img.flip(1)  # LPIPS' VGG expects RGB
        full = img.shape[2]
        if self.crop:
            c = full // 8
            img = img[:, :, c * 3:c * 7, c * 2:c * 6]
        factor = full // LPIPS_RESOLUTION
        if factor > 1:
            img = F.avg_pool2d(img, factor)
        return img

    def sample_values(self, net: nn.Module, n: int, c: Optional[torch.Tensor],
                      device: torch.device) -> torch.Tensor:
        if self.latent_dim is not None and self.latent_dim != net.noise_size:
            raise ValueError(f'PerceptualPathLength: latent_dim='
                             f'{self.latent_dim} but the generator takes z of '
                             f'dimension {net.noise_size}.')
        z = torch.randn(2 * n, net.noise_size, device=device)
        if self.sampling == 'full':
            t = torch.rand(n, 1, device=device)
        else:
            t = torch.zeros(n, 1, device=device)
        cc = None if c is None else torch.cat([c, c])
        if self.space == 'z':
            z0, z1 = z[:n], z[n:]
            zt = torch.cat([slerp(z0, z1, t), slerp(z0, z1, t + self.epsilon)])
            ws = net.mapping(zt, cc)
        else:
            w = net.mapping(z, cc)  # [2N, num_ws, C]
            w0, w1 = w[:n], w[n:]
            tw = t.unsqueeze(2)
            ws = torch.cat([
                torch.lerp(w0, w1, tw),
                torch.lerp(w0, w1, tw + self.epsilon)
            ])
        img = self.images(net, ws)
        dist = self.lpips(device)(img[:n], img[n:]) / self.epsilon**2
        return dist.view(n, 1)

    def compute(self, rows: np.ndarray) -> Dict[str, float]:
        return dict(ppl_score=filtered_mean(rows[:, 0]))
