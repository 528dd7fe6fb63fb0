# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The StyleGAN2 training algorithm on tiny networks (CPU)."""
import contextlib

import pytest
import torch
from mmengine.optim import OptimWrapperDict
from mmengine.registry import init_default_scope

from mmgen_ada.engine.optimizers import GANOptimWrapper
from mmgen_ada.models import StyleGAN2
from mmgen_ada.testing import TINY_STYLEGAN2_D_CFG, TINY_STYLEGAN2_G_CFG

init_default_scope('mmgen_ada')

G_CFG = dict(TINY_STYLEGAN2_G_CFG)
D_CFG = dict(TINY_STYLEGAN2_D_CFG)


class SpyOptimWrapper(GANOptimWrapper):
    """Records the loss of every backward and counts optimizer steps."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.losses, self.steps = [], 0

    def backward(self, loss, **kwargs):
        self.losses.append(float(loss.detach()))
        super().backward(loss, **kwargs)

    def step(self, **kwargs):
        self.steps += 1
        super().step(**kwargs)


def _model(**kwargs):
    kwargs.setdefault('ema_config',
                      dict(type='StyleGANEMA', ema_kimg=0.01, batch_size=4))
    return StyleGAN2(
        generator=dict(G_CFG, **kwargs.pop('g', {})),
        discriminator=dict(D_CFG, **kwargs.pop('d', {})),
        **kwargs)


def _wrappers(model):
    return OptimWrapperDict(
        generator=SpyOptimWrapper(
            torch.optim.Adam(
                model.generator.parameters(), lr=1e-3, betas=(0.0, 0.99))),
        discriminator=SpyOptimWrapper(
            torch.optim.Adam(
                model.discriminator.parameters(), lr=1e-3, betas=(0.0, 0.99))))


def _batch(n=4, labels=None):
    torch.manual_seed(123)
    data = dict(inputs=[
        torch.randint(0, 256, (3, 8, 8), dtype=torch.uint8) for _ in range(n)
    ])
    if labels is not None:
        data['data_samples'] = [dict(label=lab) for lab in labels]
    return data


def _floats(log_vars):
    return {key: float(value) for key, value in log_vars.items()}


def test_lazy_phases_schedule_and_weights():
    torch.manual_seed(0)
    model = _model(r1_gamma=3.0, r1_interval=2, pl_weight=2.0, pl_interval=3)
    optim = _wrappers(model)
    g, d = optim['generator'], optim['discriminator']
    g_backwards, d_backwards = [], []
    for it in range(4):
        g.losses.clear()
        d.losses.clear()
        log = _floats(model.train_step(_batch(), optim))
        g_backwards.append(len(g.losses))
        d_backwards.append(len(d.losses))
        if it in (0, 3):  # Greg: pl_weight * pl_interval * mean penalty
            assert log['loss_G_pl'] == pytest.approx(
                2.0 * log['pl_penalty'], rel=1e-6)
            assert g.losses[1] == pytest.approx(3 * log['loss_G_pl'], rel=1e-6)
        else:
            assert 'loss_G_pl' not in log
        if it in (0, 2):  # Dreg: gamma / 2 * r1_interval * mean penalty
            assert log['loss_D_r1'] == pytest.approx(
                1.5 * log['r1_penalty'], rel=1e-6)
            assert d.losses[2] == pytest.approx(2 * log['loss_D_r1'], rel=1e-6)
        assert g.losses[0] == pytest.approx(log['loss_G'], rel=1e-6)
        # Dmain back-propagates its fake term, then its real term.
        assert d.losses[0] + d.losses[1] == pytest.approx(
            log['loss_D'], rel=1e-6)
    assert g_backwards == [2, 1, 1, 2]
    assert d_backwards == [3, 2, 3, 2]
    assert g.steps == 6 and d.steps == 6
    assert int(model.num_batches) == 4 and int(model.cur_nimg) == 16
    assert log['kimg'] == pytest.approx(0.016)
    assert float(model.pl_mean) > 0
    assert model.lazy_reg_intervals == dict(generator=3, discriminator=2)


def test_non_lazy_regularisation_adds_penalties_to_main_loss():
    torch.manual_seed(0)
    model = _model(
        r1_gamma=3.0, r1_interval=None, pl_weight=2.0, pl_interval=None)
    optim = _wrappers(model)
    log = _floats(model.train_step(_batch(), optim))
    g, d = optim['generator'], optim['discriminator']
    assert len(g.losses) == 1 and len(d.losses) == 2  # Dmain: fake, real
    assert g.losses[0] == pytest.approx(
        log['loss_G'] + log['loss_G_pl'], rel=1e-6)
    assert d.losses[0] + d.losses[1] == pytest.approx(
        log['loss_D'] + log['loss_D_r1'], rel=1e-6)
    assert model.lazy_reg_intervals == dict(generator=None, discriminator=None)


def test_disabled_regularisers_skip_their_phases():
    model = _model(r1_gamma=0.0, pl_weight=0.0)
    optim = _wrappers(model)
    log = model.train_step(_batch(), optim)
    assert 'loss_D_r1' not in log and 'loss_G_pl' not in log
    assert optim['generator'].steps == 1 and optim['discriminator'].steps == 1


def test_ada_records_real_passes_and_counts_each_real_once():
    torch.manual_seed(0)
    model = _model(
        d=dict(
            type='ADAStyleGAN2Discriminator',
            data_aug=dict(
                type='ADAAug', aug_pipeline='bgc', augment_initial_p=0.3)),
        r1_interval=1)
    recorded = []
    aug = model.discriminator.data_aug
    original = aug.record

    def spy(logits, repeated_reals=False):
        recorded.append((tuple(logits.shape), repeated_reals,
                         torch.sign(logits).sum().item()))
        original(logits, repeated_reals)

    aug.record = spy
    model.train_step(_batch(), _wrappers(model))
    # As the reference: Dmain's real pass and the lazy R1 pass (every
    # iteration here) both feed r_t, the R1 pass marked as the same reals
    # again; the fake passes do not.
    assert [r[:2] for r in recorded] == [((4, 1), False), ((4, 1), True)]
    sign_sum, count, num_images = aug.sign_stats().tolist()
    assert sign_sum == sum(r[2] for r in recorded)
    assert (count, num_images) == (8, 4)  # the step counts 4 images


def test_nonfinite_gradients_are_zeroed_and_counted():
    torch.manual_seed(0)
    model = _model(pl_weight=0.0, r1_gamma=0.0)
    param = model.generator.synthesis.parameters().__next__()
    param.register_hook(lambda grad: torch.full_like(grad, float('nan')))
    before = param.detach().clone()
    log = model.train_step(_batch(), _wrappers(model))
    assert log['nonfinite_grads_G'] == param.numel()
    assert log['nonfinite_grads_D'] == 0
    # nan -> 0: Adam with a zero gradient and empty moments leaves it alone.
    assert torch.equal(param.detach(), before)
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_frozen_parameters_stay_frozen():
    # A parameter frozen by the network (requires_grad False at build time)
    # is not switched on by the phases' requires_grad toggling.
    model = _model()
    frozen = next(model.discriminator.parameters())
    frozen.requires_grad_(False)
    model._trainable['discriminator'] = model._trainable_names(
        model.discriminator)
    before = frozen.detach().clone()
    model.train_step(_batch(), _wrappers(model))
    assert not frozen.requires_grad
    assert torch.equal(frozen.detach(), before)
    assert all(p.requires_grad for p in model.generator.parameters())


def test_w_avg_tracked_during_training():
    model = _model()
    before = model.generator.w_avg.clone()
    model.train_step(_batch(), _wrappers(model))
    assert not torch.equal(model.generator.w_avg, before)


def test_conditional_model_uses_labels():
    torch.manual_seed(0)
    model = _model(g=dict(cond_size=3), d=dict(cond_size=3))
    assert model.label_dim == 3
    labels = list(torch.eye(3)[[0, 1, 2, 0]])
    log = model.train_step(_batch(labels=labels), _wrappers(model))
    assert torch.isfinite(log['loss_D'])
    with pytest.raises(ValueError, match='no labels'):
        model.train_step(_batch(), _wrappers(model))
    z = model.sample_z(2)
    assert model.generate(z, torch.eye(3)[:2]).shape == (2, 3, 8, 8)
    with pytest.raises(ValueError, match='conditional'):
        model.generate(z)


def test_generate_uses_ema_and_predict_mode():
    torch.manual_seed(0)
    model = _model()
    z = model.sample_z(3)
    assert z.shape == (3, 8)
    with torch.no_grad():
        for p in model.generator.parameters():
            p.add_(0.5)
    ema_img = model.generate(z)
    g_img = model.generate(z, use_ema=False)
    assert ema_img.shape == (3, 3, 8, 8)
    assert not torch.allclose(ema_img, g_img)
    assert torch.equal(ema_img,
                       model.generator_ema.module(z, noise_mode='const'))
    # Deterministic with const noise.
    assert torch.equal(ema_img, model.generate(z))
    outputs = model.val_step(_batch(n=2))
    assert len(outputs) == 2 and outputs[0]['fake_img'].shape == (3, 8, 8)
    with pytest.raises(ValueError, match="mode='predict'"):
        model(torch.zeros(1, 3, 8, 8), mode='loss')

    no_ema = _model(ema_config={})
    assert no_ema.generator_ema is None
    with pytest.raises(ValueError, match='no generator_ema'):
        no_ema.generate(z)


def test_mmagic_loss_config():
    model = _model(
        loss_config=dict(
            r1_loss_weight=10.0 / 2 * 16,
            r1_interval=16,
            g_reg_interval=4,
            g_reg_weight=2.0 * 4,
            pl_batch_shrink=2,
            norm_mode='HWC'))
    assert model.r1_gamma == pytest.approx(10.0)
    assert model.pl_weight == pytest.approx(2.0)
    assert (model.r1_interval, model.pl_interval) == (16, 4)
    with pytest.raises(KeyError, match='r1_loss_weight'):
        _model(loss_config=dict(r1_weight=1.0))
    with pytest.raises(ValueError, match='norm_mode'):
        _model(loss_config=dict(norm_mode='L2'))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='r1_interval'):
        _model(r1_interval=0)
    with pytest.raises(ValueError, match='pl_batch_shrink'):
        _model(pl_batch_shrink=0)
    with pytest.raises(ValueError, match='r1_gamma'):
        _model(r1_gamma=-1.0)


def test_same_losses_and_weights_as_baseline_path():
    # The per-device modulated convolution and Dmain's separate fake/real
    # backward passes change only float rounding: at a fixed seed two
    # iterations (all four phases, ADA at p=0.5) give the losses and weights
    # of the pre-issue-16 computations (baseline_path).
    from mmgen_ada.models.stylegan2.baseline_path import baseline_path
    ada = dict(
        type='ADAStyleGAN2Discriminator',
        data_aug=dict(type='ADAAug', aug_pipeline='bgc',
                      augment_initial_p=0.5))
    runs = []
    for baseline in (True, False):
        torch.manual_seed(0)
        model = _model(r1_interval=2, pl_interval=2, d=ada)
        optim = _wrappers(model)
        torch.manual_seed(1)
        with (baseline_path() if baseline else contextlib.nullcontext()):
            logs = [_floats(model.train_step(_batch(), optim))
                    for _ in range(2)]
        runs.append((logs, {k: v.clone() for k, v in
                            model.state_dict().items()}))
    (logs_old, state_old), (logs_new, state_new) = runs
    assert 'loss_G_pl' in logs_new[0] and 'loss_D_r1' in logs_new[0]
    for old, new in zip(logs_old, logs_new):
        assert old.keys() == new.keys()
        for key in old:
            assert new[key] == pytest.approx(old[key], rel=1e-4, abs=1e-6), key
    for key in state_old:
        torch.testing.assert_close(
            state_new[key], state_old[key], rtol=1e-4, atol=1e-5, msg=key)
