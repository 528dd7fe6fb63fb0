# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Application rates and value distributions of AugmentPipe's random draws.

Only parameters are drawn (no images are resampled), so 10k samples per
case stay fast. Seeds are fixed: the 99.9% intervals make a wrong rate fail
and a right one pass deterministically.
"""
import math

import numpy as np
import pytest
import torch
from scipy import stats

from mmgen_ada.models.ada import AugmentPipe

N = 10_000
SINGLE_GATE_OPS = ('xflip', 'rotate90', 'xint', 'scale', 'aniso', 'xfrac',
                   'brightness', 'contrast', 'lumaflip', 'hue', 'saturation',
                   'noise', 'cutout')


def _params(p, seed=0, size=64, **kwargs):
    pipe = AugmentPipe(**kwargs)
    pipe.p.fill_(p)
    torch.manual_seed(seed)
    return pipe.sample_params(N, 3, size, size)


def _assert_binomial_rate(hits, prob):
    hits = int(hits)
    lo, hi = stats.binom.interval(0.999, N, prob)
    assert lo <= hits <= hi, (f'{hits}/{N} outside the 99.9% interval '
                              f'[{lo}, {hi}] of rate {prob}')


@pytest.mark.parametrize('p', [0.1, 0.5])
@pytest.mark.parametrize('op', SINGLE_GATE_OPS)
@pytest.mark.parametrize('multiplier', [1.0, 0.6])
def test_application_rate_is_multiplier_times_p(op, p, multiplier):
    params = _params(p, seed=SINGLE_GATE_OPS.index(op), **{op: multiplier})
    assert set(params.applied) == {op}
    _assert_binomial_rate(params.applied[op].sum(), multiplier * p)


@pytest.mark.parametrize('p', [0.1, 0.5])
def test_rotation_any_rate_and_split(p):
    params = _params(p, seed=11, rotate=1)
    # Effect: the drawn matrix contains a rotation (off-diagonal terms).
    rotated = params.geom_inv[:, 0, 1].abs() > 0
    _assert_binomial_rate(rotated.sum(), p)
    _assert_binomial_rate(params.applied['rotate'].sum(), p)
    # Angles are uniform in [-pi, pi] (rotate_max = 1 full circle).
    angle = torch.atan2(params.geom_inv[:, 1, 0], params.geom_inv[:, 0, 0])
    assert angle.abs().max() <= math.pi


def test_rotation_pre_and_post_probability():
    """Each of the two rotations is drawn with 1 - sqrt(1 - rotate * p)."""
    p = 0.5
    p_rot = 1 - math.sqrt(1 - p)
    pipe = AugmentPipe(rotate=1, rotate_max=0.25)  # angles in [-pi/4, pi/4]
    pipe.p.fill_(p)
    torch.manual_seed(13)
    g = pipe.sample_params(N, 3, 8, 8).geom_inv
    angle = torch.atan2(g[:, 1, 0], g[:, 0, 0]).abs()
    # Only pre AND post can exceed pi/4: with two uniform angles in
    # [-a, a], P(|sum| > a) = 1/4 (triangular density).
    _assert_binomial_rate((angle > math.pi / 4 + 1e-6).sum(), p_rot**2 * 0.25)


@pytest.mark.parametrize('p', [0.1, 0.5])
def test_imgfilter_band_rates(p):
    bands = [1, 0.5, 0, 1]
    params = _params(p, seed=5, imgfilter=1, imgfilter_bands=bands)
    gates = params.applied['imgfilter']
    assert gates.shape == (N, 4)
    for band, strength in enumerate(bands):
        if strength == 0:
            assert not gates[:, band].any()
        else:
            _assert_binomial_rate(gates[:, band].sum(), p * strength)


@pytest.mark.parametrize('p', [0.1, 0.5])
def test_effect_rates_of_two_outcome_ops(p):
    """Flips happen with half the application rate, quarter turns 3/4."""
    params = _params(p, seed=3, xflip=1, rotate90=1, lumaflip=1)
    blit = params.blit_inv
    # A flip makes the 2x2 part's determinant negative.
    det = blit[:, 0, 0] * blit[:, 1, 1] - blit[:, 0, 1] * blit[:, 1, 0]
    _assert_binomial_rate((det < 0).sum(), 0.5 * p)
    assert set(blit[:, :2, :2].unique().tolist()) <= {-1., 0., 1.}
    flipped_luma = params.color[:, 0, 1] != 0
    _assert_binomial_rate(flipped_luma.sum(), 0.5 * p)


def test_p_zero_and_one():
    off = _params(0.0, xflip=1, scale=1, brightness=1, noise=1)
    assert not any(g.any() for g in off.applied.values())
    on = _params(1.0, xflip=1, scale=1, brightness=1, noise=1)
    assert all(g.all() for g in on.applied.values())
    # multiplier * p above 1 saturates at "always".
    over = _params(0.9, xflip=2)
    assert over.applied['xflip'].all()


def _ks(values, cdf):
    return stats.kstest(np.asarray(values, dtype=np.float64), cdf).pvalue


def test_value_distributions():
    """Applied values follow the paper's distributions (KS test, p>0.001)."""
    params = _params(
        1.0,
        seed=21,
        scale=1,
        aniso=1,
        brightness=1,
        contrast=1,
        hue=1,
        saturation=1,
        noise=1,
        xint=1,
        xfrac=1)
    g = params.geom_inv
    # Only xint/xfrac translate; scale and aniso only scale the diagonal.
    scale_x, scale_y = 1 / g[:, 0, 0], 1 / g[:, 1, 1]
    # log2 sx = log2 s + log2 a, log2 sy = log2 s - log2 a: recover both.
    log_s = (torch.log2(scale_x) + torch.log2(scale_y)) / 2
    log_a = (torch.log2(scale_x) - torch.log2(scale_y)) / 2
    assert _ks(log_s, stats.norm(0, 0.2).cdf) > 1e-3
    assert _ks(log_a, stats.norm(0, 0.2).cdf) > 1e-3
    noise = params.noise_sigma
    assert _ks(noise, stats.halfnorm(scale=0.1).cdf) > 1e-3
    blit = params.blit_inv
    shift = -blit[:, 0, 2] / 64  # integer pixels, relative to the size
    assert shift.abs().max() <= 0.125 + 1 / 128
    # Rounded uniform: every integer in [-8, 8] occurs, ends half as often.
    counts = torch.bincount((shift * 64).round().long() + 8, minlength=17)
    assert counts[1:-1].min() > 0.8 * N / 16 and counts[0] < 0.7 * N / 16


@pytest.mark.parametrize('op,std,transform', [
    ('brightness', 0.2, lambda c: c[:, 0, 3]),
    ('contrast', 0.5, lambda c: torch.log2(c[:, 0, 0])),
])
def test_colour_value_distributions(op, std, transform):
    params = _params(1.0, seed=31, **{op: 1})
    assert _ks(transform(params.color), stats.norm(0, std).cdf) > 1e-3


def test_hue_and_xfrac_distributions():
    params = _params(1.0, seed=41, hue=1)
    c = params.color[:, :3, :3].double()
    # Rotation angle about the luma axis from the trace: 1 + 2 cos(theta).
    theta = torch.acos(
        ((c.diagonal(dim1=1, dim2=2).sum(1) - 1) / 2).clamp(-1, 1))
    # |theta| of a uniform angle in [-pi, pi] is uniform in [0, pi].
    assert _ks(theta, stats.uniform(0, math.pi).cdf) > 1e-3
    params = _params(1.0, seed=42, xfrac=1)
    tx = -params.geom_inv[:, 0, 2] / 64
    assert _ks(tx, stats.norm(0, 0.125).cdf) > 1e-3
