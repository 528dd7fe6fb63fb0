# Copyright (c) mmgen-ada contributors. All rights reserved.
"""StyleGAN3 building blocks against explicit float64 computations."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmgen_ada.models.stylegan3 import stylegan3_modules
from mmgen_ada.models.stylegan3.stylegan3_modules import (
    FullyConnectedLayer, SynthesisInput, SynthesisLayer,
    modulated_conv2d)


def lrelu(x):
    return F.leaky_relu(x, 0.2) * math.sqrt(2)


def upfirdn_explicit(x, f, up, down, pad):
    """Zero-insert upsampling, padding, true convolution, subsampling."""
    n, c, h, w = x.shape
    y = x.new_zeros(n, c, h * up, w * up)
    y[:, :, ::up, ::up] = x
    px0, px1, py0, py1 = pad
    y = F.pad(y, [px0, px1, py0, py1])  # negative values crop
    if f is not None:
        f = f.to(x.dtype)
        f2d = torch.outer(f, f) if f.ndim == 1 else f
        k = f2d.flip([0, 1])[None, None].repeat(c, 1, 1, 1)
        y = F.conv2d(y, k, groups=c)
    return y[:, :, ::down, ::down]


def test_modulated_conv2d_matches_per_sample_conv():
    torch.manual_seed(0)
    x = torch.randn(3, 4, 7, 7, dtype=torch.float64)
    weight = torch.randn(5, 4, 3, 3, dtype=torch.float64)
    styles = torch.randn(3, 4, dtype=torch.float64)
    gain = torch.tensor(0.7, dtype=torch.float64)
    out = modulated_conv2d(x, weight, styles, padding=2, input_gain=gain)
    w_n = weight / weight.pow(2).mean().sqrt()
    s_n = styles / styles.pow(2).mean().sqrt()
    for i in range(3):
        k = w_n * s_n[i].view(1, 4, 1, 1)
        k = k / (k.pow(2).sum(dim=[1, 2, 3], keepdim=True) + 1e-8).sqrt()
        ref = F.conv2d(x[i:i + 1] * 0.7, k, padding=2)
        torch.testing.assert_close(out[i:i + 1], ref)
    plain = modulated_conv2d(x, weight, styles, demodulate=False)
    for i in range(3):
        ref = F.conv2d(x[i:i + 1], weight * styles[i].view(1, 4, 1, 1))
        torch.testing.assert_close(plain[i:i + 1], ref)
    with pytest.raises(ValueError, match='shape mismatch'):
        modulated_conv2d(x, weight, styles[:, :3])


def test_fully_connected_layer_equalised_lr():
    torch.manual_seed(0)
    fc = FullyConnectedLayer(6, 3, lr_multiplier=0.01, bias_init=0.5)
    fc_act = FullyConnectedLayer(6, 3, activation='lrelu')
    x = torch.randn(4, 6)
    w_eff = fc.weight * 0.01 / math.sqrt(6)
    torch.testing.assert_close(fc.bias * 0.01, torch.full((3, ), 0.5))
    torch.testing.assert_close(fc(x), x @ w_eff.t() + 0.5)
    ref = lrelu(x @ (fc_act.weight / math.sqrt(6)).t() + fc_act.bias)
    torch.testing.assert_close(fc_act(x), ref)


def fourier_features_explicit(inp, shift=(0., 0.)):
    """sin(2 pi (f . (p - t) + phase)) at pixel centres, then the mixing."""
    coords = (torch.arange(inp.size, dtype=torch.float64) + 0.5 -
              inp.size / 2) / inp.sampling_rate
    py, px = torch.meshgrid(coords, coords, indexing='ij')
    freqs = inp.freqs.double()
    arg = (freqs[:, 0, None, None] * (px - shift[0]) +
           freqs[:, 1, None, None] * (py - shift[1]) +
           inp.phases.double()[:, None, None])
    feats = torch.sin(2 * math.pi * arg)  # [C, H, W]
    weight = inp.weight.double() / math.sqrt(inp.channels)
    return torch.einsum('dc,chw->dhw', weight, feats)


def test_synthesis_input_is_fourier_features_and_transform_shifts():
    torch.manual_seed(0)
    inp = SynthesisInput(style_channels=4, channels=6, size=12,
                         sampling_rate=8, bandwidth=2.)
    # Frequencies lie in the disc of radius bandwidth.
    assert (inp.freqs.norm(dim=1) <= 2.).all()
    w = torch.randn(2, 4)
    out = inp(w)
    assert out.shape == (2, 6, 12, 12)
    ref = fourier_features_explicit(inp)  # affine is identity at init
    torch.testing.assert_close(out[0].double(), ref, atol=2e-5, rtol=1e-5)
    torch.testing.assert_close(out[1], out[0])
    inp.transform[:2, 2] = -torch.tensor([0.1, -0.25])
    shifted = inp(w)
    ref = fourier_features_explicit(inp, shift=(0.1, -0.25))
    torch.testing.assert_close(shifted[0].double(), ref, atol=2e-5,
                               rtol=1e-5)


@pytest.mark.parametrize('kwargs', [
    dict(in_sampling_rate=16, out_sampling_rate=32, in_size=36, out_size=52,
         conv_kernel=3, is_torgb=False),
    dict(in_sampling_rate=16, out_sampling_rate=16, in_size=36, out_size=16,
         conv_kernel=1, is_torgb=False, use_radial_filters=True),
    dict(in_sampling_rate=32, out_sampling_rate=32, in_size=52, out_size=52,
         conv_kernel=1, is_torgb=False, use_radial_filters=True),
    dict(in_sampling_rate=16, out_sampling_rate=16, in_size=16, out_size=16,
         conv_kernel=3, is_torgb=True),
])
def test_synthesis_layer_matches_explicit_filtered_lrelu(kwargs, monkeypatch):
    torch.manual_seed(0)
    layer = SynthesisLayer(
        style_channels=5, is_critically_sampled=False, use_fp16=True,
        in_channels=4, out_channels=3, in_cutoff=4., out_cutoff=5.66,
        in_half_width=4., out_half_width=6., conv_clamp=0.9,
        magnitude_ema_beta=0.5, **kwargs)
    with torch.no_grad():
        layer.bias.normal_()
    calls = []
    real_op = stylegan3_modules.filtered_lrelu

    def spy(*args, **kw):
        calls.append(kw)
        return real_op(*args, **kw)

    monkeypatch.setattr(stylegan3_modules, 'filtered_lrelu', spy)
    size = kwargs['in_size']
    x = torch.randn(2, 4, size, size)
    w = torch.randn(2, 5)
    out = layer(x, w, update_emas=True)
    assert len(calls) == 1 and calls[0]['up'] == layer.up_factor
    assert out.shape == (2, 3, kwargs['out_size'], kwargs['out_size'])
    assert out.dtype == torch.float32  # fp16 only on CUDA
    # magnitude_ema <- beta * 1 + (1 - beta) * mean(x^2)
    torch.testing.assert_close(layer.magnitude_ema,
                               0.5 + 0.5 * x.pow(2).mean())

    # Explicit float64 recomputation of the whole layer.
    xd, wd = x.double(), w.double()
    styles = wd @ (layer.affine.weight.double() /
                   math.sqrt(5)).t() + layer.affine.bias.double()
    weight = layer.weight.double()
    gain = layer.magnitude_ema.double().rsqrt()
    k = layer.conv_kernel
    if kwargs['is_torgb']:
        styles = styles / math.sqrt(4 * k * k)
    else:
        weight = weight / weight.pow(2).mean().sqrt()
        styles = styles / styles.pow(2).mean().sqrt()
    ref = []
    for i in range(2):
        kern = weight * styles[i].view(1, -1, 1, 1)
        if not kwargs['is_torgb']:
            kern = kern / (kern.pow(2).sum([1, 2, 3], keepdim=True) +
                           1e-8).sqrt()
        y = F.conv2d(xd[i:i + 1] * gain, kern, padding=k - 1)
        y = y + layer.bias.double().view(1, -1, 1, 1)
        up, down = layer.up_factor, layer.down_factor
        fu = None if layer.up_filter is None else layer.up_filter.double()
        fd = None if layer.down_filter is None else \
            layer.down_filter.double()
        y = upfirdn_explicit(y, fu, up, 1, layer.padding) * up**2
        if kwargs['is_torgb']:
            y = y.clamp(-0.9, 0.9)
        else:
            y = lrelu(y).clamp(-0.9, 0.9)
        ref.append(upfirdn_explicit(y, fd, 1, down, [0, 0, 0, 0]))
    ref = torch.cat(ref)
    torch.testing.assert_close(out.double(), ref, atol=2e-5, rtol=1e-4)
    if kwargs.get('use_radial_filters'):
        expect_radial = layer.down_taps > 1
        assert (layer.down_filter is not None
                and layer.down_filter.ndim == 2) == expect_radial


def test_synthesis_layer_radial_filters_only_off_critical():
    common = dict(style_channels=2, is_torgb=False, use_fp16=False,
                  in_channels=2, out_channels=2, in_size=36, out_size=36,
                  in_sampling_rate=16, out_sampling_rate=16, in_cutoff=2.,
                  out_cutoff=2., in_half_width=6., out_half_width=6.,
                  conv_kernel=1, use_radial_filters=True)
    assert SynthesisLayer(is_critically_sampled=False,
                          **common).down_filter.ndim == 2
    assert SynthesisLayer(is_critically_sampled=True,
                          **common).down_filter.ndim == 1


def test_synthesis_layer_rejects_wrong_input_shape():
    layer = SynthesisLayer(
        style_channels=2, is_torgb=False, is_critically_sampled=False,
        use_fp16=False, in_channels=2, out_channels=2, in_size=36,
        out_size=36, in_sampling_rate=16, out_sampling_rate=16,
        in_cutoff=2., out_cutoff=2., in_half_width=6., out_half_width=6.)
    with pytest.raises(ValueError, match=r'expected input of shape'):
        layer(torch.zeros(1, 2, 35, 35), torch.zeros(1, 2))


def test_synthesis_layer_non_integer_rates_rejected():
    with pytest.raises(ValueError, match='integer'):
        SynthesisLayer(
            style_channels=2, is_torgb=False, is_critically_sampled=False,
            use_fp16=False, in_channels=2, out_channels=2, in_size=36,
            out_size=36, in_sampling_rate=12, out_sampling_rate=16,
            in_cutoff=2., out_cutoff=2., in_half_width=6.,
            out_half_width=6.)


def test_layer_gradients_reach_weights_and_inputs():
    torch.manual_seed(0)
    layer = SynthesisLayer(
        style_channels=3, is_torgb=False, is_critically_sampled=False,
        use_fp16=False, in_channels=2, out_channels=2, in_size=20,
        out_size=20, in_sampling_rate=8, out_sampling_rate=8, in_cutoff=2.,
        out_cutoff=2., in_half_width=2., out_half_width=2.)
    x = torch.randn(1, 2, 20, 20, requires_grad=True)
    out = layer(x, torch.randn(1, 3))
    gx, = torch.autograd.grad(out.square().sum(), x, create_graph=True)
    gx.sum().backward()  # second order through filtered_lrelu
    assert layer.weight.grad is not None
    assert np.isfinite(layer.weight.grad.numpy()).all()
