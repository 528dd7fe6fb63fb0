# Copyright (c) mmgen-ada contributors. All rights reserved.
"""APA inside StyleGAN2's Dmain phase."""
import torch

from .test_stylegan2_model import _batch, _model, _wrappers


def _spy_d(model):
    """Record every D pass: (is_real, input images, detached logits)."""
    calls = []
    run_d = model.run_D

    def spy(img, c, is_real=False, repeated_reals=False):
        logits = run_d(img, c, is_real=is_real, repeated_reals=repeated_reals)
        calls.append((is_real, img.detach().clone(), logits.detach().clone()))
        return logits

    model.run_D = spy
    return calls


def _train(steps=2, **kwargs):
    torch.manual_seed(0)
    model = _model(r1_gamma=1., r1_interval=2, pl_weight=0., **kwargs)
    optim = _wrappers(model)
    for _ in range(steps):
        model.train_step(_batch(), optim)
    return model


def test_zero_p_is_bit_identical_to_no_apa():
    base = _train().state_dict()
    off = _train(apa=dict(initial_p=0.)).state_dict()
    assert set(off) - set(base) == {'apa.p_apa', 'apa._extra_state'}
    for key in base:
        assert torch.equal(off[key], base[key]), key
    # the statistics were still recorded (p can rise from 0)
    assert float(off['apa._extra_state'][1]) == 2 * 4
    on = _train(apa=dict(initial_p=1.)).state_dict()
    assert not all(
        torch.equal(on[k], base[k])
        for k in base if k.startswith('discriminator.'))


def test_p_one_scores_this_pass_fakes_as_real_and_records_them():
    torch.manual_seed(0)
    model = _model(
        r1_gamma=1., r1_interval=1, pl_weight=0., apa=dict(initial_p=1.))
    optim = _wrappers(model)
    calls = _spy_d(model)
    log = model.train_step(_batch(), optim)
    # Gmain fakes, Dmain fakes, Dmain real-labelled, Dreg (lazy R1) reals
    assert [c[0] for c in calls] == [False, False, True, True]
    dmain_fake, dmain_real, dreg = calls[1], calls[2], calls[3]
    assert torch.equal(dmain_real[1], dmain_fake[1])  # every real replaced
    assert float(log['apa_pseudo_fraction']) == 1.0
    assert not torch.equal(dreg[1], dmain_real[1])  # R1 on the true reals
    signs = torch.sign(dmain_real[2].double())
    assert model.apa.sign_stats().tolist() == [float(signs.sum()), 4., 4.]
