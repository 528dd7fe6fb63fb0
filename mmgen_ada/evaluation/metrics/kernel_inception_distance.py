# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Kernel Inception Distance (Binkowski et al. 2018), as the NVlabs metric."""
from typing import Dict, Optional

import numpy as np

from mmgen_ada.registry import METRICS
from .generative_metric import DEFAULT_CACHE_DIR, GenerativeMetric
from .mmagic_metric_args import inception_extractor_cfg


def kernel_inception_distance(real_feats: np.ndarray,
                              fake_feats: np.ndarray,
                              num_subsets: int = 100,
                              max_subset_size: int = 1000,
                              seed: Optional[int] = 0) -> Dict[str, float]:
    """Unbiased MMD^2 with the cubic polynomial kernel, averaged over subsets.

    With ``k(x, y) = (x . y / d + 1)^3``, ``m = min(n_real, n_fake,
    max_subset_size)`` and, per subset, ``m`` fakes ``X`` and ``m`` reals
    ``Y`` drawn without replacement::

        t = [sum_{i != j} k(x_i, x_j) + k(y_i, y_j)] / (m (m - 1))
            - 2 sum_{i, j} k(x_i, y_j) / m^2

    the estimator of NVlabs ``metrics/kernel_inception_distance.py``; the
    result is the mean of ``t`` over subsets. Computed in float64.

    Args:
        real_feats (ndarray): (N_real, D).
        fake_feats (ndarray): (N_fake, D).
        num_subsets (int): Defaults to 100.
        max_subset_size (int): Defaults to 1000.
        seed (int, optional): Seed of the subset draws; None uses fresh
            entropy. Defaults to 0.

    Returns:
        dict: ``kid`` (mean over subsets) and ``kid_std`` (their standard
        deviation).
    """
    real = np.asarray(real_feats, dtype=np.float64)
    fake = np.asarray(fake_feats, dtype=np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f'Features must be (N, D) with equal D, got real '
                         f'{real.shape} and fake {fake.shape}.')
    d = real.shape[1]
    m = min(real.shape[0], fake.shape[0], max_subset_size)
    if m < 2:
        raise ValueError(f'KID needs subsets of at least 2, got {m}.')
    rng = np.random.default_rng(seed)
    values = np.empty(num_subsets)
    for i in range(num_subsets):
        x = fake[rng.choice(fake.shape[0], m, replace=False)]
        y = real[rng.choice(real.shape[0], m, replace=False)]
        kxx = (x @ x.T / d + 1)**3
        kyy = (y @ y.T / d + 1)**3
        kxy = (x @ y.T / d + 1)**3
        within = kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)
        values[i] = within / (m * (m - 1)) - 2 * kxy.sum() / m**2
    return dict(kid=float(values.mean()), kid_std=float(values.std()))


@METRICS.register_module()
class KernelInceptionDistance(GenerativeMetric):
    """KID between real images and ``fake_nums`` generated images.

    As NVlabs ``kid50k_full`` with the defaults. Results ``<prefix>/kid``
    and ``<prefix>/kid_std``; the prefix defaults to 'KID-Full' (or 'KID').

    Args:
        fake_nums (int): Generated images. Defaults to 50000.
        real_nums (int): Real images, -1 for all. Defaults to -1.
        num_subsets (int): Subsets averaged. Defaults to 100.
        max_subset_size (int): Largest subset. Defaults to 1000.
        seed (int, optional): Seed of the subset draws. Defaults to 0.
        feature_extractor, sample_model, real_cache_dir, collect_device,
        prefix: See :class:`GenerativeMetric`. The cache holds all real
            features (N, D).
        inception_style, inception_path: As for
            :class:`FrechetInceptionDistance`.
        inception_pkl, fake_key, real_key, need_cond_input, sample_kwargs:
            MMagic's arguments; see :class:`GenerativeMetric`. The
            ``inception_pkl`` file holds all real features
            (``raw_feature``).
    """

    default_prefix = 'KID'

    def __init__(self,
                 fake_nums: int = 50000,
                 real_nums: int = -1,
                 num_subsets: int = 100,
                 max_subset_size: int = 1000,
                 seed: Optional[int] = 0,
                 feature_extractor: Optional[dict] = None,
                 sample_model: str = 'ema',
                 real_cache_dir: Optional[str] = DEFAULT_CACHE_DIR,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 inception_style: str = 'StyleGAN',
                 inception_path: Optional[str] = None,
                 inception_pkl: Optional[str] = None,
                 fake_key: Optional[str] = None,
                 real_key: Optional[str] = 'gt_img',
                 need_cond_input: Optional[bool] = None,
                 sample_kwargs: Optional[dict] = None) -> None:
        super().__init__(
            fake_nums=fake_nums,
            real_nums=real_nums,
            feature_extractor=inception_extractor_cfg(
                type(self).__name__, inception_style, inception_path,
                feature_extractor),
            sample_model=sample_model,
            real_cache_dir=real_cache_dir,
            collect_device=collect_device,
            prefix=prefix,
            fake_key=fake_key,
            real_key=real_key,
            need_cond_input=need_cond_input,
            sample_kwargs=sample_kwargs,
            inception_pkl=inception_pkl)
        if num_subsets < 1 or max_subset_size < 2:
            raise ValueError('num_subsets must be >= 1 and max_subset_size '
                             f'>= 2, got {num_subsets} and {max_subset_size}.')
        self.num_subsets = num_subsets
        self.max_subset_size = max_subset_size
        self.seed = seed

    def compute(self, real: Dict[str, np.ndarray],
                fake_feats: np.ndarray) -> Dict[str, float]:
        return kernel_inception_distance(real['features'], fake_feats,
                                         self.num_subsets,
                                         self.max_subset_size, self.seed)
