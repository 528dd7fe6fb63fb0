# Copyright (c) mmgen-ada contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmgen_ada.evaluation.metrics import PrecisionAndRecall, manifold_coverage


def coverage_loops(manifold, probes, k):
    """k-NN manifold coverage written out with plain loops."""
    radii = []
    for i, p in enumerate(manifold):
        d = sorted(
            np.linalg.norm(p - q) for j, q in enumerate(manifold) if j != i)
        radii.append(d[k - 1])
    inside = [
        any(np.linalg.norm(x - p) <= r for p, r in zip(manifold, radii))
        for x in probes
    ]
    return float(np.mean(inside))


def test_precision_on_a_line_known_answer():
    # Reals at 0..9 on the x axis. With k=3 interior points have radius 2,
    # the end points 0 and 9 have radius 3.
    reals = np.stack([np.arange(10.0), np.zeros(10)], 1)
    fakes = np.array([[0.5, 0], [5, 1.5], [-2.9, 0], [20, 0], [9, 3.1]])
    # inside: 0.5 (r 3 around 0), (5, 1.5) (r 2 around 5), -2.9 (r 3 around
    # 0); outside: 20 and (9, 3.1) (distance 3.1 > 3 to 9, > 2 to 8).
    prec = manifold_coverage(torch.tensor(reals), torch.tensor(fakes), 3)
    assert prec == pytest.approx(3 / 5)


def test_precision_recall_match_loops_with_small_batches():
    rng = np.random.default_rng(0)
    reals = rng.normal(size=(37, 4)).astype(np.float32)
    fakes = (rng.normal(size=(29, 4)) * 0.8 + 1.0).astype(np.float32)
    metric = PrecisionAndRecall(
        fake_nums=29, row_batch_size=5, col_batch_size=7, real_cache_dir=None)
    out = metric.compute(dict(features=reals), fakes)
    assert out['precision'] == pytest.approx(coverage_loops(reals, fakes, 3))
    assert out['recall'] == pytest.approx(coverage_loops(fakes, reals, 3))
    assert 0 < out['precision'] < 1 and 0 < out['recall'] < 1


def test_identical_sets_have_full_precision_and_recall():
    feats = np.random.default_rng(1).normal(size=(20, 3))
    out = PrecisionAndRecall(
        fake_nums=20,
        real_cache_dir=None).compute(dict(features=feats), feats)
    assert out == dict(precision=1.0, recall=1.0)


def test_manifold_needs_more_than_k_points():
    with pytest.raises(ValueError, match='nhood_size=3'):
        manifold_coverage(torch.zeros(3, 2), torch.zeros(1, 2), 3)
