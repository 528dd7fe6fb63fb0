# Copyright (c) mmgen-ada contributors. All rights reserved.
"""NVlabs metric names map to our metrics with metric_main.py's settings."""
import pytest
from mmengine.registry import init_default_scope

from mmgen_ada.evaluation.metrics.nvlabs_metric_names import (
    NVLABS_GENERATOR_METRICS, NVLABS_METRICS, nvlabs_metric_cfgs)
from mmgen_ada.registry import METRICS


def test_full_metrics():
    fid, kid, pr = nvlabs_metric_cfgs('fid50k_full, kid50k_full,pr50k3_full')
    assert fid['type'] == 'FrechetInceptionDistance'
    assert (fid['fake_nums'], fid['real_nums']) == (50000, -1)
    assert kid['type'] == 'KernelInceptionDistance'
    assert (kid['real_nums'], kid['num_subsets'],
            kid['max_subset_size']) == (1000000, 100, 1000)
    assert pr['type'] == 'PrecisionAndRecall'
    assert (pr['real_nums'], pr['nhood_size']) == (200000, 3)
    assert {m['sample_model'] for m in (fid, kid, pr)} == {'ema'}


def test_non_full_metrics_use_50k_reals():
    for cfg in nvlabs_metric_cfgs('fid50k,kid50k,pr50k3'):
        assert cfg['real_nums'] == 50000 and cfg['fake_nums'] == 50000


def test_none_and_errors():
    assert nvlabs_metric_cfgs('none') == []
    with pytest.raises(ValueError, match='is50k'):
        nvlabs_metric_cfgs('is50k')
    with pytest.raises(ValueError, match='twice'):
        nvlabs_metric_cfgs('fid50k,fid50k')


@pytest.mark.parametrize('name', list(NVLABS_METRICS))
def test_every_mapping_builds(name):
    init_default_scope('mmgen_ada')
    metric = METRICS.build(nvlabs_metric_cfgs(name)[0])
    assert metric.prefix.endswith('-Full') == name.endswith('_full')


@pytest.mark.parametrize('name', list(NVLABS_GENERATOR_METRICS))
def test_generator_metric_names_build_with_nvlabs_settings(name):
    init_default_scope('mmgen_ada')
    metric = METRICS.build(nvlabs_metric_cfgs(name)[0])
    assert metric.prefix == name and metric.fake_nums == 50000
    if name.startswith('ppl'):
        assert metric.epsilon == 1e-4
        assert metric.crop == (name != 'ppl2_wend')
        assert metric.space == ('z' if '_z' in name else 'w')
        assert metric.sampling == ('full' if 'full' in name else 'end')
    else:
        assert metric.enabled == [
            dict(eqt50k_int='eqt_int', eqt50k_frac='eqt_frac',
                 eqr50k='eqr')[name]
        ]
