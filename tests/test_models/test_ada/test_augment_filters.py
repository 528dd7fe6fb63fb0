# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Wavelet constants, the imgfilter bank and its execution."""
import math

import numpy as np
import pytest
import torch
from scipy import ndimage

from mmgen_ada.models.ada.augment_filters import (IMGFILTER_EXPECTED_POWER,
                                                  SYM2, SYM6, band_filter_bank)
from mmgen_ada.models.ada.augment_transforms import (apply_band_filter,
                                                     upsample_phase)
from mmgen_ada.ops import setup_filter


@pytest.mark.parametrize('taps', [SYM2, SYM6])
def test_wavelet_lowpass_is_orthonormal(taps):
    h = np.asarray(taps)
    assert h.sum() == pytest.approx(math.sqrt(2), abs=1e-12)
    for shift in range(0, h.size, 2):
        expected = 1.0 if shift == 0 else 0.0
        assert np.dot(h[:h.size - shift], h[shift:]) == pytest.approx(
            expected, abs=1e-12)


def test_sym2_equals_daubechies_closed_form():
    r3 = math.sqrt(3)
    db2 = np.array([1 - r3, 3 - r3, 3 + r3, 1 + r3]) / (4 * math.sqrt(2))
    np.testing.assert_allclose(SYM2, db2, atol=1e-15)


def test_sym6_has_six_vanishing_moments():
    h = np.asarray(SYM6)
    k = np.arange(h.size)
    g = (-1.0)**k * h[::-1]  # quadrature-mirror high-pass
    for m in range(6):
        assert abs(np.sum(k**m * g)) < 1e-6 * np.sum(np.abs(k**m * g))


def test_band_filter_bank_structure():
    bank = band_filter_bank()
    assert bank.shape == (4, 43)
    impulse = np.zeros(43)
    impulse[21] = 1
    np.testing.assert_allclose(bank.sum(axis=0), impulse, atol=1e-12)
    np.testing.assert_allclose(bank, bank[:, ::-1], atol=1e-15)  # zero phase
    # Frequency responses: band 0 passes DC, band 3 passes Nyquist.
    k = np.arange(43) - 21
    dc = bank.sum(axis=1)
    nyquist = (bank * np.cos(np.pi * k)).sum(axis=1)
    np.testing.assert_allclose(dc, [1, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(nyquist, [0, 0, 0, 1], atol=1e-12)
    # Octave bands: band b peaks around pi / 2^(3 - b).
    omegas = np.linspace(0, np.pi, 513)
    response = np.abs(np.cos(np.outer(omegas, k)) @ bank.T)  # [freq, band]
    peaks = omegas[response.argmax(axis=0)]
    assert list(np.argsort(peaks)) == [0, 1, 2, 3]
    assert np.pi / 16 < peaks[1] < np.pi / 4 < peaks[2] < np.pi / 2


def test_expected_power_is_normalised():
    assert sum(IMGFILTER_EXPECTED_POWER) == pytest.approx(1.0)


def test_apply_band_filter_matches_scipy_mirror_convolution():
    bank = torch.as_tensor(band_filter_bank(), dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 24, 26, generator=g, dtype=torch.float64)
    gains = torch.tensor([[1.0, 2.0, 0.5, 1.5], [0.3, 1.0, 1.0, 4.0]],
                         dtype=torch.float64)
    out = apply_band_filter(x, gains, bank)
    for n in range(2):
        taps = (gains[n] @ bank).numpy()
        for c in range(3):
            # 'mirror' = reflection without repeating the edge pixel.
            ref = ndimage.correlate1d(
                x[n, c].numpy(), taps, axis=1, mode='mirror')
            ref = ndimage.correlate1d(ref, taps, axis=0, mode='mirror')
            np.testing.assert_allclose(out[n, c].numpy(), ref, atol=1e-12)
    # Unit gains: the identity.
    ident = apply_band_filter(x, torch.ones(2, 4, dtype=torch.float64), bank)
    torch.testing.assert_close(ident, x, atol=1e-10, rtol=0)


def test_upsample_phase():
    assert upsample_phase(setup_filter([1., 3., 3., 1.],
                                       separable=True)) == pytest.approx(0)
    f = np.asarray(SYM6) / np.sum(SYM6)
    centroid = np.sum(np.arange(12) * f)
    assert upsample_phase(setup_filter(SYM6)) == pytest.approx(0.5 + 5 -
                                                               centroid)
    assert upsample_phase(setup_filter(SYM6)) == pytest.approx(
        0.4017, abs=1e-4)
