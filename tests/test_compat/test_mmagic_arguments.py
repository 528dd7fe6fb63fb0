# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Each MMagic argument does what MMagic's does, or is refused with why."""
import logging
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MMLogger
from mmengine.model import BaseModel
from mmengine.registry import init_default_scope
from torch import autograd

from mmgen_ada.engine.config_validation import check_module_cfg
from mmgen_ada.engine.hooks import ADAHook, APAHook, GeneratorEMAHook
from mmgen_ada.engine.runner import GANRunner
from mmgen_ada.models import ADAAug, GANDataPreprocessor, RampUpEMA
from mmgen_ada.models.apa import APA
from mmgen_ada.models.mmagic_compat import MMagicArgumentError
from mmgen_ada.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from mmgen_ada.testing import TINY_STYLEGAN2_D_CFG, TINY_STYLEGAN2_G_CFG

init_default_scope('mmgen_ada')
G_CFG, D_CFG = dict(TINY_STYLEGAN2_G_CFG), dict(TINY_STYLEGAN2_D_CFG)


def _seeded(cfg, **kwargs):
    torch.manual_seed(0)
    return MODELS.build(dict(cfg, **kwargs))


def test_blur_kernel_is_resample_filter():
    z = torch.randn(2, 8)
    a = _seeded(G_CFG, blur_kernel=[1, 2, 1])
    b = _seeded(G_CFG, resample_filter=(1, 2, 1))
    c = _seeded(G_CFG)
    torch.manual_seed(1)
    out_a = a(z, noise_mode='const')
    out_b = b(z, noise_mode='const')
    torch.testing.assert_close(out_a, out_b, rtol=0, atol=0)
    assert not torch.equal(out_a, c(z, noise_mode='const'))  # can fail
    img = torch.randn(2, 3, 8, 8)
    torch.testing.assert_close(
        _seeded(D_CFG, blur_kernel=[1, 2, 1])(img),
        _seeded(D_CFG, resample_filter=(1, 2, 1))(img),
        rtol=0,
        atol=0)
    with pytest.raises(MMagicArgumentError, match='give only one'):
        MODELS.build(
            dict(G_CFG, blur_kernel=[1, 2, 1], resample_filter=(1, 3, 1)))


def test_mbstd_cfg_is_group_size_and_channels():
    img = torch.randn(4, 3, 8, 8)
    ours = _seeded(D_CFG, mbstd_group_size=4, mbstd_num_channels=1)
    theirs = _seeded(D_CFG, mbstd_cfg=dict(group_size=4, channel_groups=1))
    torch.testing.assert_close(theirs(img), ours(img), rtol=0, atol=0)
    two = _seeded(D_CFG, mbstd_cfg=dict(group_size=2, channel_groups=2))
    assert (two.epilogue.mbstd.group_size,
            two.epilogue.mbstd.num_channels) == (2, 2)
    for bad, match in ((dict(sync_std=True), 'sync_std'),
                       (dict(group_sizes=4),
                        'unknown mbstd_cfg'), (dict(eps=1e-6), 'eps')):
        with pytest.raises(MMagicArgumentError, match=match):
            MODELS.build(dict(D_CFG, mbstd_cfg=bad))


def test_fp16_enabled_is_every_scale():
    g = MODELS.build(dict(G_CFG, fp16_enabled=True))
    flags = [
        b.use_fp16 for b in g.synthesis.children() if hasattr(b, 'use_fp16')
    ]
    assert flags == [False, True]  # 4x4 stays float32, as NVlabs
    d = MODELS.build(dict(D_CFG, fp16_enabled=True))
    assert [d.b8.use_fp16] == [True]
    d = MODELS.build(dict(D_CFG, fp16_enabled=False))
    assert [d.b8.use_fp16] == [False]


def test_refused_values_say_why():
    cases = [
        (D_CFG, dict(out_fp32=False), 'logits are always float32'),
        (D_CFG, dict(convert_input_fp32=False), 'cast their input'),
        (G_CFG, dict(eval_style_mode='mix'), 'style_mixing.py'),
        (G_CFG, dict(default_style_mode='mixed'), 'default_style_mode'),
        (G_CFG, dict(fixed_noise=True), "noise_mode='const'"),
    ]
    for cfg, kwargs, match in cases:
        with pytest.raises(MMagicArgumentError, match=match):
            MODELS.build(dict(cfg, **kwargs))
    assert issubclass(MMagicArgumentError, ValueError)


