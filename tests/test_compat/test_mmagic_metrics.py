# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Metric dicts written as MMagic's StyleGAN2/3 configs write them.

The four metric lists below are those of MMagic's ``configs/styleganv2`` and
``configs/styleganv3`` files (every one of the 19 uses one of them); here
they are built with only ``default_scope`` changed.
"""
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmgen_ada.engine.config_validation import validate_config
from mmgen_ada.evaluation.metrics import (Equivariance,
                                          FrechetInceptionDistance,
                                          PerceptualPathLength,
                                          PrecisionAndRecall)
from mmgen_ada.registry import METRICS

# stylegan2_c2_8xb4-800kiters_{ffhq,lsun-cat,lsun-church,lsun-horse}-256,
# the fp16/apex variants, lsun-car-384x512.
SG2_FID50K_PR_PPL = [
    dict(
        type='FrechetInceptionDistance',
        prefix='FID-50k',
        fake_nums=50000,
        real_nums=50000,
        inception_style='StyleGAN',
        sample_model='ema'),
    dict(type='PrecisionAndRecall', fake_nums=50000, prefix='PR-50K'),
    dict(type='PerceptualPathLength', fake_nums=50000, prefix='ppl-w')
]
# stylegan2_c2_8xb4_ffhq-1024x1024.
SG2_FIDFULL_PR_PPL = [
    dict(
        type='FrechetInceptionDistance',
        prefix='FID-Full-50k',
        fake_nums=50000,
        inception_style='StyleGAN',
        sample_model='ema'),
    dict(type='PrecisionAndRecall', fake_nums=50000, prefix='PR-50K'),
    dict(type='PerceptualPathLength', fake_nums=50000, prefix='ppl-w')
]
# stylegan3-{t,r}_cvt-official-rgb_*, stylegan3-{t,r}_ada-*_metfaces,
# stylegan3-t_gamma32.8_*.
SG3_FIDFULL = [
    dict(
        type='FrechetInceptionDistance',
        prefix='FID-Full-50k',
        fake_nums=50000,
        inception_style='StyleGAN',
        sample_model='ema')
]
# stylegan3-t_gamma2.0_8xb4-fp16-noaug_ffhq-256x256.
SG3_FIDFULL_EQ = SG3_FIDFULL + [
    dict(
        type='Equivariance',
        fake_nums=50000,
        sample_mode='ema',
        prefix='EQ',
        eq_cfg=dict(
            compute_eqt_int=True, compute_eqt_frac=True, compute_eqr=True))
]
METRIC_LISTS = dict(
    sg2_fid50k_pr_ppl=SG2_FID50K_PR_PPL,
    sg2_fidfull_pr_ppl=SG2_FIDFULL_PR_PPL,
    sg3_fidfull=SG3_FIDFULL,
    sg3_fidfull_eq=SG3_FIDFULL_EQ)


@pytest.mark.parametrize('name', sorted(METRIC_LISTS))
def test_mmagic_metric_lists_validate_and_build(name):
    metrics = METRIC_LISTS[name]
    cfg = Config(
        dict(
            default_scope='mmgen_ada',  # the only change
            val_evaluator=dict(metrics=metrics),
            test_evaluator=dict(metrics=metrics)))
    validate_config(cfg)
    with DefaultScope.overwrite_default_scope('mmgen_ada'):
        built = [METRICS.build(dict(m)) for m in cfg.val_evaluator.metrics]
    for metric, src in zip(built, metrics):
        assert type(metric).__name__ == src['type']
        assert metric.prefix == src['prefix']
        assert metric.fake_nums == 50000
        assert metric.sample_model == src.get('sample_model',
                                              src.get('sample_mode', 'ema'))


def test_built_metrics_mean_what_mmagic_means():
    with DefaultScope.overwrite_default_scope('mmgen_ada'):
        fid50k, pr, ppl = [METRICS.build(dict(m)) for m in SG2_FID50K_PR_PPL]
        fid_full = METRICS.build(dict(SG3_FIDFULL[0]))
        eq = METRICS.build(dict(SG3_FIDFULL_EQ[1]))
    assert isinstance(fid50k, FrechetInceptionDistance)
    assert fid50k.real_nums == 50000 and fid_full.real_nums == -1
    assert fid50k.feature_extractor_cfg == dict(type='InceptionV3TorchScript')
    assert isinstance(pr, PrecisionAndRecall) and pr.nhood_size == 3
    assert isinstance(ppl, PerceptualPathLength)
    assert (ppl.space, ppl.sampling, ppl.crop, ppl.epsilon) == ('w', 'end',
                                                                True, 1e-4)
    assert isinstance(eq, Equivariance)
    assert eq.enabled == ['eqt_int', 'eqt_frac', 'eqr']
    assert eq.eq_cfg['translate_max'] == 0.125
    assert eq.eq_cfg['rotate_max'] == 1


def test_mmagic_unit_test_calls():
    """Positional and keyword calls as MMagic's own metric tests make."""
    eq = Equivariance(
        2,
        eq_cfg=dict(
            compute_eqt_int=True, compute_eqt_frac=True, compute_eqr=True),
        sample_mode='orig')
    assert eq.sample_model == 'orig' and eq.fake_nums == 2
    ppl = PerceptualPathLength(
        fake_nums=2, prefix='ppl-z', space='Z', sampling='full')
    assert (ppl.space, ppl.sampling) == ('z', 'full')
    with pytest.raises(ValueError, match="inception_style='StyleGAN'"):
        FrechetInceptionDistance(
            fake_nums=2, inception_style='PyTorch', sample_model='orig')


def test_positional_order_of_the_new_metrics_is_mmagics():
    ppl = PerceptualPathLength(8, 0, None, 'gt_img', False, 'orig', 'cpu', 'P',
                               False, 1e-3, 'Z', 'full')
    assert (ppl.fake_nums, ppl.sample_model, ppl.prefix, ppl.crop, ppl.epsilon,
            ppl.space, ppl.sampling) == (8, 'orig', 'P', False, 1e-3, 'z',
                                         'full')
    eq = Equivariance(8, 0, None, 'gt_img', False, 'orig', {}, 'cpu', 'E',
                      dict(compute_eqr=True))
    assert (eq.sample_model, eq.prefix, eq.enabled) == ('orig', 'E', ['eqr'])
