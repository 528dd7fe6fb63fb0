# Copyright (c) mmgen-ada contributors. All rights reserved.
"""A tiny, weight-free feature extractor for tests. NOT for reporting."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmgen_ada.registry import MODELS


@MODELS.register_module()
class TinyTestFeatureExtractor(nn.Module):
    """Pooled pixels times a fixed seeded projection; for unit tests only.

    Scores computed with it have no perceptual meaning and must never be
    reported as FID/KID. It exists so tests can run metrics end to end
    without the 90 MB Inception network.

    Args:
        feature_dim (int): Output dimension. Defaults to 16.
        pool_size (int): Images are average-pooled to pool_size x pool_size
            before the projection. Defaults to 4.
        seed (int): Seed of the projection matrix. Defaults to 0.
    """

    def __init__(self,
                 feature_dim: int = 16,
                 pool_size: int = 4,
                 seed: int = 0) -> None:
        super().__init__()
        self.feature_dim = feature_dim
        self.pool_size = pool_size
        gen = torch.Generator().manual_seed(seed)
        weight = torch.randn(3 * pool_size**2, feature_dim, generator=gen)
        self.register_buffer('weight', weight)
        self.cache_name = f'tiny-test-{feature_dim}-{pool_size}-{seed}'

    @torch.no_grad()
    def forward(self, imgs: torch.Tensor) -> torch.Tensor:
        """Map uint8 images (N, 1|3, H, W) to float32 features (N, D)."""
        if imgs.dtype != torch.uint8 or imgs.ndim != 4 or \
                imgs.shape[1] not in (1, 3):
            raise ValueError(
                'TinyTestFeatureExtractor expects uint8 images '
                f'(N, 1|3, H, W), got dtype={imgs.dtype} '
                f'shape={tuple(imgs.shape)}.')
        if imgs.shape[1] == 1:
            imgs = imgs.repeat(1, 3, 1, 1)
        # float64 arithmetic rounded once to float32: the features do not
        # depend on the batch size or on BLAS kernel choice, so tests can
        # compare runs that batch the same images differently.
        x = F.adaptive_avg_pool2d(imgs.double() / 255, self.pool_size)
        return (x.flatten(1) @ self.weight.double()).float()
