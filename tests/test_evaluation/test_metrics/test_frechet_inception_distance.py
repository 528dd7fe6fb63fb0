# Copyright (c) mmgen-ada contributors. All rights reserved.
import numpy as np
import pytest
import scipy.linalg
import torch

from mmgen_ada.evaluation.feature_extractors import TinyTestFeatureExtractor
from mmgen_ada.evaluation.metrics import FrechetInceptionDistance, to_uint8
from mmgen_ada.evaluation.metrics.frechet_inception_distance import (
    feature_mean_cov, frechet_distance, sqrtm_product)


def trace_sqrt_product_eigh(s1, s2):
    """Tr sqrt(s1 s2) = Tr sqrt(s1^1/2 s2 s1^1/2) via symmetric eigh (PSD)."""
    w, v = np.linalg.eigh(s1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = root1 @ s2 @ root1
    return np.sqrt(
        np.clip(np.linalg.eigvalsh((inner + inner.T) / 2), 0, None)).sum()


def random_cov(rng, d, scale=1.0):
    a = rng.normal(size=(d, d))
    return scale * (a @ a.T) / d + 1e-3 * np.eye(d)


def test_fid_diagonal_gaussians_closed_form():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    s1, s2 = rng.uniform(0.1, 3, 6), rng.uniform(0.1, 3, 6)
    expected = ((mu1 - mu2)**2).sum() + (s1 + s2 - 2 * np.sqrt(s1 * s2)).sum()
    out = frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2))
    assert out['fid'] == pytest.approx(expected, rel=1e-10)
    assert out['mean'] == pytest.approx(((mu1 - mu2)**2).sum(), rel=1e-12)
    assert out['fid'] == pytest.approx(out['mean'] + out['cov'], rel=1e-12)


def test_fid_full_covariances_match_eigh_formula():
    rng = np.random.default_rng(1)
    d = 8
    s1, s2 = random_cov(rng, d), random_cov(rng, d, 2.0)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    expected = ((mu1 - mu2)**2).sum() + np.trace(s1) + np.trace(s2) \
        - 2 * trace_sqrt_product_eigh(s1, s2)
    assert frechet_distance(mu1, s1, mu2, s2)['fid'] == pytest.approx(
        expected, rel=1e-8)


def test_fid_of_identical_statistics_is_zero():
    rng = np.random.default_rng(2)
    feats = rng.normal(size=(200, 10)) @ rng.normal(size=(10, 10))
    mu, sigma = feature_mean_cov(feats)
    assert abs(frechet_distance(mu, sigma, mu, sigma)['fid']) < 1e-8


def test_feature_mean_cov_is_population_covariance():
    rng = np.random.default_rng(3)
    feats = rng.normal(size=(50, 4)).astype(np.float32)
    mu, sigma = feature_mean_cov(feats)
    np.testing.assert_allclose(mu, feats.astype(np.float64).mean(0), 1e-12)
    np.testing.assert_allclose(
        sigma,
        np.cov(feats.astype(np.float64), rowvar=False, bias=True),
        rtol=1e-9,
        atol=1e-12)


def test_sqrtm_of_ill_conditioned_covariances_finite_and_correct():
    rng = np.random.default_rng(4)
    d = 32
    # Rank-deficient (fewer samples than dims) and eigenvalues over 12
    # decades: what real Inception covariances on small sets look like.
    x = rng.normal(size=(20, d)) * np.logspace(0, -6, d)
    s1 = np.cov(x, rowvar=False, bias=True)
    s2 = random_cov(rng, d) * np.logspace(0, -6, d)[:, None] \
        * np.logspace(0, -6, d)[None]
    covmean = sqrtm_product(s1, s2)
    assert np.isfinite(covmean).all() and not np.iscomplexobj(covmean)
    np.testing.assert_allclose(
        np.trace(covmean), trace_sqrt_product_eigh(s1, s2), rtol=1e-5)
    # It is a square root of the product, as scipy's would be.
    np.testing.assert_allclose(covmean @ covmean, s1 @ s2, atol=1e-8)


def test_sqrtm_fallback_adds_eps_when_not_finite(monkeypatch):
    real_sqrtm = scipy.linalg.sqrtm
    seen = []

    def flaky_sqrtm(a):
        seen.append(a.copy())
        if len(seen) == 1:
            return np.full_like(a, np.nan)
        return real_sqrtm(a)

    monkeypatch.setattr(scipy.linalg, 'sqrtm', flaky_sqrtm)
    s1, s2 = np.diag([1.0, 0.0]), np.diag([0.0, 4.0])
    covmean = sqrtm_product(s1, s2, eps=1e-2)
    assert len(seen) == 2
    expected_arg = (s1 + 1e-2 * np.eye(2)) @ (s2 + 1e-2 * np.eye(2))
    np.testing.assert_allclose(seen[1], expected_arg)
    np.testing.assert_allclose(
        covmean, np.sqrt(np.diag(expected_arg)) * np.eye(2), rtol=1e-8)


def test_frechet_distance_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match='Mismatched'):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))


def test_fid_metric_on_images_matches_direct_computation(tmp_path):
    g = torch.Generator().manual_seed(0)
    reals = torch.randint(
        0, 256, (40, 3, 8, 8), generator=g, dtype=torch.uint8)
    fakes = torch.rand(30, 3, 8, 8, generator=g) * 2 - 1  # float [-1, 1]
    metric = FrechetInceptionDistance(
        fake_nums=30,
        feature_extractor=dict(type='TinyTestFeatureExtractor'),
        real_cache_dir=None)
    metric.reset(num_real_available=40)
    metric.process(None, [dict(real_img=x) for x in reals])
    metric.process(None, [dict(fake_img=x) for x in fakes])
    out = metric.evaluate()
    assert set(out) == {'FID-Full/fid', 'FID-Full/mean', 'FID-Full/cov'}

    ext = TinyTestFeatureExtractor()
    fr = ext(reals).double().numpy()
    ff = ext(to_uint8(fakes)).double().numpy()
    # Written out plainly: ML covariances, scipy sqrtm, real part.
    m1, m2 = fr.mean(0), ff.mean(0)
    c1 = (fr - m1).T @ (fr - m1) / len(fr)
    c2 = (ff - m2).T @ (ff - m2) / len(ff)
    expected = ((m1 - m2)**2).sum() + np.trace(c1 + c2) - 2 * np.trace(
        scipy.linalg.sqrtm(c2 @ c1).real)
    assert out['FID-Full/fid'] == pytest.approx(expected, rel=1e-5)


def test_fid_metric_argument_checks():
    with pytest.raises(ValueError, match='fake_nums'):
        FrechetInceptionDistance(fake_nums=0)
    with pytest.raises(ValueError, match='real_nums'):
        FrechetInceptionDistance(real_nums=0)
    with pytest.raises(ValueError, match="'ema', 'orig'"):
        FrechetInceptionDistance(sample_model='g_ema')
    assert FrechetInceptionDistance(real_nums=100).prefix == 'FID'
    assert FrechetInceptionDistance().prefix == 'FID-Full'
