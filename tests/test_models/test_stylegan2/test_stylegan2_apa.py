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
    # 2 Dmain passes of 4 and the lazy R1 pass of the first iteration: 12
    # logits, each of the 8 reals counted once
    assert off['apa._extra_state'][1:].tolist() == [12., 8.]
    on = _train(apa=dict(initial_p=1.)).state_dict()
    assert not all(
        torch.equal(on[k], base[k])
        for k in base if k.startswith('discriminator.'))


def test_p_one_scores_gmain_fakes_as_real_and_records_them():
    torch.manual_seed(0)
    model = _model(
        r1_gamma=1., r1_interval=1, pl_weight=0., apa=dict(initial_p=1.))
    optim = _wrappers(model)
    calls = _spy_d(model)
    log = model.train_step(_batch(), optim)
    # Gmain fakes, Dmain fakes, Dmain real-labelled, Dreg (lazy R1) reals
    assert [c[0] for c in calls] == [False, False, True, True]
    gmain_fake, dmain_fake, dmain_real, dreg = calls
    # As DeceiveD: the pseudo reals are Gmain's fakes (not Dmain's), in
    # Dmain and in the R1 pass alike.
    assert torch.equal(dmain_real[1], gmain_fake[1])
    assert torch.equal(dreg[1], gmain_fake[1])
    assert not torch.equal(dmain_real[1], dmain_fake[1])
    assert float(log['apa_pseudo_fraction']) == 1.0
    # r_t pools both real-labelled passes; the images are counted once.
    signs = torch.sign(torch.cat([dmain_real[2], dreg[2]]).double())
    assert model.apa.sign_stats().tolist() == [float(signs.sum()), 8., 4.]


def test_pseudo_reals_keep_the_real_labels():
    torch.manual_seed(0)
    model = _model(
        r1_gamma=1., r1_interval=1, pl_weight=0., apa=dict(initial_p=1.),
        g=dict(cond_size=3), d=dict(cond_size=3))
    optim = _wrappers(model)
    seen = []
    run_d = model.run_D

    def spy(img, c, is_real=False, repeated_reals=False):
        seen.append((is_real, None if c is None else c.clone()))
        return run_d(img, c, is_real=is_real, repeated_reals=repeated_reals)

    model.run_D = spy
    labels = torch.eye(3)[torch.tensor([0, 1, 2, 0])]
    batch = _batch(labels=list(labels))
    model.train_step(batch, optim)
    real_passes = [c for is_real, c in seen if is_real]
    assert len(real_passes) == 2  # Dmain and the R1 pass
    for c in real_passes:
        assert torch.equal(c, labels)