def test_style_modes_norm_eps_and_mean_latent():
    assert MODELS.build(dict(G_CFG, default_style_mode='single')).mix_prob \
        == 0
    assert MODELS.build(dict(G_CFG, mix_prob=0.5)).mix_prob == 0.5
    g = MODELS.build(
        dict(G_CFG, norm_eps=1e-6, update_mean_latent_with_ema=True))
    assert g.mapping.eps == 1e-6 and g.w_avg.shape == (8, )
    # The eps enters z's 2nd-moment normalisation: z * rsqrt(mean z^2 + e).
    seen = []
    big = _seeded(G_CFG, norm_eps=0.03)
    big.mapping.fc0.register_forward_pre_hook(
        lambda module, args: seen.append(args[0]))
    big.mapping(torch.full((1, 8), 0.1))
    torch.testing.assert_close(seen[0], torch.full((1, 8), 0.1 / 0.2))


def test_colour_flags_change_nothing_on_rgb_data():
    z, img = torch.randn(2, 8), torch.randn(2, 3, 8, 8)
    flagged = _seeded(G_CFG, bgr2rgb=True)
    torch.testing.assert_close(
        flagged(z, noise_mode='const'),
        _seeded(G_CFG)(z, noise_mode='const'),
        rtol=0,
        atol=0)
    torch.testing.assert_close(
        _seeded(D_CFG, input_bgr2rgb=True)(img),
        _seeded(D_CFG)(img),
        rtol=0,
        atol=0)


def test_pretrained_loads_a_prefix_of_our_checkpoint(tmp_path):
    source = _seeded(G_CFG)
    path = tmp_path / 'ckpt.pth'
    torch.save(
        dict(state_dict={
            f'generator_ema.{k}': v
            for k, v in source.state_dict().items()
        }), path)
    torch.manual_seed(5)
    loaded = MODELS.build(
        dict(
            G_CFG,
            pretrained=dict(ckpt_path=str(path), prefix='generator_ema')))
    for k, v in source.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v), k
    with pytest.raises(MMagicArgumentError, match='no tensors under'):
        MODELS.build(
            dict(
                G_CFG,
                pretrained=dict(ckpt_path=str(path), prefix='generator')))
    with pytest.raises(Exception, match='ckpt.pth'):  # D does not fit
        MODELS.build(
            dict(
                D_CFG,
                pretrained=dict(ckpt_path=str(path), prefix='generator_ema')))


def test_data_preprocessor_is_mmagic_normalisation():
    data = dict(inputs=torch.randint(0, 256, (2, 3, 4, 4), dtype=torch.uint8))
    ours = GANDataPreprocessor()(data)['inputs']
    theirs = MODELS.build(dict(type='DataPreprocessor'))(data)['inputs']
    assert torch.equal(ours, theirs)
    assert MODELS.get('GenDataPreprocessor') is MODELS.get('DataPreprocessor')
    custom = MODELS.build(
        dict(type='DataPreprocessor', mean=[0, 10, 20], std=[255, 2, 1]))
    x = data['inputs'].float()
    expected = (x - torch.tensor([0., 10, 20]).view(3, 1, 1)) / torch.tensor(
        [255., 2, 1]).view(3, 1, 1)
    torch.testing.assert_close(custom(data)['inputs'], expected)
    for kwargs, match in ((dict(output_channel_order='BGR'), 'RGB here'),
                          (dict(pad_size_divisor=32),
                           'not padded'), (dict(bgr_to_rgb=True), 'stay RGB')):
        with pytest.raises(MMagicArgumentError, match=match):
            MODELS.build(dict(type='DataPreprocessor', **kwargs))


def test_ramp_up_ema_closed_form():
    src = nn.Linear(1, 1, bias=False)
    ema = RampUpEMA(src, ema_kimg=0.01, ema_rampup=0.5, batch_size=4)
    expected = None
    for k in range(4):
        with torch.no_grad():
            src.weight.fill_(float(k + 1))
        ema.update_parameters(src)
        if k == 0:
            expected = 1.  # mmengine's first update copies
        else:
            nimg = min(10., (k + 1) * 4 * 0.5)  # MMagic: (steps + 1) * bs
            beta = 0.5**(4 / nimg)
            expected = beta * expected + (1 - beta) * (k + 1)
        assert float(ema.module.weight) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match='model.ema_config.start_iter'):
        RampUpEMA(src, start_iter=3)


