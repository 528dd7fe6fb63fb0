# Copyright (c) mmgen-ada contributors. All rights reserved.
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapperDict
from mmengine.registry import init_default_scope

from mmgen_ada.engine.optimizers import GANOptimWrapper
from mmgen_ada.models.stylegan3 import StyleGAN3, blur_images
from mmgen_ada.registry import MODELS

GEN = dict(type='StyleGANv3Generator', out_size=16, style_channels=8,
           synthesis_cfg=dict(channel_base=128, channel_max=8, num_layers=4,
                              num_critical=2))
DISC = dict(type='ADAStyleGAN2Discriminator', in_size=16, channel_base=64,
            channel_max=16, mbstd_group_size=2,
            data_aug=dict(type='ADAAug', aug_pipeline='bgc',
                          augment_initial_p=0.2, update_interval=1))


@pytest.fixture(autouse=True)
def default_scope():
    # BaseModel builds the data preprocessor through the default scope.
    init_default_scope('mmgen_ada')


def build(**kwargs):
    cfg = dict(type='StyleGAN3', generator=GEN, discriminator=DISC,
               r1_gamma=1.0)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def optim(model):
    return OptimWrapperDict(
        generator=GANOptimWrapper(torch.optim.Adam(
            model.generator.parameters(), lr=1e-3, betas=(0., 0.99))),
        discriminator=GANOptimWrapper(torch.optim.Adam(
            model.discriminator.parameters(), lr=1e-3, betas=(0., 0.99))))


def batch(n=2):
    return dict(inputs=torch.randint(0, 256, (n, 3, 16, 16),
                                     dtype=torch.uint8))


def test_blur_images_matches_explicit_gaussian_conv():
    torch.manual_seed(0)
    img = torch.randn(2, 3, 12, 12, dtype=torch.float64)
    sigma = 1.2  # floor(3 sigma) = 3 -> 7 taps
    x = torch.arange(-3., 4., dtype=torch.float64)
    taps = 2**(-(x / sigma)**2)
    taps = taps / taps.sum()
    k2d = torch.outer(taps, taps)[None, None].repeat(3, 1, 1, 1)
    ref = F.conv2d(F.pad(img, [3, 3, 3, 3]), k2d, groups=3)
    torch.testing.assert_close(blur_images(img, sigma), ref)
    assert blur_images(img, 0.3) is img  # floor(0.9) = 0: no blur


def test_reference_defaults_and_required_gamma():
    with pytest.raises(ValueError, match='needs r1_gamma'):
        build(r1_gamma=None)
    model = build()
    assert isinstance(model, StyleGAN3)
    assert model.pl_weight == 0 and model.pl_interval is None
    assert model.lazy_reg_intervals == dict(generator=None,
                                            discriminator=16)
    # MMagic's loss_config can supply gamma instead.
    model = build(r1_gamma=None, loss_config=dict(r1_loss_weight=6.6 / 2 *
                                                  16, r1_interval=16))
    assert model.r1_gamma == pytest.approx(6.6)
    with pytest.raises(ValueError, match='blur'):
        build(blur_init_sigma=-1)


def test_blur_sigma_fades_with_cur_nimg():
    model = build(blur_init_sigma=10, blur_fade_kimg=0.2)
    assert model.blur_sigma == 10
    model.cur_nimg.fill_(50)
    assert model.blur_sigma == pytest.approx(10 * (1 - 50 / 200))
    model.cur_nimg.fill_(400)
    assert model.blur_sigma == 0
    assert build().blur_sigma == 0  # blur_fade_kimg=0 disables


def test_train_step_emas_blur_and_ada(monkeypatch):
    torch.manual_seed(0)
    model = build(blur_init_sigma=2, blur_fade_kimg=1, r1_interval=1)
    G, D = model.generator, model.discriminator
    flags, d_inputs = [], []
    synth_forward = G.synthesis.forward
    d_forward = D.forward

    def synth_spy(ws, **kw):
        flags.append(kw['update_emas'])
        return synth_forward(ws, **kw)

    def d_spy(img, *args, **kw):
        d_inputs.append(img.detach().clone())
        return d_forward(img, *args, **kw)

    monkeypatch.setattr(G.synthesis, 'forward', synth_spy)
    monkeypatch.setattr(D, 'forward', d_spy)
    layer0 = getattr(G.synthesis, G.synthesis.layer_names[0])
    data = batch()
    log_vars = model.train_step(data, optim(model))
    # Gmain without EMA updates, then Dmain's fake pass with them.
    assert flags == [False, True]
    assert layer0.magnitude_ema.item() != 1.
    assert G.w_avg.abs().sum() > 0
    assert 'loss_G_pl' not in log_vars and 'loss_D_r1' in log_vars
    # D saw blurred reals: the main real pass is the 3rd D call.
    reals = model.data_preprocessor(data, True)['inputs']
    torch.testing.assert_close(d_inputs[2], blur_images(reals, 2.0))
    assert not torch.allclose(d_inputs[2], reals)
    # ADA recorded the signs of the real logits of Dmain and of the lazy R1
    # pass (the same 2 reals).
    assert D.data_aug.sign_stats()[1:].tolist() == [4, 2]
    assert int(model.cur_nimg) == 2
    assert all(math.isfinite(v) for v in log_vars.values())
