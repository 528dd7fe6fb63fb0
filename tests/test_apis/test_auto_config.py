# Copyright (c) mmgen-ada contributors. All rights reserved.
"""NVlabs --cfg=auto values, computed by hand from the reference formulas."""
import pytest
from mmengine.config import Config

from mmgen_ada.apis.auto_config import (AUTO_BASE_CONFIG, apply_auto_spec,
                                        kimg_to_iters, nvlabs_auto_spec)
from mmgen_ada.apis.train_options import CONFIG_ROOT


@pytest.mark.parametrize(
    'res, gpus, mb, mbstd, base, lr',
    [
        # mb = max(min(gpus * min(4096 // res, 32), 64), gpus)
        (32, 1, 32, 4, 16384, 0.0025),
        (256, 1, 16, 4, 16384, 0.0025),
        (256, 8, 64, 4, 16384, 0.0025),
        (512, 2, 16, 4, 32768, 0.0025),
        (1024, 8, 32, 4, 32768, 0.002),
        (1024, 1, 4, 4, 32768, 0.002),
        (1024, 16, 64, 4, 32768, 0.002),
        (4096, 128, 128, 1, 32768, 0.002),  # mb >= gpus: one image per GPU
    ])
def test_auto_spec_matches_reference_formulas(res, gpus, mb, mbstd, base, lr):
    spec = nvlabs_auto_spec(res, gpus)
    assert spec.batch == mb
    assert spec.mbstd_group == mbstd
    assert spec.channel_base == base and spec.channel_max == 512
    assert spec.lr == lr
    assert spec.r1_gamma == pytest.approx(0.0002 * res * res / mb)
    assert spec.ema_kimg == pytest.approx(mb * 10 / 32)
    assert spec.ema_rampup == 0.05
    assert spec.mapping_layers == 2 and spec.kimg == 25000


def test_auto_spec_rejects_bad_sizes():
    with pytest.raises(ValueError, match='power of two'):
        nvlabs_auto_spec(48, 1)
    with pytest.raises(ValueError, match='num_gpus'):
        nvlabs_auto_spec(64, 0)


def test_kimg_to_iters_rounds_up():
    assert kimg_to_iters(0.032, 8) == 4  # 0.032 * 1000 is 32.000000000004
    assert kimg_to_iters(0.033, 8) == 5
    assert kimg_to_iters(25000, 64) == 390625
    assert kimg_to_iters(0.001, 64) == 1
    with pytest.raises(ValueError, match='kimg'):
        kimg_to_iters(0, 8)


def test_apply_auto_spec_writes_model_keys():
    cfg = Config.fromfile(str(CONFIG_ROOT / AUTO_BASE_CONFIG))
    apply_auto_spec(cfg, nvlabs_auto_spec(64, 2), 64, 1)
    gen, disc = cfg.model.generator, cfg.model.discriminator
    assert gen.out_size == disc.in_size == 64
    assert gen.out_channels == disc.img_channels == 1
    assert gen.channel_base == disc.channel_base == 16384
    assert gen.num_mlps == 2
    assert disc.mbstd_group_size == 4
    assert cfg.model.r1_gamma == pytest.approx(0.0002 * 64 * 64 / 64)
    assert cfg.model.ema_config.ema_kimg == pytest.approx(20)
    assert cfg.model.ema_config.ema_rampup == 0.05
    assert cfg.global_batch_size == 64
    assert cfg.optim_wrapper.generator.optimizer.lr == 0.0025
    assert disc.type == 'ADAStyleGAN2Discriminator'


@pytest.mark.parametrize('hw', [(16, 32), (32, 16)])
def test_auto_spec_for_rectangular_data(hw):
    # Batch, fmaps and lr of the enclosing 32x32 square; R1 gamma from the
    # pixel count 16 * 32 (half the 32x32 value).
    spec, square = nvlabs_auto_spec(hw, 1), nvlabs_auto_spec(32, 1)
    assert (spec.batch, spec.channel_base, spec.lr) == (
        square.batch, square.channel_base, square.lr) == (32, 16384, 0.0025)
    assert spec.r1_gamma == pytest.approx(0.0002 * 16 * 32 / 32)
    assert spec.r1_gamma == pytest.approx(square.r1_gamma / 2)
    cfg = Config.fromfile(str(CONFIG_ROOT / AUTO_BASE_CONFIG))
    apply_auto_spec(cfg, spec, list(hw), 3)
    assert cfg.model.generator.out_size == cfg.model.discriminator.in_size \
        == hw
    with pytest.raises(ValueError, match='aspect ratio 8:1'):
        nvlabs_auto_spec((8, 64), 1)
