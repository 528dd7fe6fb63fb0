# Copyright (c) mmgen-ada contributors. All rights reserved.
"""LeCam regularisation inside StyleGAN2's Dmain phase."""
import pytest
import torch
import torch.nn.functional as F

from .test_stylegan2_model import _batch, _model, _wrappers


def _spy_d(model):
    """Record every D pass: (is_real, detached logits)."""
    calls = []
    run_d = model.run_D

    def spy(img, c, is_real=False, repeated_reals=False):
        logits = run_d(img, c, is_real=is_real, repeated_reals=repeated_reals)
        calls.append((is_real, logits.detach().clone()))
        return logits

    model.run_D = spy
    return calls


def test_anchor_ema_and_penalty_over_three_steps():
    torch.manual_seed(0)
    model = _model(
        r1_gamma=0., pl_weight=0., lecam_weight=0.3, lecam_decay=0.9)
    optim = _wrappers(model)
    calls = _spy_d(model)
    alpha_r, alpha_f = 0.0, 0.0
    for step in range(3):
        calls.clear()
        log = model.train_step(_batch(), optim)
        # Gmain scores fakes, then Dmain scores fakes, then reals
        assert [is_real for is_real, _ in calls] == [False, False, True]
        fake, real = calls[1][1].double(), calls[2][1].double()
        alpha_r = 0.9 * alpha_r + 0.1 * float(real.mean())
        alpha_f = 0.9 * alpha_f + 0.1 * float(fake.mean())
        assert float(model.lecam_anchor_real) == pytest.approx(alpha_r,
                                                               abs=1e-6)
        assert float(model.lecam_anchor_fake) == pytest.approx(alpha_f,
                                                               abs=1e-6)
        # the penalty uses the anchors updated by this very pass (official
        # order) and is added to Dmain's loss with weight 0.3
        penalty = float(((real - alpha_f)**2).mean() +
                        ((fake - alpha_r)**2).mean())
        assert float(log['lecam_penalty']) == pytest.approx(penalty, rel=1e-5)
        d_loss = float(F.softplus(fake).mean() + F.softplus(-real).mean())
        assert optim['discriminator'].losses[-1] == pytest.approx(
            d_loss + 0.3 * penalty, rel=1e-5)
        assert float(log['loss_D']) == pytest.approx(d_loss, rel=1e-5)
        assert float(log['lecam_anchor_real']) == pytest.approx(alpha_r,
                                                                abs=1e-6)
    assert alpha_r != 0 and alpha_f != 0


def _train(steps=2, **kwargs):
    torch.manual_seed(0)
    model = _model(r1_gamma=1., r1_interval=2, pl_weight=0., **kwargs)
    optim = _wrappers(model)
    for _ in range(steps):
        model.train_step(_batch(), optim)
    return model


def test_weight_zero_is_bit_identical_and_adds_no_state():
    base = _train().state_dict()
    off = _train(lecam_weight=0., lecam_decay=0.5).state_dict()
    on = _train(lecam_weight=1.).state_dict()
    assert list(off) == list(base)
    assert not any('lecam' in key for key in base)
    for key in base:
        assert torch.equal(off[key], base[key]), key
    # the option does change D when on
    assert not all(
        torch.equal(on[k], base[k]) for k in base
        if k.startswith('discriminator.'))


def test_anchors_survive_state_dict_round_trip():
    trained = _train(steps=1, lecam_weight=0.5)
    state = trained.state_dict()
    assert float(state['lecam_anchor_real']) != 0
    fresh = _model(r1_gamma=1., pl_weight=0., lecam_weight=0.5)
    assert float(fresh.lecam_anchor_real) == 0
    fresh.load_state_dict(state)
    assert torch.equal(fresh.lecam_anchor_real, trained.lecam_anchor_real)
    assert torch.equal(fresh.lecam_anchor_fake, trained.lecam_anchor_fake)


@pytest.mark.parametrize('kwargs,match', [
    (dict(lecam_weight=-1.), 'lecam_weight'),
    (dict(lecam_weight=1., lecam_decay=1.), 'lecam_decay'),
    (dict(lecam_weight='x'), 'lecam_weight'),
])
def test_bad_lecam_arguments(kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        _model(**kwargs)
