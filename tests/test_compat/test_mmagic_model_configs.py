# Copyright (c) mmgen-ada contributors. All rights reserved.
"""MMagic's 19 StyleGAN2/3 model configs build here, at a tiny size.

Each dict below is the ``model`` (and ``optim_wrapper``) that one of
open-mmlab/mmagic's ``configs/styleganv2/*.py`` / ``configs/styleganv3/*.py``
yields after its ``_base_`` merge (``configs/_base_/models/
base_styleganv{2,3}.py``, ``gen_default_runtime.py``), written here with
the same keys and values. Only the sizes are made tiny (:func:`_tiny`) and
the registry scope is ours. The StyleGAN2 ones train one step on CPU. The
four quick-test/experimental configs that do not build are checked for
their error messages.
"""
import copy

import pytest
import torch
from mmengine.registry import init_default_scope

from mmgen_ada.engine.config_validation import check_module_cfg
from mmgen_ada.engine.optimizers.gan_amp_optim_wrapper import \
    cpu_has_fast_bfloat16
from mmgen_ada.models.mmagic_compat import MMagicArgumentError
from mmgen_ada.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS

init_default_scope('mmgen_ada')

D_REG, G_REG = 16, 4
D_RATIO, G_RATIO = D_REG / (D_REG + 1), G_REG / (G_REG + 1)
EMA_MOMENTUM = 1. - (0.5**(32. / (10. * 1000.)))
EMA_BETA = 0.5**(32. / (10. * 1000.))  # some MMagic configs pass the beta
LOSS_CONFIG = dict(
    r1_loss_weight=10. / 2. * D_REG,
    r1_interval=D_REG,
    norm_mode='HWC',
    g_reg_interval=G_REG,
    g_reg_weight=2. * G_REG,
    pl_batch_shrink=2)
ADA_PIPELINE = dict(
    xflip=1,
    rotate90=1,
    xint=1,
    scale=1,
    rotate=1,
    aniso=1,
    xfrac=1,
    brightness=1,
    contrast=1,
    lumaflip=1,
    hue=1,
    saturation=1)


