# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Image distances the projector minimises.

NVlabs' projector uses the LPIPS distance of a VGG16 TorchScript export
(``vgg16.pt``, a download). Which distance is used is decided by
:func:`build_projection_distance` and reported by the projector:

* ``'lpips'``: NVlabs' ``vgg16.pt`` given by path: exactly the reference
  distance, ``sum((lpips(x) - lpips(t))**2)`` on images in [0, 255]
  (area-downsampled to 256x256 when larger).
* ``'inception'``: :class:`InceptionPixelDistance`, the multi-scale pixel
  MSE below plus the mean squared difference of the 2048-d pool features of
  the FID Inception-v3 (the metrics' TorchScript weights, when installed).
* ``'pixel'``: :class:`MultiScalePixelDistance`, needs no weights.
"""
import os.path as osp
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

DISTANCES = ('auto', 'lpips', 'inception', 'pixel')


def _area_downsample_256(images: torch.Tensor) -> torch.Tensor:
    """NVlabs: images taller than 256 are area-resized to height 256 (the
    width keeps the aspect ratio: 256 for square images)."""
    height, width = images.shape[2:]
    if height > 256:
        images = F.interpolate(
            images, size=(256, width * 256 // height), mode='area')
    return images


class MultiScalePixelDistance(nn.Module):
    """Mean squared error over an image pyramid.

    ``sum_s mean((P_s(x) - P_s(t))**2)`` with images mapped from [0, 255] to
    [-1, 1], ``P_0`` the identity and ``P_{s+1}`` a 2x2 average pooling of
    ``P_s``, for all levels at least ``min_size`` pixels wide. The coarse
    levels weigh low frequencies (layout, colour) more than plain MSE does.

    Args:
        min_size (int): Smallest pyramid level. Defaults to 8.
    """

    name = 'pixel: multi-scale pixel MSE (no perceptual weights)'

    def __init__(self, min_size: int = 8) -> None:
        super().__init__()
        self.min_size = min_size
        self.target: Optional[torch.Tensor] = None

    def set_target(self, target: torch.Tensor) -> None:
        """Target images, float (1, C, H, W) in [0, 255]."""
        self.target = target / 127.5 - 1

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Distance of float images (1, C, H, W) in [0, 255] to the target."""
        x, t = images / 127.5 - 1, self.target
        dist = (x - t).square().mean()
        while x.shape[2] // 2 >= self.min_size and x.shape[3] // 2 >= \
                self.min_size:
            x, t = F.avg_pool2d(x, 2), F.avg_pool2d(t, 2)
            dist = dist + (x - t).square().mean()
        return dist


class InceptionPixelDistance(MultiScalePixelDistance):
    """Multi-scale pixel MSE + Inception-v3 pool-feature MSE.

    ``MultiScalePixelDistance(x, t) + feature_weight * mean((f(x) -
    f(t))**2)`` with ``f`` the 2048-d pool features of the FID Inception-v3
    TorchScript (inputs resized to 299x299 as the metrics do; grayscale
    repeated to RGB). Differentiable in ``x``.

    Args:
        weights_path (str, optional): TorchScript file; None = the one found
            by :func:`~mmgen_ada.evaluation.feature_extractors.
            find_inception_weights` without downloading.
        feature_weight (float): Weight of the feature term. Defaults to 1.
    """

    name = ('inception: multi-scale pixel MSE + FID Inception-v3 pool '
            'feature MSE')

    def __init__(self,
                 weights_path: Optional[str] = None,
                 feature_weight: float = 1.0) -> None:
        super().__init__()
        from mmgen_ada.evaluation.feature_extractors import (
            find_inception_weights, resize_like_tf)
        self._resize = resize_like_tf
        path = find_inception_weights(weights_path, url=None, download=False)
        net = torch.jit.load(path, map_location='cpu').eval()
        for param in net.parameters():
            param.requires_grad_(False)
        self.net = net
        self.nvlabs_wrapper = 'return_features' in str(net.forward.schema)
        self.feature_weight = feature_weight
        self.target_features: Optional[torch.Tensor] = None

    def features(self, images: torch.Tensor) -> torch.Tensor:
        if images.shape[1] == 1:
            images = images.repeat(1, 3, 1, 1)
        if self.nvlabs_wrapper:
            return self.net(images, return_features=True)
        return self.net((self._resize(images) - 128) / 128)

    def set_target(self, target: torch.Tensor) -> None:
        super().set_target(target)
        with torch.no_grad():
            self.target_features = self.features(target)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        feats = self.features(images)
        return super().forward(images) + self.feature_weight * (
            feats - self.target_features).square().mean()


class NVlabsLPIPSDistance(nn.Module):
    """The reference distance: LPIPS of NVlabs' VGG16 TorchScript export.

    Args:
        weights_path (str): Path of NVlabs' ``vgg16.pt``
            (``https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch/
            pretrained/metrics/vgg16.pt``).
    """

    name = 'lpips: NVlabs VGG16 LPIPS (reference distance)'

    def __init__(self, weights_path: str) -> None:
        super().__init__()
        if not osp.isfile(weights_path):
            raise FileNotFoundError(
                f'LPIPS weights {weights_path!r} do not exist; download '
                'NVlabs vgg16.pt or use another distance')
        self.net = torch.jit.load(weights_path, map_location='cpu').eval()
        self.target_features: Optional[torch.Tensor] = None

    def _lpips(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(
            _area_downsample_256(images),
            resize_images=False,
            return_lpips=True)

    def set_target(self, target: torch.Tensor) -> None:
        """Target images, float (1, 3, H, W) in [0, 255]."""
        with torch.no_grad():
            self.target_features = self._lpips(target)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return (self.target_features - self._lpips(images)).square().sum()


def build_projection_distance(
        kind: str = 'auto',
        lpips_weights: Optional[str] = None,
        inception_weights: Optional[str] = None) -> nn.Module:
    """Choose the projector's distance.

    ``'auto'``: ``'lpips'`` when ``lpips_weights`` is given, else
    ``'inception'`` when the Inception weights are installed (found without
    network access), else ``'pixel'``.

    Args:
        kind (str): One of ``'auto', 'lpips', 'inception', 'pixel'``.
        lpips_weights (str, optional): NVlabs ``vgg16.pt``.
        inception_weights (str, optional): FID Inception TorchScript file.

    Returns:
        nn.Module: Distance with ``set_target(t)``, ``forward(x)`` (images
        float (1, C, H, W) in [0, 255]) and a descriptive ``name``.
    """
    if kind not in DISTANCES:
        raise ValueError(f'distance must be one of {DISTANCES}, got {kind!r}')
    if kind == 'lpips' or (kind == 'auto' and lpips_weights is not None):
        if lpips_weights is None:
            raise ValueError("distance='lpips' needs the path of NVlabs' "
                             'vgg16.pt (lpips_weights / --lpips-weights)')
        return NVlabsLPIPSDistance(lpips_weights)
    if kind == 'inception':
        return InceptionPixelDistance(inception_weights)
    if kind == 'auto':
        try:
            return InceptionPixelDistance(inception_weights)
        except FileNotFoundError:
            pass
    return MultiScalePixelDistance()
