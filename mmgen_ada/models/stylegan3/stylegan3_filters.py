# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Alias-free filter design of StyleGAN3 (Karras et al. 2021, App. F).

Two jobs, both pure NumPy/SciPy and run once at construction time:

* :func:`synthesis_schedule` turns the paper's geometric progressions of
  cutoff ``f_c`` and minimum stopband ``f_t`` into per-layer sampling rates,
  transition half-widths, feature-map sizes (with margins) and channel counts.
* :func:`design_lowpass_filter` builds the Kaiser-windowed low-pass filters:
  a separable 1-D ``scipy.signal.firwin`` filter, or for config R a radially
  symmetric jinc filter windowed by the same Kaiser window.
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np
import scipy.signal
import scipy.special
import torch


@dataclass(frozen=True)
class SynthesisSchedule:
    """Per-layer parameters of the synthesis network.

    Every array has ``num_layers + 1`` entries: index ``i`` describes the
    output of layer ``i``; index 0 also describes the Fourier-feature input.

    Attributes:
        cutoffs (np.ndarray): Cutoff frequencies ``f_c[i]`` in cycles per
            image (the image spans one unit).
        stopbands (np.ndarray): Minimum stopbands ``f_t[i]``.
        sampling_rates (np.ndarray): Sampling rates ``s[i]`` (powers of two).
        half_widths (np.ndarray): Transition band half-widths ``f_h[i]``.
        sizes (np.ndarray): Feature-map sizes in pixels, margins included.
        channels (np.ndarray): Number of channels (last = image channels).
    """
    cutoffs: np.ndarray
    stopbands: np.ndarray
    sampling_rates: np.ndarray
    half_widths: np.ndarray
    sizes: np.ndarray
    channels: np.ndarray


def synthesis_schedule(out_size: int,
                       img_channels: int,
                       channel_base: int = 32768,
                       channel_max: int = 512,
                       num_layers: int = 14,
                       num_critical: int = 2,
                       first_cutoff: float = 2.,
                       first_stopband: float = 2**2.1,
                       last_stopband_rel: float = 2**0.3,
                       margin_size: int = 10) -> SynthesisSchedule:
    """Compute the layer schedule of the StyleGAN3 synthesis network.

    Cutoffs and stopbands grow geometrically from ``first_*`` to the last
    layer (``f_c = out_size / 2``, ``f_t = f_c * last_stopband_rel``) over
    ``num_layers - num_critical`` layers and stay constant afterwards. The
    sampling rate is the smallest power of two ``>= 2 f_t`` (capped at
    ``out_size``), the half-width is ``max(f_t, s / 2) - f_c``, maps carry
    ``margin_size`` extra pixels per side except the last two layers, and
    channels are ``min(channel_base / 2 / f_c, channel_max)``.

    Args:
        out_size (int): Output image resolution (power of two).
        img_channels (int): Number of output image channels.
        channel_base (int): Overall channel multiplier. Defaults to 32768.
        channel_max (int): Maximum channels per layer. Defaults to 512.
        num_layers (int): Layers excluding Fourier input and ToRGB.
            Defaults to 14.
        num_critical (int): Critically sampled layers at the end. Defaults
            to 2.
        first_cutoff (float): ``f_{c,0}``. Defaults to 2.
        first_stopband (float): ``f_{t,0}``. Defaults to ``2**2.1``.
        last_stopband_rel (float): ``f_{t,N} / f_{c,N}``. Defaults to
            ``2**0.3``.
        margin_size (int): Extra pixels on each side of intermediate maps.
            Defaults to 10.

    Returns:
        SynthesisSchedule: The per-layer parameters.
    """
    if num_layers <= num_critical:
        raise ValueError(f'num_layers ({num_layers}) must be larger than '
                         f'num_critical ({num_critical})')
    last_cutoff = out_size / 2  # f_{c,N}
    last_stopband = last_cutoff * last_stopband_rel  # f_{t,N}
    exponents = np.minimum(
        np.arange(num_layers + 1) / (num_layers - num_critical), 1)
    cutoffs = first_cutoff * (last_cutoff / first_cutoff)**exponents
    stopbands = first_stopband * (last_stopband / first_stopband)**exponents
    sampling_rates = np.exp2(
        np.ceil(np.log2(np.minimum(stopbands * 2, out_size))))
    half_widths = np.maximum(stopbands, sampling_rates / 2) - cutoffs
    sizes = sampling_rates + margin_size * 2
    sizes[-2:] = out_size
    channels = np.rint(np.minimum((channel_base / 2) / cutoffs, channel_max))
    channels[-1] = img_channels
    return SynthesisSchedule(
        cutoffs=cutoffs,
        stopbands=stopbands,
        sampling_rates=sampling_rates,
        half_widths=half_widths,
        sizes=sizes.astype(np.int64),
        channels=channels.astype(np.int64))


def design_lowpass_filter(numtaps: int,
                          cutoff: float,
                          width: float,
                          fs: float,
                          radial: bool = False) -> Optional[torch.Tensor]:
    """Design a Kaiser-windowed low-pass filter.

    Args:
        numtaps (int): Number of taps per dimension; 1 means identity.
        cutoff (float): Cutoff frequency ``f_c`` (-6 dB point), same units as
            ``fs``.
        width (float): Transition band width ``2 f_h``; sets the Kaiser
            window's attenuation and hence its ``beta``.
        fs (float): Sampling rate the filter runs at.
        radial (bool): If True, return a 2-D radially symmetric jinc filter
            ``J1(2 pi f_c r) / (pi r)`` windowed by the outer product of 1-D
            Kaiser windows (config R); else a separable 1-D
            ``scipy.signal.firwin`` filter. Defaults to False.

    Returns:
        torch.Tensor | None: float32 ``(numtaps,)`` or
        ``(numtaps, numtaps)`` taps with unit DC gain, or None for identity.
    """
    if numtaps < 1:
        raise ValueError(f'numtaps must be >= 1, got {numtaps}')
    if numtaps == 1:
        return None
    if not radial:
        taps = scipy.signal.firwin(
            numtaps=numtaps, cutoff=cutoff, width=width, fs=fs)
        return torch.as_tensor(taps, dtype=torch.float32)

    # Tap positions in units of the signal (one unit = fs samples).
    x = (np.arange(numtaps) - (numtaps - 1) / 2) / fs
    r = np.hypot(*np.meshgrid(x, x))
    # jinc; its limit at r = 0 is cutoff (only reached for odd numtaps).
    safe_r = np.where(r == 0, 1., r)
    taps = np.where(r == 0, cutoff,
                    scipy.special.j1(2 * np.pi * cutoff * safe_r) /
                    (np.pi * safe_r))
    atten = scipy.signal.kaiser_atten(numtaps, width / (fs / 2))
    window = np.kaiser(numtaps, scipy.signal.kaiser_beta(atten))
    taps = taps * np.outer(window, window)
    taps = taps / np.sum(taps)
    return torch.as_tensor(taps, dtype=torch.float32)
