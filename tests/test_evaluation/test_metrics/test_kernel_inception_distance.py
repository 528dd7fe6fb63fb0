# Copyright (c) mmgen-ada contributors. All rights reserved.
import itertools

import numpy as np
import pytest

from mmgen_ada.evaluation.metrics import (KernelInceptionDistance,
                                          kernel_inception_distance)


def mmd2_unbiased_loops(x, y):
    """Unbiased MMD^2, k(a, b) = (a.b / d + 1)^3, written out with loops."""
    d = x.shape[1]
    m = len(x)

    def k(a, b):
        return (float(np.dot(a, b)) / d + 1.0)**3

    xx = sum(k(x[i], x[j]) for i, j in itertools.permutations(range(m), 2))
    yy = sum(k(y[i], y[j]) for i, j in itertools.permutations(range(m), 2))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m))
    return (xx + yy) / (m * (m - 1)) - 2 * xy / (m * m)


def test_kid_matches_direct_unbiased_estimator():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(12, 5))
    fake = rng.normal(0.4, 1.3, size=(12, 5))
    # Subsets of the full size are permutations: every subset gives the
    # full-set estimator, whatever the draws.
    out = kernel_inception_distance(
        real, fake, num_subsets=3, max_subset_size=50)
    assert out['kid'] == pytest.approx(
        mmd2_unbiased_loops(fake, real), rel=1e-10)
    assert out['kid_std'] == pytest.approx(0, abs=1e-9)


def test_kid_subsets_are_unbiased_estimates():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(40, 4))
    fake = rng.normal(size=(30, 4)) + 2.0
    full = mmd2_unbiased_loops(fake[:30], real[:30])
    out = kernel_inception_distance(
        real, fake, num_subsets=200, max_subset_size=10, seed=3)
    # Mean of unbiased estimates on random subsets: close to the full one.
    assert out['kid'] == pytest.approx(full, rel=0.1)
    assert out['kid_std'] > 0
    again = kernel_inception_distance(
        real, fake, num_subsets=200, max_subset_size=10, seed=3)
    assert again == out


def test_kid_same_distribution_near_zero_different_positive():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(300, 8)), rng.normal(size=(300, 8))
    c = rng.normal(size=(300, 8)) * 1.5 + 0.5
    same = kernel_inception_distance(
        a, b, num_subsets=5, max_subset_size=300)['kid']
    diff = kernel_inception_distance(
        a, c, num_subsets=5, max_subset_size=300)['kid']
    assert abs(same) < 0.02 < diff


def test_kid_rejects_bad_shapes_and_args():
    with pytest.raises(ValueError, match='equal D'):
        kernel_inception_distance(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match='num_subsets'):
        KernelInceptionDistance(num_subsets=0)


def test_kid_metric_compute_and_prefix():
    rng = np.random.default_rng(4)
    real, fake = rng.normal(size=(10, 3)), rng.normal(size=(10, 3)) + 1
    metric = KernelInceptionDistance(
        fake_nums=10, num_subsets=2, real_cache_dir=None)
    assert metric.prefix == 'KID-Full'
    out = metric.compute_metrics([dict(features=real), fake])
    assert out['kid'] == pytest.approx(
        mmd2_unbiased_loops(fake, real), rel=1e-10)
