# Copyright (c) mmgen-ada contributors. All rights reserved.
import pytest

from mmgen_ada.evaluation.metrics import (FrechetInceptionDistance,
                                          KernelInceptionDistance,
                                          PrecisionAndRecall)
from mmgen_ada.evaluation.metrics.mmagic_metric_args import (
    inception_extractor_cfg, label_source, sampling_from_kwargs)

TINY = dict(type='TinyTestFeatureExtractor')


def test_inception_style_and_path_choose_the_torchscript_extractor():
    assert inception_extractor_cfg('FID', 'StyleGAN', None, None) is None
    assert inception_extractor_cfg('FID', 'StyleGAN', None, TINY) == TINY
    assert inception_extractor_cfg('FID', 'StyleGAN', '/x/inc.pt', None) == \
        dict(type='InceptionV3TorchScript', weights_path='/x/inc.pt')
    assert inception_extractor_cfg('FID', 'StyleGAN', 'https://h/i.pt',
                                   None) == dict(
                                       type='InceptionV3TorchScript',
                                       url='https://h/i.pt')
    with pytest.raises(ValueError, match='both choose'):
        inception_extractor_cfg('FID', 'StyleGAN', '/x/inc.pt', TINY)
    metric = FrechetInceptionDistance(
        fake_nums=4, inception_path='/x/inc.pt', real_cache_dir=None)
    assert metric.feature_extractor_cfg['weights_path'] == '/x/inc.pt'


@pytest.mark.parametrize('cls',
                         [FrechetInceptionDistance, KernelInceptionDistance])
def test_pytorch_inception_style_is_refused_with_the_reason(cls):
    with pytest.raises(
            ValueError, match="torchvision.*inception_style="
            "'StyleGAN'"):
        cls(fake_nums=4, inception_style='PyTorch')
    with pytest.raises(ValueError, match='must be one of'):
        cls(fake_nums=4, inception_style='TF')


def test_keys_that_name_other_images_are_refused():
    FrechetInceptionDistance(fake_nums=4, fake_key='fake_img', real_key='img')
    with pytest.raises(ValueError, match="fake_key='ema_img'.*fake_key=None"):
        FrechetInceptionDistance(fake_nums=4, fake_key='ema_img')
    with pytest.raises(ValueError, match="real_key='mask'"):
        PrecisionAndRecall(fake_nums=4, real_key='mask')


def test_sample_kwargs_and_need_cond_input_set_the_fake_pass():
    assert sampling_from_kwargs('M', None) == (1.0, None)
    assert sampling_from_kwargs('M', dict(truncation=0.7)) == (0.7, None)
    assert sampling_from_kwargs('M', dict(randomize_noise=False)) == \
        (1.0, 'const')
    assert sampling_from_kwargs('M', dict(randomize_noise=True)) == \
        (1.0, 'random')
    assert sampling_from_kwargs('M', dict(add_noise=False)) == (1.0, 'none')
    with pytest.raises(KeyError, match="'inject_index'.*valid keys"):
        sampling_from_kwargs('M', dict(inject_index=2))
    assert [label_source('M', v) for v in (None, True, False)] == \
        ['dataset', 'dataset', 'uniform']
    a = FrechetInceptionDistance(
        fake_nums=4, sample_kwargs=dict(truncation=0.5), need_cond_input=False)
    b = KernelInceptionDistance(fake_nums=4)
    assert a.sampling_key == ('ema', 0.5, None, 'uniform')
    assert b.sampling_key == ('ema', 1.0, None, 'dataset')


def test_precision_recall_mmagic_arguments():
    assert PrecisionAndRecall(fake_nums=4, k=5).nhood_size == 5
    assert PrecisionAndRecall(fake_nums=4, auto_save=False).real_cache_dir \
        is None
    with pytest.raises(ValueError, match='disagree'):
        PrecisionAndRecall(fake_nums=4, k=5, nhood_size=4)
    for arg in ('vgg16_script', 'vgg16_pkl'):
        with pytest.raises(ValueError, match=f'{arg}=.*not supported'):
            PrecisionAndRecall(fake_nums=4, **{arg: 'work_dirs/vgg16.pt'})


def test_inception_pkl_must_be_local():
    with pytest.raises(ValueError, match='local file'):
        FrechetInceptionDistance(fake_nums=4, inception_pkl='https://a/b.pkl')
