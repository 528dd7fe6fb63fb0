# Copyright (c) mmgen-ada contributors. All rights reserved.
import os
import pickle

import numpy as np
import pytest
import torch

from mmgen_ada.evaluation.metrics import (FrechetInceptionDistance,
                                          KernelInceptionDistance)
from mmgen_ada.evaluation.metrics.frechet_inception_distance import (
    feature_mean_cov, frechet_distance)
from mmgen_ada.evaluation.metrics.real_stats_file import (load_real_stats,
                                                          save_real_stats)

TINY = dict(type='TinyTestFeatureExtractor')


@pytest.mark.parametrize('keys', [('mean', 'cov'), ('mu', 'sigma'),
                                  ('real_mean', 'real_cov')])
def test_reads_mmagic_mean_cov_pickles(tmp_path, keys):
    rng = np.random.default_rng(0)
    mean, cov = rng.normal(size=4), np.eye(4) * 2.5
    path = tmp_path / 'stats.pkl'
    with open(path, 'wb') as f:  # as MMagic writes it: a dict of arrays
        pickle.dump({keys[0]: mean, keys[1]: cov, 'real_nums': 10}, f)
    out = load_real_stats(str(path), 'mean-cov')
    np.testing.assert_array_equal(out['mean'], mean)
    np.testing.assert_array_equal(out['cov'], cov)
    with pytest.raises(KeyError, match='raw_feature'):
        load_real_stats(str(path), 'features')


def test_write_read_round_trip_and_npz(tmp_path):
    feats = np.arange(12, dtype=np.float64).reshape(4, 3)
    save_real_stats(str(tmp_path / 'f.pkl'), dict(features=feats))
    with open(tmp_path / 'f.pkl', 'rb') as f:
        assert set(pickle.load(f)) == {'raw_feature'}  # MMagic's key
    out = load_real_stats(str(tmp_path / 'f.pkl'), 'features')
    np.testing.assert_array_equal(out['features'], feats)
    np.savez(tmp_path / 's.npz', mean=feats[0], cov=np.eye(3))
    out = load_real_stats(str(tmp_path / 's.npz'), 'mean-cov')
    np.testing.assert_array_equal(out['mean'], feats[0])


class _Exploit:

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.makedirs, (self.target, ))


def test_code_in_a_pickle_is_never_run(tmp_path):
    marker = tmp_path / 'was_executed'
    path = tmp_path / 'evil.pkl'
    with open(path, 'wb') as f:
        pickle.dump({'mean': _Exploit(str(marker)), 'cov': np.eye(2)}, f)
    with pytest.raises(
            ValueError,
            match='refusing to load posix.makedirs|'
            'refusing to load os.makedirs'):
        load_real_stats(str(path), 'mean-cov')
    assert not marker.exists()


def _feed_and_eval(metric, reals, fakes):
    metric.reset(len(reals))
    if not metric.load_real_cache('fp', 8, 'tiny'):
        metric.feed_real(torch.as_tensor(reals))
    metric.feed_fake(torch.as_tensor(fakes))
    return metric.evaluate()


def test_fid_writes_then_reads_inception_pkl(tmp_path):
    rng = np.random.default_rng(1)
    reals, fakes = rng.normal(size=(30, 5)), rng.normal(1, 2, size=(20, 5))
    pkl = str(tmp_path / 'ffhq.pkl')
    kwargs = dict(
        fake_nums=20, feature_extractor=TINY, inception_pkl=pkl, prefix='F')
    first = _feed_and_eval(FrechetInceptionDistance(**kwargs), reals, fakes)
    assert os.path.isfile(pkl)
    # A fresh metric reads the pickle: the reals fed now are ignored.
    again = _feed_and_eval(
        FrechetInceptionDistance(**kwargs), reals * 0 + 9, fakes)
    expected = frechet_distance(*feature_mean_cov(fakes),
                                *feature_mean_cov(reals))['fid']
    assert first['F/fid'] == pytest.approx(expected, rel=1e-6)
    assert again['F/fid'] == pytest.approx(expected, rel=1e-6)
    kid_pkl = str(tmp_path / 'kid.pkl')
    kid = dict(
        fake_nums=20,
        feature_extractor=TINY,
        inception_pkl=kid_pkl,
        num_subsets=3,
        max_subset_size=10)
    a = _feed_and_eval(KernelInceptionDistance(**kid), reals, fakes)
    b = _feed_and_eval(KernelInceptionDistance(**kid), reals * 0, fakes)
    assert a == b
