# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Every shipped StyleGAN3 config builds (at a tiny size) and a Runner trains
2 iterations of the MetFaces ADA config on CPU, then resumes."""
import os.path as osp
import uuid

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from PIL import Image

from mmgen_ada.registry import MODELS

CONFIG_DIR = osp.join(
    osp.dirname(__file__), '..', '..', '..', 'configs', 'stylegan3')
CONFIGS = {
    'stylegan3-t_ada-fp16-gamma6.6_8xb4_metfaces-1024x1024.py':
    dict(gamma=6.6, kernel=3, radial=False, blur=0., size=1024, batch=4),
    'stylegan3-r_ada-fp16-gamma3.3_8xb4_metfaces-1024x1024.py':
    dict(gamma=3.3, kernel=1, radial=True, blur=0., size=1024, batch=4),
    'stylegan3-t_noaug-gamma1_8xb8_ffhqu-256x256.py':
    dict(gamma=1., kernel=3, radial=False, blur=0., size=256, batch=8),
    'stylegan3-r_noaug-gamma1_8xb8_ffhqu-256x256.py':
    dict(gamma=1., kernel=1, radial=True, blur=10., size=256, batch=8),
}


def shrink(model_cfg):
    """Same config at 16x16 with a handful of channels."""
    model_cfg.generator.out_size = 16
    model_cfg.generator.style_channels = 8
    model_cfg.generator.noise_size = 8
    model_cfg.generator.synthesis_cfg.update(
        channel_base=128, channel_max=8, num_layers=4)
    model_cfg.discriminator.update(
        in_size=16, channel_base=64, channel_max=16, mbstd_group_size=2)
    return model_cfg


@pytest.fixture(autouse=True)
def default_scope():
    init_default_scope('mmgen_ada')


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_config_states_reference_settings_and_builds(name):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    expect = CONFIGS[name]
    model = cfg.model
    synthesis = model.generator.synthesis_cfg
    assert model.type == 'StyleGAN3' and model.r1_gamma == expect['gamma']
    # The runtime defaults every config inherits (default_runtime.py).
    assert cfg.randomness == dict(seed=0, diff_rank_seed=True)
    assert cfg.model_wrapper_cfg.type == 'MMSeparateDistributedDataParallel'
    assert cfg.default_hooks.visualization.type == 'GenVisualizationHook'
    assert cfg.log_processor.custom_cfg[0].data_src == 'kimg'
    assert cfg.val_evaluator.metrics[0].type == 'FrechetInceptionDistance'
    assert model.generator.out_size == expect['size']
    assert model.discriminator.in_size == expect['size']
    assert synthesis.conv_kernel == expect['kernel']
    assert synthesis.use_radial_filters == expect['radial']
    assert model.get('blur_init_sigma', 0.) == expect['blur']
    assert model.pl_weight == 0 and model.pl_interval is None
    assert cfg.train_dataloader.batch_size == expect['batch']
    batch = 8 * expect['batch']
    assert synthesis.magnitude_ema_beta == pytest.approx(0.5**(batch / 2e4))
    assert model.ema_config.ema_kimg == pytest.approx(batch * 10 / 32)
    if 'ada' in name:
        assert model.discriminator.type == 'ADAStyleGAN2Discriminator'
        assert cfg.load_from is not None  # transfer learning
    else:
        assert model.discriminator.type == 'StyleGAN2Discriminator'
    net = MODELS.build(shrink(model))
    img = net.generate(torch.randn(2, 8), use_ema=True)
    assert img.shape == (2, 3, 16, 16) and torch.isfinite(img).all()


def write_images(folder, num=4, size=16):
    rng = np.random.default_rng(0)
    for i in range(num):
        pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(osp.join(folder, f'{i:02d}.png'))


def tiny_runner_cfg(tmp_path, max_iters, resume=False):
    cfg = Config.fromfile(
        osp.join(CONFIG_DIR,
                 'stylegan3-r_ada-fp16-gamma3.3_8xb4_metfaces-1024x1024.py'))
    shrink(cfg.model)
    cfg.model.discriminator.data_aug.update(
        update_interval=1, augment_initial_p=0.1, ada_kimg=0.001)
    cfg.model.blur_init_sigma = 1.  # exercise the blur too
    cfg.model.blur_fade_kimg = 0.004
    cfg.model.r1_interval = 2
    cfg.load_from = None
    # GANBatchSampler hides the batch size from the EMA hook (reported).
    cfg.model.ema_config.batch_size = 2
    cfg.resume = resume
    cfg.work_dir = str(tmp_path / 'work')
    # Own logger/message hub/visualizer instances (mmengine names them after
    # the experiment, by default the timestamp to the second).
    cfg.experiment_name = f'sg3-{uuid.uuid4().hex[:8]}'
    cfg.train_dataloader.update(
        batch_size=2,
        num_workers=0,
        persistent_workers=False,
        pin_memory=False)
    cfg.train_dataloader.dataset.data_root = str(tmp_path / 'images')
    cfg.train_cfg.update(max_iters=max_iters, val_interval=10000)
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator',
                'test_dataloader', 'test_cfg', 'test_evaluator'):
        cfg[key] = None
    cfg.default_hooks.checkpoint.interval = 1
    cfg.default_hooks.logger.interval = 1
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    return cfg


def magnitude_emas(model):
    return {
        name: buf.clone()
        for name, buf in model.state_dict().items()
        if name.endswith('magnitude_ema')
    }


def test_runner_trains_two_iters_with_ada_and_resumes(tmp_path):
    (tmp_path / 'images').mkdir()
    write_images(str(tmp_path / 'images'))
    runner = Runner.from_cfg(tiny_runner_cfg(tmp_path, max_iters=2))
    model = runner.model
    p_before = model.discriminator.data_aug.p
    runner.train()
    emas = magnitude_emas(model)
    # Both G and G_ema track the input magnitudes (G_ema copies buffers).
    assert any(k.startswith('generator.') for k in emas)
    assert any(k.startswith('generator_ema.') for k in emas)
    assert all(v.item() != 1. for v in emas.values())
    assert model.discriminator.data_aug.p != p_before  # ADA moved p
    assert int(model.cur_nimg) == 4
    assert osp.isfile(osp.join(tmp_path, 'work', 'iter_2.pth'))
    p_after = model.discriminator.data_aug.p

    resumed = Runner.from_cfg(
        tiny_runner_cfg(tmp_path, max_iters=3, resume=True))
    resumed.load_or_resume()
    assert resumed.iter == 2
    restored = magnitude_emas(resumed.model)
    assert restored.keys() == emas.keys()
    for key, value in emas.items():
        torch.testing.assert_close(restored[key], value, msg=key)
    assert resumed.model.discriminator.data_aug.p == p_after
    assert int(resumed.model.cur_nimg) == 4
    resumed.train()  # continues to iteration 3
    assert resumed.iter == 3 and int(resumed.model.cur_nimg) == 6