def test_ema_start_iter_copies_before_and_averages_after():
    model = MODELS.build(
        dict(
            type='StyleGAN2',
            generator=G_CFG,
            discriminator=D_CFG,
            ema_config=dict(
                type='ExponentialMovingAverage',
                momentum=0.5,
                interval=1,
                start_iter=2)))
    assert model.ema_start == 2
    runner = SimpleNamespace(
        model=model, train_dataloader=SimpleNamespace(batch_size=4), iter=0)
    hook = GeneratorEMAHook()
    hook.before_train(runner)
    weight = model.generator.mapping.fc0.weight
    for it, copied in ((0, True), (1, False), (2, False)):
        runner.iter = it
        with torch.no_grad():
            weight.add_(1.)
        before = model.generator_ema.module.mapping.fc0.weight.clone()
        hook.after_train_iter(runner, batch_idx=it)
        after = model.generator_ema.module.mapping.fc0.weight
        if copied:
            assert torch.equal(after, weight)
            assert int(model.generator_ema.steps) == 0
        elif it == 1:  # mmengine's first update is a copy too
            assert torch.equal(after, weight)
        else:  # momentum 0.5: halfway between
            torch.testing.assert_close(after, (before + weight) / 2)
    # The validation knows the model reads start_iter itself.
    cfg = dict(
        type='StyleGAN2',
        generator=G_CFG,
        discriminator=D_CFG,
        ema_config=dict(type='RampUpEMA', start_iter=0, batch_sz=4))
    problems = check_module_cfg(cfg, MODELS, 'model')
    assert len(problems) == 1 and 'ema_config.batch_sz' in problems[0]


def _model(**kwargs):
    return MODELS.build(
        dict(type='StyleGAN2', generator=G_CFG, discriminator=D_CFG, **kwargs))


def test_r1_pixel_norm_is_mmagics():
    torch.manual_seed(0)
    img = torch.randn(2, 3, 8, 8, requires_grad=True)
    for norm_mode in ('pixel', None, 'HWC'):
        loss_config = dict(r1_loss_weight=80., r1_interval=16)
        if norm_mode:
            loss_config['norm_mode'] = norm_mode
        model = _model(loss_config=loss_config)
        logits = model.discriminator(img)
        loss = model._r1_loss(logits, img, dict(r1_penalty=[], loss_D_r1=[]))
        grad, = autograd.grad(logits.sum(), img, retain_graph=True)
        if norm_mode == 'HWC':
            penalty = grad.pow(2).reshape(2, -1).sum(1).mean()
        else:  # MMagic's default: ((grad.norm(2, dim=1)) ** 2).mean()
            penalty = (grad.norm(2, dim=1)**2).mean()
        torch.testing.assert_close(loss, penalty * 5.)  # gamma / 2 = 5
    assert _model(loss_config=dict(scale_r1_loss=True)).r1_gamma == 10


def test_steps_and_forward_kwargs():
    with pytest.raises(MMagicArgumentError, match='one generator and one'):
        _model(discriminator_steps=2)
    sg3 = dict(
        type='StyleGAN3',
        r1_gamma=1.,
        generator=dict(
            type='StyleGANv3Generator',
            out_size=16,
            style_channels=8,
            synthesis_cfg=dict(
                channel_base=128, channel_max=8, num_layers=4,
                num_critical=2)),
        discriminator=dict(D_CFG, in_size=16))
    MODELS.build(
        dict(
            sg3,
            forward_kwargs=dict(
                disc=dict(update_emas=True, force_fp32=False))))
    with pytest.raises(MMagicArgumentError, match='discriminator phase'):
        MODELS.build(dict(sg3, forward_kwargs=dict(gen=dict(force_fp32=True))))


def test_prescaled_lr_and_betas_are_not_scaled_twice():
    model = _model()
    ratio = 4 / 5
    written = dict(
        generator=dict(
            optimizer=dict(
                type='Adam', lr=0.002 * ratio, betas=(0, 0.99**ratio))))
    with pytest.raises(ValueError, match='look already scaled'):
        OPTIM_WRAPPER_CONSTRUCTORS.build(
            dict(
                type='LazyRegOptimWrapperConstructor',
                optim_wrapper_cfg=written))(
                    model)
    for cfg in (dict(
            type='MultiOptimWrapperConstructor', optim_wrapper_cfg=written),
                dict(
                    type='LazyRegOptimWrapperConstructor',
                    optim_wrapper_cfg=dict(written, lr_betas_prescaled=True))):
        group = OPTIM_WRAPPER_CONSTRUCTORS.build(cfg)(
            model)['generator'].optimizer.param_groups[0]
        assert group['lr'] == 0.002 * ratio
        assert group['betas'] == (0., 0.99**ratio)
    paper = dict(
        generator=dict(optimizer=dict(type='Adam', lr=0.002, betas=(0, 0.99))))
    group = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(type='LazyRegOptimWrapperConstructor', optim_wrapper_cfg=paper))(
            model)['generator'].optimizer.param_groups[0]
    assert group['lr'] == pytest.approx(0.002 * ratio)


