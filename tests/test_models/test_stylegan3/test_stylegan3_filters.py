# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Filter design and layer schedule of StyleGAN3, checked against closed forms.

The Kaiser window, its beta and the windowed-sinc / windowed-jinc taps are
recomputed here from the textbook formulas (Kaiser & Schafer; Bessel
integral for J1) without calling scipy's filter-design functions.
"""
import math

import numpy as np
import pytest

from mmgen_ada.models.stylegan3.stylegan3_filters import (
    design_lowpass_filter, synthesis_schedule)


def kaiser_beta_from_taps(numtaps, width, fs):
    """Kaiser's empirical formulas: attenuation from length, beta from A."""
    delta = width / (fs / 2)  # transition width relative to Nyquist
    atten = 2.285 * (numtaps - 1) * math.pi * delta + 7.95
    if atten > 50:
        return 0.1102 * (atten - 8.7)
    if atten > 21:
        return 0.5842 * (atten - 21)**0.4 + 0.07886 * (atten - 21)
    return 0.


def kaiser_window(numtaps, beta):
    n = np.arange(numtaps)
    arg = beta * np.sqrt(1 - (2 * n / (numtaps - 1) - 1)**2)
    return np.i0(arg) / np.i0(beta)


def bessel_j1(x):
    """J1 from Bessel's integral (1/pi) int_0^pi cos(t - x sin t) dt."""
    t = np.linspace(0, np.pi, 4001)
    vals = np.cos(t[None] - np.asarray(x).reshape(-1, 1) * np.sin(t[None]))
    return np.trapezoid(vals, t, axis=1).reshape(np.shape(x)) / np.pi


@pytest.mark.parametrize('numtaps,cutoff,half_width,fs', [
    (12, 2., 2.287, 32),  # first layer of a 256 config: f_c=2, s=16, up 2
    (24, 64., 36.8, 256),  # an up-4 layer
    (12, 90.5, 37.5, 512),
])
def test_separable_filter_is_kaiser_windowed_sinc(numtaps, cutoff, half_width,
                                                  fs):
    taps = design_lowpass_filter(numtaps, cutoff, half_width * 2, fs).numpy()
    assert taps.shape == (numtaps, )
    beta = kaiser_beta_from_taps(numtaps, half_width * 2, fs)
    n = np.arange(numtaps) - (numtaps - 1) / 2
    ideal = 2 * cutoff / fs * np.sinc(2 * cutoff / fs * n)
    expected = ideal * kaiser_window(numtaps, beta)
    expected /= expected.sum()  # unit DC gain
    np.testing.assert_allclose(taps, expected, rtol=1e-5, atol=1e-7)


def test_separable_filter_frequency_response():
    """About -6 dB at the cutoff (12 taps only), monotone transition band,
    flat passband, attenuated stopband."""
    numtaps, cutoff, half_width, fs = 12, 2., 2.287, 32.
    taps = design_lowpass_filter(numtaps, cutoff, half_width * 2, fs).numpy()
    n = np.arange(numtaps) - (numtaps - 1) / 2

    def response(f):
        return abs(np.sum(taps * np.exp(-2j * np.pi * f / fs * n)))

    assert response(0) == pytest.approx(1, abs=1e-6)
    assert 0.45 < response(cutoff) < 0.65
    band = [response(f) for f in np.linspace(0, cutoff + half_width, 40)]
    assert np.all(np.diff(band) < 1e-9)
    assert response(cutoff / 4) > 0.95
    stop = [response(f) for f in np.linspace(cutoff + half_width, fs / 2, 50)]
    assert max(stop) < 0.05


def test_identity_filter_and_bad_numtaps():
    assert design_lowpass_filter(1, 2., 1., 16) is None
    with pytest.raises(ValueError, match='numtaps'):
        design_lowpass_filter(0, 2., 1., 16)


def test_radial_filter_is_kaiser_windowed_jinc():
    numtaps, cutoff, half_width, fs = 12, 5.66, 3.3, 32.
    taps = design_lowpass_filter(
        numtaps, cutoff, half_width * 2, fs, radial=True).numpy()
    assert taps.shape == (numtaps, numtaps)
    x = (np.arange(numtaps) - (numtaps - 1) / 2) / fs
    r = np.sqrt(x[None, :]**2 + x[:, None]**2)
    jinc = bessel_j1(2 * np.pi * cutoff * r) / (np.pi * r)
    window = kaiser_window(numtaps,
                           kaiser_beta_from_taps(numtaps, half_width * 2, fs))
    expected = jinc * np.outer(window, window)
    expected /= expected.sum()
    np.testing.assert_allclose(taps, expected, rtol=1e-4, atol=1e-7)
    # Radial symmetry on the grid: invariant to transposition and flips.
    np.testing.assert_allclose(taps, taps.T, atol=1e-7)
    np.testing.assert_allclose(taps, taps[::-1], atol=1e-7)


def test_radial_filter_odd_taps_is_finite():
    taps = design_lowpass_filter(5, 2., 2., 16., radial=True).numpy()
    assert np.isfinite(taps).all() and taps.sum() == pytest.approx(1)
    assert taps[2, 2] == taps.max()


def test_schedule_256_config_t():
    sch = synthesis_schedule(out_size=256, img_channels=3)
    i = np.arange(15)
    # f_c grows from 2 to 128 over 12 layers: 2 * 64**(i/12) = 2**(1 + i/2).
    cutoffs = 2.**(1 + np.minimum(i, 12) / 2)
    # f_t grows from 2**2.1 to 128 * 2**0.3 = 2**7.3: 2**(2.1 + 5.2 i / 12).
    stopbands = 2.**(2.1 + 5.2 * np.minimum(i, 12) / 12)
    np.testing.assert_allclose(sch.cutoffs, cutoffs, rtol=1e-12)
    np.testing.assert_allclose(sch.stopbands, stopbands, rtol=1e-12)
    # Smallest power of two >= 2 f_t, capped at 256 (worked out by hand).
    rates = [16, 16, 16, 32, 32, 64, 64, 128, 128, 128, 256, 256, 256, 256,
             256]
    assert sch.sampling_rates.tolist() == rates
    np.testing.assert_allclose(
        sch.half_widths,
        np.maximum(stopbands, np.array(rates) / 2) - cutoffs,
        rtol=1e-12)
    assert sch.sizes.tolist() == [r + 20 for r in rates[:13]] + [256, 256]
    # 16384 / f_c capped at 512: 16384 / 2**5.5 = 362.04, 16384/2**6.5 = 181.
    assert sch.channels.tolist() == [512] * 9 + [362, 256, 181, 128, 128, 3]


def test_schedule_1024_config_r():
    sch = synthesis_schedule(
        out_size=1024, img_channels=3, channel_base=65536, channel_max=1024)
    i = np.minimum(np.arange(15), 12)
    np.testing.assert_allclose(sch.cutoffs, 2.**(1 + 2 * i / 3), rtol=1e-12)
    np.testing.assert_allclose(sch.stopbands, 2.**(2.1 + 0.6 * i), rtol=1e-12)
    assert sch.sampling_rates.tolist() == [
        16, 16, 32, 32, 64, 128, 128, 256, 256, 512, 1024, 1024, 1024, 1024,
        1024
    ]
    # 32768 / 2**(1 + 2i/3) capped at 1024.
    assert sch.channels.tolist() == [1024] * 7 + [
        645, 406, 256, 161, 102, 64, 64, 3
    ]


def test_schedule_rejects_bad_layer_counts():
    with pytest.raises(ValueError, match='num_critical'):
        synthesis_schedule(out_size=16, img_channels=3, num_layers=2,
                           num_critical=2)
