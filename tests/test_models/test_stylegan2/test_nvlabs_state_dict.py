# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Reproduce NVlabs StyleGAN2-ADA outputs from official-format weights.

Ground truth: ``shared/fixtures/nvlabs-small`` (beside the repository), made
by the unmodified official code; see its README.md.
"""
from pathlib import Path

import pytest
import torch

from mmgen_ada.models.stylegan2 import (StyleGAN2Discriminator,
                                        StyleGANv2Generator,
                                        convert_nvlabs_discriminator,
                                        convert_nvlabs_generator,
                                        to_nvlabs_discriminator,
                                        to_nvlabs_generator)

FIXTURES = (
    Path(__file__).resolve().parents[3] / '..' / 'shared' / 'fixtures' /
    'nvlabs-small')
pytestmark = pytest.mark.skipif(
    not FIXTURES.is_dir(),
    reason=f'NVlabs fixture folder {FIXTURES} is missing (CI clones the '
    'repository with shared/ beside it)')
TOL = dict(atol=1e-5, rtol=1e-5)


def _load(name):
    return torch.load(FIXTURES / name, weights_only=True)


def _generator(state_dict_name):
    # Same hyperparameters as the fixture's official Generator.
    G = StyleGANv2Generator(
        32, style_channels=64, num_mlps=2, channel_base=2048, channel_max=64)
    G.load_state_dict(convert_nvlabs_generator(_load(state_dict_name)))
    return G.eval().requires_grad_(False)


def _discriminator(state_dict_name):
    D = StyleGAN2Discriminator(
        32, channel_base=2048, channel_max=64, mbstd_group_size=4)
    D.load_state_dict(convert_nvlabs_discriminator(_load(state_dict_name)))
    return D.eval()


@pytest.fixture(scope='module')
def g_io():
    return _load('generator_small_io.pt')


@pytest.fixture(scope='module')
def d_io():
    return _load('discriminator_small_io.pt')


def test_generator_matches_official(g_io):
    G = _generator('generator_small_state_dict.pt')
    z = g_io['z']
    assert G.num_ws == g_io['num_ws'] == 8
    with torch.no_grad():
        ws = G.mapping(z, None, truncation_psi=1)
        torch.testing.assert_close(ws, g_io['ws_psi1'], **TOL)
        torch.testing.assert_close(
            G(z, None, noise_mode='const'), g_io['img_psi1_const'], **TOL)
        torch.testing.assert_close(
            G(z, None, noise_mode='none'), g_io['img_psi1_none'], **TOL)
        torch.testing.assert_close(
            G.synthesis(g_io['ws_psi1'], noise_mode='const'),
            g_io['img_from_ws_psi1_const'], **TOL)

        G.w_avg.copy_(g_io['w_avg'])
        torch.testing.assert_close(
            G.mapping(z, None, truncation_psi=0.7), g_io['ws_psi07'], **TOL)
        torch.testing.assert_close(
            G(z, None, truncation_psi=0.7, noise_mode='const'),
            g_io['img_psi07_const'], **TOL)
        torch.testing.assert_close(
            G.mapping(z, None, truncation_psi=0.7, truncation_cutoff=2),
            g_io['ws_psi07_cutoff2'], **TOL)
        torch.testing.assert_close(
            G(z,
              None,
              truncation_psi=0.7,
              truncation_cutoff=2,
              noise_mode='const'), g_io['img_psi07_cutoff2_const'], **TOL)


def test_perturbed_generator_matches_official(g_io):
    # Nonzero biases and noise strengths.
    G = _generator('generator_small_perturbed_state_dict.pt')
    z = g_io['z']
    with torch.no_grad():
        torch.testing.assert_close(
            G.mapping(z, None), g_io['perturbed_ws_psi1'], **TOL)
        img_const = G(z, None, noise_mode='const')
        img_none = G(z, None, noise_mode='none')
        torch.testing.assert_close(img_const, g_io['perturbed_img_psi1_const'],
                                   **TOL)
        torch.testing.assert_close(img_none, g_io['perturbed_img_psi1_none'],
                                   **TOL)
        assert not torch.allclose(img_const, img_none, atol=1e-3)
        G.w_avg.copy_(g_io['w_avg'])
        torch.testing.assert_close(
            G(z, None, truncation_psi=0.7, noise_mode='const'),
            g_io['perturbed_img_psi07_const'], **TOL)


def test_generator_train_mode_path_matches_official(g_io):
    # Train mode uses the non-fused modulated conv; same maths.
    G = _generator('generator_small_perturbed_state_dict.pt').train()
    with torch.no_grad():
        img = G(g_io['z'], None, noise_mode='const')
    torch.testing.assert_close(img, g_io['perturbed_img_psi1_const'], **TOL)


@pytest.mark.parametrize('prefix,state_dict_name', [
    ('', 'discriminator_small_state_dict.pt'),
    ('perturbed_', 'discriminator_small_perturbed_state_dict.pt'),
])
def test_discriminator_matches_official(d_io, prefix, state_dict_name):
    D = _discriminator(state_dict_name)
    img = d_io['img'].clone().requires_grad_(True)
    logits = D(img, None)
    torch.testing.assert_close(logits.detach(), d_io[f'{prefix}logits'], **TOL)
    (grad, ) = torch.autograd.grad(logits.sum(), img, create_graph=True)
    torch.testing.assert_close(grad.detach(),
                               d_io[f'{prefix}dlogits_sum_dimg'], **TOL)
    # R1 backpropagates through the gradient (double backward).
    grad.square().sum().backward()
    for name, p in D.named_parameters():
        if name.endswith('weight'):  # biases may not reach the gradient
            assert p.grad is not None and p.grad.abs().sum() > 0, name
            assert torch.isfinite(p.grad).all(), name


@pytest.mark.parametrize('name', [
    'generator_small_state_dict.pt', 'generator_small_perturbed_state_dict.pt'
])
def test_generator_round_trip(g_io, name):
    official = _load(name)
    ours = convert_nvlabs_generator(official)
    assert not any(k.endswith('resample_filter') for k in ours)
    back = to_nvlabs_generator(ours)
    # Same keys in the same order as the official state dict, same values.
    assert list(back) == list(official)
    assert list(back) == list(g_io['state_dict_shapes'])
    for key, value in official.items():
        torch.testing.assert_close(back[key], value, atol=0, rtol=0)
    # ours -> official -> ours is the identity as well.
    G = StyleGANv2Generator(
        32, style_channels=64, num_mlps=2, channel_base=2048, channel_max=64)
    sd = G.state_dict()
    again = convert_nvlabs_generator(to_nvlabs_generator(sd))
    assert list(again) == list(sd)
    assert all(torch.equal(again[k], sd[k]) for k in sd)


def test_discriminator_round_trip(d_io):
    official = _load('discriminator_small_state_dict.pt')
    ours = convert_nvlabs_discriminator(official)
    assert any(k.startswith('epilogue.') for k in ours)
    assert not any(k.startswith('b4.') for k in ours)
    back = to_nvlabs_discriminator(ours)
    assert list(back) == list(official) == list(d_io['state_dict_shapes'])
    for key, value in official.items():
        torch.testing.assert_close(back[key], value, atol=0, rtol=0)
    D = StyleGAN2Discriminator(32, channel_base=2048, channel_max=64)
    sd = D.state_dict()
    again = convert_nvlabs_discriminator(to_nvlabs_discriminator(sd))
    assert list(again) == list(sd)
    assert all(torch.equal(again[k], sd[k]) for k in sd)


def test_conditional_round_trip():
    # Conditional layouts (mapping.embed, D mapping, cmap projection) keep
    # the official names; NVlabs registers mapping between blocks and b4.
    G = StyleGANv2Generator(
        8,
        style_channels=8,
        num_mlps=2,
        cond_size=3,
        channel_base=64,
        channel_max=8)
    sd = G.state_dict()
    official = to_nvlabs_generator(sd)
    assert 'mapping.embed.weight' in official
    assert convert_nvlabs_generator(official).keys() == sd.keys()
    D = StyleGAN2Discriminator(
        8, cond_size=3, cond_mapping_layers=2, channel_base=64, channel_max=8)
    sd = D.state_dict()
    official = to_nvlabs_discriminator(sd)
    keys = list(official)
    assert keys.index('mapping.fc1.bias') < keys.index('b4.conv.weight')
    assert 'b4.conv.resample_filter' in official
    assert 'b4.resample_filter' not in official
    assert convert_nvlabs_discriminator(official).keys() == sd.keys()


def test_converter_rejects_bad_input():
    official = _load('generator_small_state_dict.pt')
    bad = dict(official)
    bad['synthesis.b8.skip.weight'] = torch.zeros(1)
    with pytest.raises(ValueError, match='synthesis.b8.skip.weight'):
        convert_nvlabs_generator(bad)
    with pytest.raises(ValueError, match='resample_filter'):
        convert_nvlabs_generator(official, resample_filter=(1, 2, 1))
    d_official = _load('discriminator_small_state_dict.pt')
    with pytest.raises(ValueError, match='NVlabs state dict already'):
        to_nvlabs_discriminator(d_official)
