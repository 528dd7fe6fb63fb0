# Copyright (c) mmgen-ada contributors. All rights reserved.
import contextlib
import math

import numpy as np
import pytest
import torch
from scipy import signal

from mmgen_ada.models.stylegan2.baseline_path import baseline_path
from mmgen_ada.models.stylegan2.conv2d_resample import conv2d_resample
from mmgen_ada.models.stylegan2.stylegan2_modules import (
    EqualizedConv2d, EqualizedLinear, choose_fused_modconv,
    demodulation_coefficients, modulated_conv2d,
    normalize_2nd_moment, stylegan2_channels)
from mmgen_ada.ops import setup_filter


def _lrelu(x):
    return np.where(x >= 0, x, 0.2 * x) * math.sqrt(2)


def test_equalized_linear_formula():
    torch.manual_seed(0)
    layer = EqualizedLinear(
        5, 3, activation='lrelu', lr_multiplier=0.01, bias_init=0.5)
    # Raw weights are stored divided by the lr multiplier.
    assert abs(layer.weight.std().item() * 0.01 - 1) < 0.5
    with torch.no_grad():
        layer.bias.normal_()
    x = torch.randn(4, 5, dtype=torch.float64)
    W = layer.weight.detach().double().numpy() * 0.01 / math.sqrt(5)
    b = layer.bias.detach().double().numpy() * 0.01
    ref = _lrelu(x.numpy() @ W.T + b)
    out = layer.double()(x)
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-12)

    linear = EqualizedLinear(5, 3).double()
    W = linear.weight.detach().numpy() / math.sqrt(5)
    np.testing.assert_allclose(
        linear(x).detach().numpy(), x.numpy() @ W.T, rtol=1e-12)
    with pytest.raises(ValueError, match="'gelu'"):
        EqualizedLinear(2, 2, activation='gelu')


def test_equalized_conv2d_formula_and_clamp():
    torch.manual_seed(0)
    conv = EqualizedConv2d(2, 3, 3, activation='lrelu', conv_clamp=0.5)
    with torch.no_grad():
        conv.bias.normal_()
    x = torch.randn(1, 2, 6, 6, dtype=torch.float64)
    conv = conv.double()
    w = conv.weight.detach().numpy() / math.sqrt(2 * 9)
    xp = np.pad(x.numpy()[0], ((0, 0), (1, 1), (1, 1)))
    ref = np.stack([
        sum(
            signal.correlate2d(xp[i], w[o, i], mode='valid')
            for i in range(2)) + conv.bias[o].item() for o in range(3)
    ])
    gain = 0.7
    ref = np.clip(_lrelu(ref) * gain, -0.5 * gain, 0.5 * gain)
    out = conv(x, gain=gain)[0].detach().numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12)
    assert np.abs(out).max() <= 0.5 * gain


def test_frozen_conv_has_no_parameters():
    conv = EqualizedConv2d(2, 3, 1, trainable=False)
    assert list(conv.parameters()) == []
    assert set(conv.state_dict()) == {'weight', 'bias'}
    conv.requires_grad_(True)
    assert not conv.weight.requires_grad


def _modconv_reference(x, weight, styles, demodulate):
    """Per-sample loop with explicitly (de)modulated numpy kernels."""
    x, weight, styles = (t.double().numpy() for t in (x, weight, styles))
    out = []
    for n in range(x.shape[0]):
        w = weight * styles[n][None, :, None, None]
        if demodulate:
            w = w / np.sqrt((w**2).sum(axis=(1, 2, 3), keepdims=True) + 1e-8)
        pad = w.shape[-1] // 2
        xp = np.pad(x[n], ((0, 0), (pad, pad), (pad, pad)))
        out.append(
            np.stack([
                sum(
                    signal.correlate2d(xp[i], w[o, i], mode='valid')
                    for i in range(w.shape[1])) for o in range(w.shape[0])
            ]))
    return torch.from_numpy(np.stack(out))


