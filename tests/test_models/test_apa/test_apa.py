# Copyright (c) mmgen-ada contributors. All rights reserved.
"""APA: the p_apa controller, the per-sample replacement, its state."""
import pytest
import torch
from scipy.stats import binom

from mmgen_ada.models.apa import APA


def _closed_form(p0, target, kimg, signs_per_update):
    """p after each update, written out from the paper's rule."""
    p, out = p0, []
    for signs in signs_per_update:
        rt = sum(signs) / len(signs)
        direction = 1 if rt > target else -1 if rt < target else 0
        p = min(1.0, max(0.0, p + direction * len(signs) / (kimg * 1000)))
        out.append(p)
    return out


def test_controller_matches_closed_form_and_clamps():
    # kimg 0.004: one unit per 4 images, so 8 images move p by 2 (clamped)
    apa = APA(target=0.5, kimg=0.004, update_interval=2, initial_p=0.25)
    blocks = [
        [1, 1, 1, -1],  # rt 0.5 == target: no move
        [1, 1, -1, -1],  # rt 0 < target: down, clamped at 0
        [1, 1, 1, 1, 1, 1, 1, -1],  # rt .75: up by 2, clamped at 1
        [-1, 1],  # down by 0.5
    ]
    got = []
    for signs in blocks:
        half = len(signs) // 2  # two iterations per update
        apa.record(torch.tensor(signs[:half], dtype=torch.float)[:, None])
        apa.record(torch.tensor(signs[half:], dtype=torch.float)[:, None])
        sign_sum, count, images = apa.sign_stats().tolist()
        assert (count, images) == (len(signs), len(signs))
        apa.update(sign_sum, count, images)
        assert apa.sign_stats().tolist() == [0., 0., 0.]
        got.append(apa.p)
    expected = _closed_form(0.25, 0.5, 0.004, blocks)
    assert expected == [0.25, 0.0, 1.0, 0.5]
    assert got == pytest.approx(expected, abs=1e-7)
    apa.update(0., 0., 0.)  # nothing recorded: unchanged
    assert apa.p == pytest.approx(0.5)


def test_replacement_rate_per_sample_within_binomial_interval():
    torch.manual_seed(0)
    n = 4000
    apa = APA(initial_p=0.5)
    real = torch.zeros(n, 3, 2, 2)
    fake = torch.ones(n, 3, 2, 2, requires_grad=True)
    real_c = torch.zeros(n, 2)
    fake_c = torch.ones(n, 2)
    images, labels, mask = apa.mix(real, fake, real_c, fake_c)
    lo, hi = binom.interval(0.999, n, 0.5)
    assert lo <= int(mask.sum()) <= hi
    # per sample: the whole image and its label come from the same source
    assert torch.equal(images, mask[:, None, None,
                                    None].float().expand_as(images))
    assert torch.equal(labels, mask[:, None].float().expand_as(labels))
    assert not images.requires_grad  # fakes are detached
    # independent draws: the two halves are not copies of each other
    assert not torch.equal(mask[:n // 2], mask[n // 2:])


def test_zero_p_draws_no_random_numbers():
    apa = APA(initial_p=0.)
    real, fake = torch.zeros(4, 3, 2, 2), torch.ones(4, 3, 2, 2)
    torch.manual_seed(1)
    images, labels, mask = apa.mix(real, fake)
    after = torch.rand(1)
    torch.manual_seed(1)
    assert torch.equal(after, torch.rand(1))
    assert images is real and labels is None and not mask.any()


def test_state_dict_round_trip():
    apa = APA(kimg=0.01, initial_p=0.2)
    apa.record(torch.tensor([[1.], [1.], [-1.]]))
    apa.update(*apa.sign_stats().tolist())
    apa.record(torch.tensor([[1.], [-1.]]))
    state = apa.state_dict()
    assert set(state) == {'p_apa', '_extra_state'}
    fresh = APA(kimg=0.01)
    fresh.load_state_dict(state)
    assert fresh.p == apa.p == pytest.approx(0.0)  # 0.2 - 0.3, clamped
    assert fresh.sign_stats().tolist() == [0., 2., 2.]
    with pytest.raises(ValueError, match='extra state'):
        fresh.set_extra_state(torch.zeros(2))


@pytest.mark.parametrize('kwargs,match', [
    (dict(update_interval=0), 'update_interval'),
    (dict(target=2.), 'target'),
    (dict(kimg=0), 'kimg'),
    (dict(initial_p=1.5), 'initial_p'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        APA(**kwargs)


def test_mix_rejects_mismatched_fakes():
    apa = APA(initial_p=1.)
    with pytest.raises(ValueError, match='fakes'):
        apa.mix(torch.zeros(4, 3, 2, 2), torch.zeros(2, 3, 2, 2))
    with pytest.raises(ValueError, match='fake labels'):
        apa.mix(
            torch.zeros(2, 3, 2, 2), torch.zeros(2, 3, 2, 2),
            torch.zeros(2, 3))


@pytest.mark.parametrize('shape', [(16, 32), (32, 16)])
def test_mix_is_shape_agnostic_on_non_square_images(shape):
    """Whole images are swapped, whatever their aspect ratio; a fake of the
    transposed size is rejected with both shapes named."""
    h, w = shape
    apa = APA(initial_p=0.5)
    gen = torch.Generator().manual_seed(0)
    real = torch.rand(64, 3, h, w, generator=gen)
    fake = torch.rand(64, 3, h, w, generator=gen) + 2  # disjoint values
    torch.manual_seed(0)
    images, _, mask = apa.mix(real, fake)
    assert images.shape == (64, 3, h, w) and 0 < int(mask.sum()) < 64
    assert torch.equal(images[mask], fake[mask])
    assert torch.equal(images[~mask], real[~mask])
    with pytest.raises(
            ValueError, match=rf'\(64, 3, {w}, {h}\).*'
            rf'\(64, 3, {h}, {w}\)'):
        apa.mix(real, fake.transpose(2, 3))
