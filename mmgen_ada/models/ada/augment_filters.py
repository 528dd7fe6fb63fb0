# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Wavelet filters used by :class:`AugmentPipe` (Karras et al. 2020, App. B).

* The geometric augmentations resample at 2x with the low-pass filter of the
  order-6 symlet wavelet (``sym6``, 12 taps).
* Image-space filtering splits the spectrum into 4 octave bands with a
  filter bank built from the order-2 symlet (``sym2``, 4 taps, equal to the
  Daubechies ``db2``) quadrature-mirror pair.

The coefficients are the orthonormal low-pass decomposition filters of the
standard wavelet tables (as listed by PyWavelets): they sum to ``sqrt(2)``
and are orthogonal to their own even shifts.
"""
from typing import Sequence

import numpy as np

SYM2 = (-0.12940952255092145, 0.22414386804185735, 0.836516303737469,
        0.48296291314469025)

SYM6 = (0.015404109327027373, 0.0034907120842174702, -0.11799011114819057,
        -0.048311742585633, 0.4910559419267466, 0.787641141030194,
        0.3379294217276218, -0.07263752278646252, -0.021060292512300564,
        0.04472490177066578, 0.0017677118642428036, -0.007800708325034148)

# Expected power of natural images in each band of the imgfilter bank,
# lowest band first (a 1/f spectrum), used to keep the expected image power
# unchanged when one band is amplified.
IMGFILTER_EXPECTED_POWER = (10 / 13, 1 / 13, 1 / 13, 1 / 13)


def _insert_zeros(taps: np.ndarray) -> np.ndarray:
    """Upsample a filter by 2 (``H(z) -> H(z^2)``): a zero between taps."""
    out = np.zeros(2 * taps.size - 1, dtype=taps.dtype)
    out[::2] = taps
    return out


def band_filter_bank(lowpass: Sequence[float] = SYM2,
                     num_bands: int = 4) -> np.ndarray:
    """Build the octave-band filter bank of the ``imgfilter`` augmentation.

    With ``L(z) = H(z) H(1/z) / 2`` and ``B(z) = H(-z) H(-1/z) / 2`` (the
    power-complementary low/high-pass pair of an orthonormal wavelet, so
    ``L + B = 1``), band ``num_bands - 1`` (the highest) is ``B(z)``, band
    ``k`` below it is ``B(z^(2^j)) * prod_{i<j} L(z^(2^i))`` with
    ``j = num_bands - 1 - k``, and band 0 is the remaining low-pass
    ``prod_i L(z^(2^i))``. All bands are zero-phase, centred in a common
    odd-length support, and sum to a unit impulse, so unit gains leave the
    image unchanged.

    Args:
        lowpass (Sequence[float]): Orthonormal wavelet low-pass taps.
            Defaults to ``sym2``.
        num_bands (int): Number of bands. Defaults to 4.

    Returns:
        np.ndarray: ``(num_bands, taps)`` float64, lowest band first; 43
        taps for the default arguments.
    """
    lo = np.asarray(lowpass, dtype=np.float64)
    hi = lo * (-1.0)**np.arange(lo.size)  # H(-z)
    lo2 = np.convolve(lo, lo[::-1]) / 2
    hi2 = np.convolve(hi, hi[::-1]) / 2
    bands = [np.ones(1)] + [np.zeros(1) for _ in range(num_bands - 1)]
    for level in range(1, num_bands):
        # Push the existing bands one octave down, then add the new top band.
        bands = [np.convolve(_insert_zeros(b), lo2) for b in bands]
        start = (bands[level].size - hi2.size) // 2
        bands[level][start:start + hi2.size] += hi2
    return np.stack(bands)
