# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Improved precision and recall (Kynkaanniemi et al. 2019), as NVlabs."""
from typing import Dict, Optional

import numpy as np
import torch

from mmgen_ada.registry import METRICS
from .generative_metric import DEFAULT_CACHE_DIR, GenerativeMetric


def _distances(rows: torch.Tensor, cols: torch.Tensor,
               col_batch_size: int) -> torch.Tensor:
    """Euclidean distances (R, C), columns computed in batches."""
    return torch.cat([
        torch.cdist(rows.unsqueeze(0), batch.unsqueeze(0))[0]
        for batch in cols.split(col_batch_size)
    ],
                     dim=1)


def manifold_coverage(manifold: torch.Tensor,
                      probes: torch.Tensor,
                      nhood_size: int = 3,
                      row_batch_size: int = 10000,
                      col_batch_size: int = 10000) -> float:
    """Fraction of ``probes`` inside the k-NN manifold of ``manifold``.

    The manifold is the union of balls around each manifold point with
    radius the distance to its ``nhood_size``-th nearest other manifold
    point; a probe is inside if it lies within (<=) any ball.

    Args:
        manifold (Tensor): (M, D) features.
        probes (Tensor): (P, D) features.
        nhood_size (int): k. Defaults to 3.
        row_batch_size (int): Rows per distance block. Defaults to 10000.
        col_batch_size (int): Columns per distance block. Defaults to 10000.

    Returns:
        float: In [0, 1].
    """
    if manifold.shape[0] <= nhood_size:
        raise ValueError(f'The manifold needs more than nhood_size='
                         f'{nhood_size} points, got {manifold.shape[0]}.')
    # k + 1 because each point's smallest distance is to itself (0).
    radii = torch.cat([
        _distances(batch, manifold,
                   col_batch_size).kthvalue(nhood_size + 1, dim=1).values
        for batch in manifold.split(row_batch_size)
    ])
    inside = torch.cat([(_distances(batch, manifold, col_batch_size)
                         <= radii).any(dim=1)
                        for batch in probes.split(row_batch_size)])
    return float(inside.float().mean())


@METRICS.register_module()
class PrecisionAndRecall(GenerativeMetric):
    """Improved precision and recall with k-NN manifolds (NVlabs ``pr50k3``).

    Precision: the fraction of generated images inside the real manifold;
    recall: the fraction of real images inside the generated manifold.
    NVlabs measures it on VGG16 features (their ``vgg16.pt``); here it uses
    the configured ``feature_extractor`` (Inception by default, shared with
    FID/KID), so the numbers are comparable only with the same extractor.
    Distances are computed in float32 (NVlabs stores features in float16).

    Results ``<prefix>/precision`` and ``<prefix>/recall``; the prefix
    defaults to 'PR-Full' (or 'PR').

    Args:
        fake_nums (int): Generated images. Defaults to 50000.
        real_nums (int): Real images, -1 for all. Defaults to -1.
        nhood_size (int): k of the k-NN radii. Defaults to 3.
        row_batch_size (int): Rows per distance block. Defaults to 10000.
        col_batch_size (int): Columns per distance block. Defaults to 10000.
        device (str, optional): Where distances are computed. Defaults to
            None: 'cuda' when available, else 'cpu'.
        feature_extractor, sample_model, real_cache_dir, collect_device,
        prefix: See :class:`GenerativeMetric`.
        k (int, optional): MMagic's name of ``nhood_size``. Defaults to None.
        fake_key, real_key, need_cond_input, sample_kwargs: MMagic's
            arguments; see :class:`GenerativeMetric`.
        vgg16_script (str, optional): MMagic's VGG16 TorchScript. Not
            supported (an error): features come from ``feature_extractor``.
        vgg16_pkl (str, optional): MMagic's cached VGG16 features of the
            reals. Not supported (an error), for the same reason.
        auto_save (bool): MMagic's switch of the real-feature cache; False
            is ``real_cache_dir=None``. Defaults to True.
    """

    default_prefix = 'PR'

    def __init__(self,
                 fake_nums: int = 50000,
                 real_nums: int = -1,
                 nhood_size: int = 3,
                 row_batch_size: int = 10000,
                 col_batch_size: int = 10000,
                 device: Optional[str] = None,
                 feature_extractor: Optional[dict] = None,
                 sample_model: str = 'ema',
                 real_cache_dir: Optional[str] = DEFAULT_CACHE_DIR,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 k: Optional[int] = None,
                 fake_key: Optional[str] = None,
                 real_key: Optional[str] = 'gt_img',
                 need_cond_input: Optional[bool] = None,
                 sample_kwargs: Optional[dict] = None,
                 vgg16_script: Optional[str] = None,
                 vgg16_pkl: Optional[str] = None,
                 auto_save: bool = True) -> None:
        for arg, value in (('vgg16_script', vgg16_script), ('vgg16_pkl',
                                                            vgg16_pkl)):
            if value is not None:
                raise ValueError(
                    f'PrecisionAndRecall: {arg}={value!r} is not supported. '
                    'Features come from feature_extractor (the Inception '
                    'network by default, shared with FID/KID); the NVlabs '
                    'VGG16 is a TorchScript file whose code would run on '
                    'load, and its features are not cached here. Remove '
                    f'{arg}; scores are then on the extractor\'s features.')
        if k is not None:
            if nhood_size != 3 and nhood_size != k:
                raise ValueError(f'PrecisionAndRecall: k={k} and nhood_size='
                                 f'{nhood_size} disagree; give one of them.')
            nhood_size = k
        if not auto_save:
            real_cache_dir = None
        super().__init__(
            fake_nums=fake_nums,
            real_nums=real_nums,
            feature_extractor=feature_extractor,
            sample_model=sample_model,
            real_cache_dir=real_cache_dir,
            collect_device=collect_device,
            prefix=prefix,
            fake_key=fake_key,
            real_key=real_key,
            need_cond_input=need_cond_input,
            sample_kwargs=sample_kwargs)
        if nhood_size < 1:
            raise ValueError(f'nhood_size must be >= 1, got {nhood_size}.')
        self.nhood_size = nhood_size
        self.row_batch_size = row_batch_size
        self.col_batch_size = col_batch_size
        self.device = device

    def compute(self, real: Dict[str, np.ndarray],
                fake_feats: np.ndarray) -> Dict[str, float]:
        device = self.device or ('cuda'
                                 if torch.cuda.is_available() else 'cpu')
        reals = torch.as_tensor(
            real['features'], dtype=torch.float32, device=device)
        fakes = torch.as_tensor(fake_feats, dtype=torch.float32, device=device)
        kwargs = dict(
            nhood_size=self.nhood_size,
            row_batch_size=self.row_batch_size,
            col_batch_size=self.col_batch_size)
        return dict(
            precision=manifold_coverage(reals, fakes, **kwargs),
            recall=manifold_coverage(fakes, reals, **kwargs))
