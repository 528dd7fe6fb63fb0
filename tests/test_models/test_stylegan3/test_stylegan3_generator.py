# Copyright (c) mmgen-ada contributors. All rights reserved.
import pytest
import torch

from mmgen_ada.models.stylegan3 import StyleGANv3Generator
from mmgen_ada.registry import MODELS

TINY = dict(channel_base=128, channel_max=8, num_layers=4, num_critical=2)


def tiny_generator(**kwargs):
    cfg = dict(type='StyleGANv3Generator', out_size=16, style_channels=8,
               synthesis_cfg=dict(type='SynthesisNetwork', **TINY))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_build_shapes_and_names():
    torch.manual_seed(0)
    gen = tiny_generator(noise_size=6, cond_size=3)
    assert isinstance(gen, StyleGANv3Generator)
    assert gen.num_ws == 6 and gen.noise_size == 6
    assert gen.out_channels == gen.img_channels == 3
    assert gen.synthesis.layer_names == [
        'L0_36_8', 'L1_36_8', 'L2_36_8', 'L3_16_8', 'L4_16_3'
    ]
    z, c = torch.randn(2, 6), torch.randn(2, 3)
    ws = gen.mapping(z, c)
    assert ws.shape == (2, 6, 8)
    img = gen.synthesis(ws, noise_mode='const')
    assert img.shape == (2, 3, 16, 16) and img.dtype == torch.float32
    torch.testing.assert_close(gen(z, c), img)
    assert gen.w_avg.shape == (8, )


def test_state_dict_uses_reference_names():
    keys = set(tiny_generator().state_dict())
    for key in ('synthesis.input.freqs', 'synthesis.input.phases',
                'synthesis.input.transform', 'synthesis.input.affine.weight',
                'synthesis.L0_36_8.magnitude_ema', 'synthesis.L0_36_8.weight',
                'synthesis.L0_36_8.up_filter', 'synthesis.L2_36_8.down_filter',
                'mapping.fc0.weight', 'mapping.fc1.bias', 'mapping.w_avg'):
        assert key in keys, key


def test_config_r_structure():
    gen = tiny_generator(synthesis_cfg=dict(
        conv_kernel=1, use_radial_filters=True, **TINY))
    layers = [getattr(gen.synthesis, n) for n in gen.synthesis.layer_names]
    assert all(layer.weight.shape[-1] == 1 for layer in layers)
    # Radial (2-D) downsampling filters exactly in the non-critical layers.
    assert [layer.down_filter.ndim for layer in layers[:-1]] == [2, 2, 1, 1]
    assert layers[-1].down_filter is None


def test_cfg_validation_lists_valid_keys():
    with pytest.raises(KeyError, match=r"unknown synthesis_cfg keys "
                       r"\['chanel_base'\].*channel_base"):
        tiny_generator(synthesis_cfg=dict(chanel_base=4))
    with pytest.raises(ValueError, match="synthesis_cfg.type must be"):
        tiny_generator(synthesis_cfg=dict(type='Other'))
    with pytest.raises(KeyError,
                       match=r"unknown mapping_cfg keys.*w_avg_beta"):
        tiny_generator(mapping_cfg=dict(num_layer=2))
    with pytest.raises(ValueError, match='conv_kernel must be 1 or 3'):
        tiny_generator(synthesis_cfg=dict(conv_kernel=2, **TINY))
    with pytest.raises(ValueError, match='power of two'):
        tiny_generator(out_size=24)
    with pytest.raises(ValueError, match='noise_mode'):
        gen = tiny_generator()
        gen(torch.randn(1, 8), noise_mode='fixed')
    with pytest.raises(ValueError, match='ws must have shape'):
        gen.synthesis(torch.zeros(1, 3, 8))


def test_mapping_cfg_is_used():
    gen = tiny_generator(mapping_cfg=dict(type='MappingNetwork',
                                          num_layers=3, w_avg_beta=0.5))
    assert hasattr(gen.mapping, 'fc2')
    assert gen.mapping.w_avg_beta == 0.5


def test_update_emas_only_when_asked():
    torch.manual_seed(0)
    gen = tiny_generator()
    first = getattr(gen.synthesis, gen.synthesis.layer_names[0])
    z = torch.randn(3, 8)
    gen(z)
    assert first.magnitude_ema.item() == 1.
    assert gen.w_avg.abs().sum().item() == 0.
    gen(z, update_emas=True)
    assert first.magnitude_ema.item() != 1.
    assert gen.w_avg.abs().sum().item() > 0.


def test_truncation_to_w_avg_removes_latent_dependence():
    torch.manual_seed(0)
    gen = tiny_generator()
    gen(torch.randn(8, 8), update_emas=True)
    img = gen(torch.randn(2, 8), truncation_psi=0.)
    torch.testing.assert_close(img[0], img[1])
    img = gen(torch.randn(2, 8))
    assert (img[0] - img[1]).abs().max() > 1e-3


def test_mix_styles_and_rgb2bgr():
    torch.manual_seed(0)
    gen = tiny_generator()
    ws = gen.mapping(torch.randn(2, 8))
    assert gen.mix_styles(ws) is ws  # StyleGAN3 default: no mixing
    gen.mix_prob = 1.
    mixed = gen.mix_styles(ws)
    same = (mixed == ws).all(dim=2).all(dim=0)  # [num_ws]
    cutoff = int(same.logical_not().nonzero()[0])
    assert 1 <= cutoff < gen.num_ws
    assert same[:cutoff].all() and not same[cutoff:].any()
    # MMagic's rgb2bgr bridges its BGR data; with RGB data it is identity.
    same_order = tiny_generator(rgb2bgr=True)
    same_order.load_state_dict(gen.state_dict())
    z = torch.randn(1, 8)
    torch.testing.assert_close(same_order(z), gen(z))
    assert not gen(z).equal(gen(z).flip(1))  # the comparison can fail


def test_backward_and_r1_style_double_backward():
    torch.manual_seed(0)
    gen = tiny_generator()
    ws = gen.mapping(torch.randn(2, 8)).detach().requires_grad_(True)
    img = gen.synthesis(ws)
    grad, = torch.autograd.grad((img * torch.randn_like(img)).sum(), ws,
                                create_graph=True)
    grad.square().sum().backward()  # path-length style second order
    assert all(p.grad is not None for p in gen.synthesis.parameters())


@pytest.mark.parametrize('out_size', [(16, 32), [32, 16], (16, 16)])
def test_rectangular_out_size_is_refused_with_the_reason(out_size):
    with pytest.raises(
            ValueError,
            match=r'out_size must be an int \(square images\).*Fourier '
            r'features on a square grid.*StyleGANv2Generator with '
            r'out_size=\(H, W\)'):
        StyleGANv3Generator(out_size=out_size, style_channels=16)