def _merge(base: dict, update: dict) -> dict:
    """mmengine's ``_base_`` merge of dicts (update wins, dicts merge)."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and (
                'type' not in value or value['type'] == out[key].get('type')):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _optim(g_lr=0.002, d_lr=0.002, **wrapper):
    return dict(
        constructor='MultiOptimWrapperConstructor',
        generator=dict(
            **wrapper,
            optimizer=dict(
                type='Adam', lr=g_lr * G_RATIO, betas=(0, 0.99**G_RATIO))),
        discriminator=dict(
            **wrapper,
            optimizer=dict(
                type='Adam', lr=d_lr * D_RATIO, betas=(0, 0.99**D_RATIO))))


SG2_BASE = dict(
    type='StyleGAN2',
    data_preprocessor=dict(type='DataPreprocessor'),
    generator=dict(
        type='StyleGANv2Generator', out_size=None, style_channels=512),
    discriminator=dict(type='StyleGAN2Discriminator', in_size=None),
    ema_config=dict(type='ExponentialMovingAverage'),
    loss_config=LOSS_CONFIG)


def _sg2(size, momentum=EMA_MOMENTUM, **update):
    return _merge(
        SG2_BASE,
        _merge(
            dict(
                generator=dict(out_size=size),
                discriminator=dict(in_size=size),
                ema_config=dict(
                    type='ExponentialMovingAverage',
                    interval=1,
                    momentum=momentum),
                loss_config=LOSS_CONFIG), update))


AMP = dict(type='AmpOptimWrapper', loss_scale=512)
SG2_FFHQ_256 = _sg2(256)
# name: (model, optim_wrapper)
SG2_CONFIGS = {
    'stylegan2_c2_8xb4-800kiters_ffhq-256x256': (SG2_FFHQ_256, _optim()),
    'stylegan2_c2_8xb4-800kiters_lsun-cat-256x256': (_sg2(256), _optim()),
    'stylegan2_c2_8xb4-800kiters_lsun-church-256x256': (_sg2(256), _optim()),
    'stylegan2_c2_8xb4-800kiters_lsun-horse-256x256': (_sg2(256), _optim()),
    'stylegan2_c2_8xb4_ffhq-1024x1024': (_sg2(1024, EMA_BETA), _optim()),
    'stylegan2_c2_8xb4_lsun-car-384x512': (_sg2(512, EMA_BETA), _optim()),
    'stylegan2_c2-PL-R1_8xb4-fp16-globalG-partialD-no-scaler-800kiters_'
    'ffhq-256x256': (_merge(
        SG2_FFHQ_256,
        dict(
            generator=dict(out_size=256, fp16_enabled=True),
            discriminator=dict(
                in_size=256, fp16_enabled=False,
                num_fp16_scales=4))), _optim(**AMP)),
    'stylegan2_c2-PL_8xb4-fp16-partial-GD-no-scaler-800kiters_ffhq-256x256':
    (_merge(
        SG2_FFHQ_256,
        dict(
            generator=dict(out_size=256, num_fp16_scales=4),
            discriminator=dict(in_size=256, num_fp16_scales=4),
            loss_config=dict(scale_r1_loss=True))), _optim(**AMP)),
    'stylegan2_c2-PL-R1_8xb4-apex-fp16-no-scaler-800kiters_ffhq-256x256':
    (_merge(
        SG2_FFHQ_256,
        dict(
            loss_config=dict(r1_use_apex_amp=False,
                             g_reg_use_apex_amp=False))), _optim()),
}

SYNTHESIS_T = dict(
    type='SynthesisNetwork',
    channel_base=32768,
    channel_max=512,
    magnitude_ema_beta=0.999)
SYNTHESIS_T_256 = dict(SYNTHESIS_T, channel_base=16384)
SYNTHESIS_R = dict(
    type='SynthesisNetwork',
    channel_base=65536,
    channel_max=1024,
    magnitude_ema_beta=0.999,
    conv_kernel=1,
    use_radial_filters=True)
SG3_BASE = dict(
    type='StyleGAN3',
    data_preprocessor=dict(type='DataPreprocessor'),
    generator=dict(
        type='StyleGANv3Generator',
        noise_size=512,
        style_channels=512,
        out_size=None,
        img_channels=3),
    discriminator=dict(type='StyleGAN2Discriminator', in_size=None),
    ema_config=dict(type='ExponentialMovingAverage'),
    loss_config=LOSS_CONFIG)


def _sg3_ada(synthesis, gamma):
    return _merge(
        SG3_BASE,
        dict(
            generator=dict(
                out_size=1024,
                img_channels=3,
                rgb2bgr=True,
                synthesis_cfg=synthesis),
            discriminator=dict(
                type='ADAStyleGAN2Discriminator',
                in_size=1024,
                input_bgr2rgb=True,
                data_aug=dict(
                    type='ADAAug', aug_pipeline=ADA_PIPELINE, ada_kimg=100)),
            loss_config=dict(
                r1_loss_weight=gamma / 2.0 * D_REG,
                r1_interval=D_REG,
                norm_mode='HWC'),
            ema_config=dict(
                type='ExponentialMovingAverage',
                interval=1,
                momentum=EMA_BETA,
                start_iter=0)))


def _sg3_noaug(size, synthesis, gamma, batch_size, **disc):
    return _merge(
        SG3_BASE,
        dict(
            generator=dict(
                out_size=size, img_channels=3, synthesis_cfg=synthesis),
            discriminator=dict(in_size=size, **disc),
            loss_config=dict(r1_loss_weight=gamma / 2.0 * D_REG),
            ema_config=dict(
                type='RampUpEMA',
                interval=1,
                ema_kimg=10,
                ema_rampup=0.05,
                batch_size=batch_size,
                eps=1e-8,
                start_iter=0)))


def _sg3_cvt(size, synthesis, **disc):
    return _merge(
        SG3_BASE,
        dict(
            generator=dict(
                out_size=size,
                img_channels=3,
                rgb2bgr=True,
                synthesis_cfg=synthesis),
            discriminator=dict(
                type='StyleGAN2Discriminator', in_size=size, **disc)))


SG3_OPTIM = _optim(g_lr=0.0025)
SG3_CONFIGS = {
    'stylegan3-t_ada-gamma6.6_8xb4-fp16_metfaces-1024x1024':
    (_sg3_ada(SYNTHESIS_T, 6.6), SG3_OPTIM),
    'stylegan3-r_ada-gamma3.3_8xb4-fp16_metfaces-1024x1024':
    (_sg3_ada(SYNTHESIS_R, 3.3), SG3_OPTIM),
    'stylegan3-t_gamma2.0_8xb4-fp16-noaug_ffhq-256x256': (_sg3_noaug(
        256, SYNTHESIS_T_256, 2., 32, channel_multiplier=1), SG3_OPTIM),
    'stylegan3-t_gamma32.8_8xb4-fp16-noaug_ffhq-1024x1024':
    (_sg3_noaug(1024, SYNTHESIS_T, 32.8, 32), SG3_OPTIM),
    'stylegan3-t_cvt-official-rgb_8xb4_ffhq-1024x1024':
    (_sg3_cvt(1024, SYNTHESIS_T), None),
    'stylegan3-t_cvt-official-rgb_8xb4_ffhqu-256x256':
    (_sg3_cvt(256, SYNTHESIS_T_256, channel_multiplier=1), None),
    'stylegan3-t_cvt-official-rgb_8xb4_afhqv2-512x512':
    (_sg3_cvt(512, SYNTHESIS_T), None),
    'stylegan3-r_cvt-official-rgb_8xb4_ffhq-1024x1024':
    (_sg3_cvt(1024, SYNTHESIS_R), None),
    'stylegan3-r_cvt-official-rgb_8xb4_ffhqu-256x256':
    (_sg3_cvt(256, SYNTHESIS_R, channel_multiplier=1), None),
    'stylegan3-r_cvt-official-rgb_8xb4x8_afhqv2-512x512':
    (_sg3_cvt(512, SYNTHESIS_R), None),
}


def _tiny(model: dict) -> dict:
    """The same config at a CPU-test size: only resolutions and widths."""
    model = copy.deepcopy(model)
    gen, disc = model['generator'], model['discriminator']
    if model['type'] == 'StyleGAN2':
        gen.update(
            out_size=8,
            style_channels=8,
            num_mlps=1,
            channel_base=64,
            channel_max=8)
        disc.update(in_size=8)
    else:
        gen.update(out_size=16, style_channels=8, noise_size=8)
        gen['synthesis_cfg'] = dict(
            gen['synthesis_cfg'],
            channel_base=128,
            channel_max=8,
            num_layers=4,
            num_critical=2)
        disc.update(in_size=16)
    if 'channel_multiplier' not in disc:  # its table would be 512 wide
        disc.update(channel_base=64, channel_max=8)
    return model


def _batch(size):
    torch.manual_seed(0)
    return dict(
        inputs=torch.randint(0, 256, (2, 3, size, size), dtype=torch.uint8))


def _build_optim(model, optim_wrapper):
    cfg = copy.deepcopy(optim_wrapper)
    constructor = cfg.pop('constructor')
    return OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(type=constructor, optim_wrapper_cfg=cfg))(
            model)


def test_there_are_19_configs():
    assert len(SG2_CONFIGS) + len(SG3_CONFIGS) == 19


@pytest.mark.parametrize('name', sorted(SG2_CONFIGS))
def test_stylegan2_config_builds_and_trains_one_step(name):
    model_cfg, optim_cfg = SG2_CONFIGS[name]
    model_cfg = _tiny(model_cfg)
    assert check_module_cfg(model_cfg, MODELS, 'model') == []
    model = MODELS.build(model_cfg)
    amp = any(
        isinstance(v, dict) and v.get('type') == 'AmpOptimWrapper'
        for v in optim_cfg.values())
    if amp and not torch.cuda.is_available() and not cpu_has_fast_bfloat16():
        # On a CPU that only emulates bfloat16 an AMP config is refused with
        # the fix; with that fix (force_bf16) it trains as on other devices.
        with pytest.raises(RuntimeError, match='force_bf16=True'):
            _build_optim(model, optim_cfg)
        optim_cfg = copy.deepcopy(optim_cfg)
        for key in ('generator', 'discriminator'):
            optim_cfg[key]['force_bf16'] = True
    wrappers = _build_optim(model, optim_cfg)
    # MMagic's lr/betas are already scaled: used as written, not twice.
    for name_, ratio in (('generator', G_RATIO), ('discriminator', D_RATIO)):
        group = wrappers[name_].optimizer.param_groups[0]
        assert group['lr'] == pytest.approx(0.002 * ratio, rel=1e-12)
        assert group['betas'][1] == pytest.approx(0.99**ratio, rel=1e-12)
    before = {k: v.clone() for k, v in model.generator.state_dict().items()}
    log = model.train_step(_batch(8), wrappers)
    for key in ('loss_G', 'loss_D', 'loss_D_r1', 'loss_G_pl'):
        assert torch.isfinite(log[key]), key
    changed = [
        k for k, v in model.generator.state_dict().items()
        if not torch.equal(v, before[k])
    ]
    assert changed  # G really stepped


@pytest.mark.parametrize('name', sorted(SG3_CONFIGS))
def test_stylegan3_config_builds(name):
    model_cfg, optim_cfg = SG3_CONFIGS[name]
    model_cfg = _tiny(model_cfg)
    assert check_module_cfg(model_cfg, MODELS, 'model') == []
    model = MODELS.build(model_cfg)
    gamma = model_cfg['loss_config']['r1_loss_weight'] * 2 / D_REG
    assert model.r1_gamma == pytest.approx(gamma)
    with torch.no_grad():
        img = model.generator(torch.randn(2, 8))
        assert img.shape == (2, 3, 16, 16)
        assert model.discriminator(img).shape == (2, 1)
    if optim_cfg is not None:
        _build_optim(model, optim_cfg)


def test_ada_stylegan3_config_moves_over_with_its_meaning():
    name = 'stylegan3-t_ada-gamma6.6_8xb4-fp16_metfaces-1024x1024'
    model = MODELS.build(_tiny(SG3_CONFIGS[name][0]))
    assert model.ema_start == 0  # popped from ema_config
    assert model.discriminator.data_aug.ada_kimg == 100
    # rgb2bgr / input_bgr2rgb bridge MMagic's BGR data; ours is RGB.
    torch.manual_seed(0)
    z = torch.randn(1, 8)
    plain = MODELS.build(
        dict(_tiny(SG3_CONFIGS[name][0])['generator'], rgb2bgr=False))
    plain.load_state_dict(model.generator.state_dict())
    torch.testing.assert_close(model.generator(z), plain(z))
    # MMagic's StyleGAN3 keeps the base config's path-length term.
    assert (model.pl_weight, model.pl_interval) == (2.0, 4)
    log = model.train_step(
        _batch(16), _build_optim(model, SG3_CONFIGS[name][1]))
    assert torch.isfinite(log['loss_G_pl']) and torch.isfinite(
        log['loss_D_r1'])


def test_the_four_other_configs_fail_with_the_reason():
    # quicktest fp16 / fp16-global: a model key MMagic's StyleGAN2 does not
    # take either (an MMGeneration 0.x loss module).
    quick = _merge(
        SG2_FFHQ_256,
        dict(
            generator=dict(num_fp16_scales=4),
            discriminator=dict(num_fp16_scales=4)))
    quick['disc_auxiliary_loss'] = dict(
        data_info=dict(loss_scaler='loss_scaler'))
    problems = check_module_cfg(_tiny(quick), MODELS, 'model')
    assert len(problems) == 1 and 'model.disc_auxiliary_loss' in problems[0]
    # quicktest apex-fp16: D without input casts under apex O1.
    apex = _merge(SG2_FFHQ_256,
                  dict(discriminator=dict(convert_input_fp32=False)))
    with pytest.raises(MMagicArgumentError, match='convert_input_fp32'):
        MODELS.build(_tiny(apex))
    # lion: fixed_noise=True on G.
    lion = _merge(
        _sg2(512),
        dict(
            generator=dict(
                update_mean_latent_with_ema=True,
                bgr2rgb=False,
                fixed_noise=True)))
    with pytest.raises(MMagicArgumentError, match='fixed_noise'):
        MODELS.build(_tiny(lion))