class _TinyADAModel(BaseModel):
    """A linear critic on ADA-augmented inputs that records its logits."""

    def __init__(self):
        super().__init__()
        self.critic = nn.Linear(3, 1)
        self.data_aug = ADAAug(
            aug_pipeline=dict(xflip=1, rotate90=1),
            update_interval=2,
            augment_initial_p=0.1,
            ada_kimg=0.02)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        x = self.data_aug(torch.stack(list(inputs)).float())
        logits = self.critic(x.mean(dim=(2, 3)))
        if mode == 'loss':
            self.data_aug.record(logits)
            return dict(loss=-logits.mean())
        return logits


class _Images(torch.utils.data.Dataset):

    def __len__(self):
        return 16

    def __getitem__(self, idx):
        return dict(inputs=torch.full((3, 4, 4), 0.5))


def _train(tmp_path, name, custom_hooks, max_iters=4, resume_from=None):
    torch.manual_seed(0)
    runner = GANRunner(
        model=_TinyADAModel(),
        work_dir=str(tmp_path / name),
        experiment_name=name,
        train_dataloader=dict(
            dataset=_Images(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=4,
            num_workers=0,
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        custom_hooks=custom_hooks,
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=2,
                            by_epoch=False),
            logger=None),
        load_from=resume_from,
        resume=resume_from is not None,
        default_scope='mmgen_ada',
        log_level='WARNING')
    runner.train()
    return runner


def test_ada_without_adahook_still_adapts_p(tmp_path):
    auto = _train(tmp_path, 'auto', [])
    assert sum(isinstance(h, ADAHook) for h in auto.hooks) == 1
    assert auto.model.data_aug.p != pytest.approx(0.1)  # p moved
    explicit = _train(tmp_path, 'explicit', [dict(type='ADAHook')])
    assert sum(isinstance(h, ADAHook) for h in explicit.hooks) == 1
    assert auto.model.data_aug.p == explicit.model.data_aug.p
    # Resume with the added hook continues exactly (p and pending stats).
    first = _train(tmp_path, 'first', [], max_iters=3)
    assert first.model.data_aug.sign_stats().tolist()[1] == 4.0  # pending
    resumed = _train(tmp_path, 'resumed', [], max_iters=4,
                     resume_from=str(tmp_path / 'first' / 'iter_2.pth'))
    assert resumed.model.data_aug.p == auto.model.data_aug.p


def test_ema_hook_warns_when_rampup_batch_is_not_the_runs():
    model = _model(ema_config=dict(type='RampUpEMA', batch_size=32))
    runner = SimpleNamespace(
        model=model, train_dataloader=SimpleNamespace(batch_size=4), iter=0)
    with _CapturedLog() as messages:
        GeneratorEMAHook().before_train(runner)
    assert any('global batch of 32' in m and 'trains on 4' in m
               for m in messages)
    assert model.generator_ema.batch_size == 32  # used as configured


class _CapturedLog:
    """Collect the messages mmengine's current logger prints."""

    def __enter__(self):
        self.messages = []
        self.logger = MMLogger.get_current_instance()
        self.handler = logging.Handler()
        self.handler.emit = lambda record: self.messages.append(record.
                                                                getMessage())
        self.logger.addHandler(self.handler)
        return self.messages

    def __exit__(self, *exc):
        self.logger.removeHandler(self.handler)


class _TinyADAAPAModel(_TinyADAModel):
    """The ADA model with an APA module too (as the ADA+APA configs)."""

    def __init__(self):
        super().__init__()
        self.apa = APA(kimg=0.02, update_interval=2)


@pytest.mark.parametrize('hooks', [
    [dict(type='APAHook')],
    [dict(type='ADAHook')],
    [],
    [dict(type='ADAHook'), dict(type='APAHook')],
])
def test_apa_hook_does_not_count_as_the_ada_hook(tmp_path, hooks):
    """Each of ADAAug and APA gets exactly one hook of its own type, listed
    or added: APAHook subclasses ADAHook but never updates an ADAAug's p."""
    runner = GANRunner(
        model=_TinyADAAPAModel(),
        work_dir=str(tmp_path),
        custom_hooks=hooks,
        default_scope='mmgen_ada',
        log_level='WARNING')
    types = [type(h) for h in runner.hooks]
    assert types.count(ADAHook) == 1
    assert types.count(APAHook) == 1
