# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Frechet Inception Distance (Heusel et al. 2017), as the NVlabs metric."""
import warnings
from typing import Dict, Optional, Tuple

import numpy as np
import scipy.linalg

from mmengine.logging import print_log

from mmgen_ada.registry import METRICS
from .generative_metric import DEFAULT_CACHE_DIR, GenerativeMetric
from .mmagic_metric_args import inception_extractor_cfg


def feature_mean_cov(feats: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of features (N, D), accumulated in float64.

    The covariance divides by N (maximum likelihood), as NVlabs'
    ``FeatureStats.get_mean_cov``; TTUR/pytorch-fid divide by N - 1.

    Returns:
        tuple: mean (D,) and covariance (D, D), float64.
    """
    x = np.asarray(feats, dtype=np.float64)
    mean = x.mean(axis=0)
    cov = x.T @ x / x.shape[0] - np.outer(mean, mean)
    return mean, cov


def sqrtm_product(sigma1: np.ndarray,
                  sigma2: np.ndarray,
                  eps: float = 1e-6) -> np.ndarray:
    """Real part of ``sqrtm(sigma1 @ sigma2)``, stable for singular inputs.

    ``scipy.linalg.sqrtm`` is tried first; if the result is not finite (a
    singular product), ``eps * I`` is added to both covariances and it is
    retried, as in the TTUR / pytorch-fid reference.

    Args:
        sigma1 (ndarray): Covariance (D, D).
        sigma2 (ndarray): Covariance (D, D).
        eps (float): Diagonal offset of the fallback. Defaults to 1e-6.

    Returns:
        ndarray: (D, D) float64.
    """
    with warnings.catch_warnings():
        # Singular products warn; the finiteness check below handles them.
        warnings.simplefilter('ignore', scipy.linalg.LinAlgWarning)
        covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
        if not np.isfinite(covmean).all():
            print_log(
                f'FID: sqrtm(sigma1 @ sigma2) is not finite; adding '
                f'{eps} to the covariance diagonals.',
                logger='current')
            offset = np.eye(sigma1.shape[0]) * eps
            covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        imag = np.abs(np.diagonal(covmean).imag).max()
        if imag > 1e-3:
            print_log(
                f'FID: sqrtm has an imaginary component of {imag:.3g} '
                '(numerical error); its real part is used.',
                logger='current')
        covmean = covmean.real
    return covmean


def frechet_distance(mu1: np.ndarray,
                     sigma1: np.ndarray,
                     mu2: np.ndarray,
                     sigma2: np.ndarray,
                     eps: float = 1e-6) -> Dict[str, float]:
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2).

    ``||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 sqrt(sigma1 sigma2))``.

    Returns:
        dict: ``fid`` and its two terms ``mean`` (the squared mean distance)
        and ``cov`` (the trace term).
    """
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or \
            sigma1.shape != (mu1.shape[0], ) * 2:
        raise ValueError(
            f'Mismatched statistics: mu1 {mu1.shape}, sigma1 {sigma1.shape}, '
            f'mu2 {mu2.shape}, sigma2 {sigma2.shape}.')
    diff = mu1 - mu2
    mean_term = float(diff @ diff)
    covmean = sqrtm_product(sigma1, sigma2, eps)
    cov_term = float(
        np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))
    return dict(fid=mean_term + cov_term, mean=mean_term, cov=cov_term)


@METRICS.register_module()
class FrechetInceptionDistance(GenerativeMetric):
    """FID between real images and ``fake_nums`` generated images.

    As NVlabs ``fid50k_full`` with the defaults ``fake_nums=50000``,
    ``real_nums=-1``: Inception pool features, float64 mean and covariance,
    the Frechet distance of the two Gaussians. Real mean and covariance are
    cached in an npz (see :class:`GenerativeMetric`).

    Results: ``<prefix>/fid`` and its terms ``<prefix>/mean``,
    ``<prefix>/cov``; the prefix defaults to 'FID-Full' (or 'FID' when
    ``real_nums`` is set).

    Args:
        fake_nums (int): Generated images. Defaults to 50000.
        real_nums (int): Real images, -1 for all. Defaults to -1.
        eps (float): Diagonal offset used only when the matrix square root
            is not finite. Defaults to 1e-6.
        feature_extractor, sample_model, real_cache_dir, collect_device,
        prefix: See :class:`GenerativeMetric`.
        inception_style (str): MMagic's choice of network: 'StyleGAN' (the
            default; the TorchScript Inception of
            :class:`InceptionV3TorchScript`). 'PyTorch' is an error.
        inception_path (str, optional): MMagic's Inception file or URL; the
            same as ``feature_extractor=dict(type='InceptionV3TorchScript',
            weights_path=...)`` (``url=...`` for an http(s) address).
        inception_pkl, fake_key, real_key, need_cond_input, sample_kwargs:
            MMagic's arguments; see :class:`GenerativeMetric`.
    """

    default_prefix = 'FID'

    def __init__(self,
                 fake_nums: int = 50000,
                 real_nums: int = -1,
                 eps: float = 1e-6,
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
        self.eps = eps

    @property
    def payload_kind(self) -> str:
        return 'mean-cov'

    def summarize_real(self, real_feats: np.ndarray) -> Dict[str, np.ndarray]:
        """Keep mean (D,), covariance (D, D) and count of the real features."""
        mean, cov = feature_mean_cov(real_feats)
        return dict(mean=mean, cov=cov, num=np.array(real_feats.shape[0]))

    def compute(self, real: Dict[str, np.ndarray],
                fake_feats: np.ndarray) -> Dict[str, float]:
        fake_mean, fake_cov = feature_mean_cov(fake_feats)
        return frechet_distance(fake_mean, fake_cov, real['mean'], real['cov'],
                                self.eps)