@pytest.mark.parametrize('demodulate', [True, False])
@pytest.mark.parametrize('fused', [True, False])
def test_modulated_conv2d_matches_explicit(demodulate, fused):
    torch.manual_seed(0)
    x = torch.randn(3, 4, 5, 5, dtype=torch.float64)
    weight = torch.randn(2, 4, 3, 3, dtype=torch.float64)
    styles = torch.randn(3, 4, dtype=torch.float64)
    noise = torch.randn(3, 1, 5, 5, dtype=torch.float64)
    out = modulated_conv2d(
        x,
        weight,
        styles,
        noise=noise,
        padding=1,
        demodulate=demodulate,
        fused_modconv=fused)
    ref = _modconv_reference(x, weight, styles, demodulate) + noise
    torch.testing.assert_close(out, ref, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize('variant', ['fused', 'nonfused', 'baseline'])
@pytest.mark.parametrize('grad', [True, False])
@pytest.mark.parametrize('demodulate', [True, False])
def test_modulated_conv2d_up_matches_per_sample_kernels(
        variant, grad, demodulate):
    # Each sample convolved (up=2, FIR) with its own explicitly modulated
    # and demodulated kernel. Without grad on CPU the non-fused path runs
    # channels_last; the baseline forms the (N, O, I, k, k) kernels.
    torch.manual_seed(1)
    x = torch.randn(3, 4, 5, 5, dtype=torch.float64)
    weight = torch.randn(6, 4, 3, 3, dtype=torch.float64)
    styles = torch.randn(3, 4, dtype=torch.float64)
    f = setup_filter([1, 3, 3, 1]).double()
    ref = []
    for n in range(3):
        w = weight * styles[n].reshape(1, -1, 1, 1)
        if demodulate:
            w = w / (w.square().sum(dim=[1, 2, 3], keepdim=True) + 1e-8).sqrt()
        ref.append(
            conv2d_resample(
                x[n:n + 1], w, f=f, up=2, padding=1, flip_weight=False))
    ref = torch.cat(ref)
    with torch.set_grad_enabled(grad):
        with (baseline_path()
              if variant == 'baseline' else contextlib.nullcontext()):
            out = modulated_conv2d(
                x,
                weight,
                styles,
                up=2,
                padding=1,
                resample_filter=f,
                demodulate=demodulate,
                flip_weight=False,
                fused_modconv=variant == 'fused')
    assert out.shape == (3, 6, 10, 10)
    channels_last = variant == 'nonfused' and not grad and demodulate
    assert out.is_contiguous(
        memory_format=torch.channels_last) == channels_last
    torch.testing.assert_close(out, ref, atol=1e-10, rtol=1e-10)


def test_demodulation_coefficients_formula_and_gradients():
    # d = (sum_{i,k} (s_i w_{o,i,k})^2 + 1e-8)^-1/2 (eq. 3), first and
    # second derivatives checked numerically.
    torch.manual_seed(2)
    weight = torch.randn(5, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    styles = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    d = demodulation_coefficients(weight, styles)
    w, s = weight.detach().numpy(), styles.detach().numpy()
    ref = 1 / np.sqrt(
        ((s[:, None, :, None, None] * w[None])**2).sum(axis=(2, 3, 4)) + 1e-8)
    np.testing.assert_allclose(d.detach().numpy(), ref, rtol=1e-12)
    assert torch.autograd.gradcheck(demodulation_coefficients,
                                    (weight, styles))
    assert torch.autograd.gradgradcheck(demodulation_coefficients,
                                        (weight, styles))


def test_choose_fused_modconv_rule():
    cpu, cuda = torch.device('cpu'), torch.device('cuda')
    for training in (True, False):
        for batch in (1, 8):
            assert not choose_fused_modconv(cpu, training, False, batch)
    # CUDA and the baseline keep NVlabs' rule.
    assert choose_fused_modconv(cuda, False, False, 8)
    assert not choose_fused_modconv(cuda, True, False, 8)
    assert not choose_fused_modconv(cuda, False, True, 8)
    assert choose_fused_modconv(cuda, False, True, 1)
    with baseline_path():
        assert choose_fused_modconv(cpu, False, False, 8)
        assert not choose_fused_modconv(cpu, True, False, 8)


def test_demodulated_conv_has_unit_std_at_init():
    # Demodulation restores unit output variance for unit-variance inputs
    # whatever the styles (Karras et al. 2020, Sec. 2.2).
    torch.manual_seed(0)
    x = torch.randn(8, 64, 16, 16)
    weight = torch.randn(64, 64, 3, 3)
    styles = torch.rand(8, 64) * 5 + 0.1
    out = modulated_conv2d(x, weight, styles, padding=1)
    inner = out[:, :, 1:-1, 1:-1]  # away from zero padding
    assert abs(inner.std().item() - 1) < 0.05
    per_channel = inner.std(dim=(0, 2, 3))
    assert (per_channel - 1).abs().max() < 0.2


def test_modulated_conv2d_shape_errors():
    with pytest.raises(ValueError, match='styles must be'):
        modulated_conv2d(
            torch.zeros(2, 4, 5, 5), torch.zeros(3, 4, 3, 3),
            torch.zeros(2, 5))
    with pytest.raises(ValueError, match='x must be'):
        modulated_conv2d(
            torch.zeros(2, 3, 5, 5), torch.zeros(3, 4, 3, 3),
            torch.zeros(2, 4))


def test_normalize_2nd_moment():
    x = torch.randn(3, 7, dtype=torch.float64) * 4
    y = normalize_2nd_moment(x)
    torch.testing.assert_close(y.square().mean(dim=1),
                               torch.ones(3, dtype=torch.float64))
    torch.testing.assert_close(y / y.norm(dim=1, keepdim=True),
                               x / x.norm(dim=1, keepdim=True))


def test_stylegan2_channels():
    res = [4, 8, 16, 32, 64, 128, 256, 512, 1024]
    assert stylegan2_channels(res) == {
        4: 512,
        8: 512,
        16: 512,
        32: 512,
        64: 512,
        128: 256,
        256: 128,
        512: 64,
        1024: 32
    }
    assert stylegan2_channels([4, 32, 64], 2048, 64) == {4: 64, 32: 64, 64: 32}
    assert stylegan2_channels(
        res, channel_multiplier=1) == {
            4: 512,
            8: 512,
            16: 512,
            32: 512,
            64: 256,
            128: 128,
            256: 64,
            512: 32,
            1024: 16
        }
    assert stylegan2_channels([64, 1024], channel_multiplier=2) == {
        64: 512,
        1024: 32
    }
    with pytest.raises(ValueError, match='2048'):
        stylegan2_channels([2048], channel_multiplier=2)
    with pytest.raises(ValueError, match='channel_multiplier'):
        stylegan2_channels([4], channel_multiplier=0)


@pytest.mark.parametrize('fused', [True, False])
def test_modulated_conv2d_float16_prenormalisation(fused):
    # Huge styles overflow float16 (max 65504) unless weights and styles are
    # rescaled first; demodulation makes the rescaling invisible.
    torch.manual_seed(0)
    x = torch.randn(2, 8, 6, 6)
    weight = torch.randn(4, 8, 3, 3)
    styles = torch.randn(2, 8) * 1e5
    ref = modulated_conv2d(x, weight, styles, padding=1, fused_modconv=fused)
    out = modulated_conv2d(
        x.half(), weight, styles, padding=1, fused_modconv=fused)
    assert out.dtype == torch.float16 and torch.isfinite(out).all()
    torch.testing.assert_close(out.float(), ref, atol=2e-2, rtol=2e-2)
