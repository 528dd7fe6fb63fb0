# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Official networks -> our checkpoints, checked against NVlabs outputs.

The fixture (``<repo>/../shared/fixtures/nvlabs-small``, see its README)
holds state dicts of the official StyleGAN2-ADA networks and the outputs the
official code computed from them.
"""
import os.path as osp
import sys

import pytest
import torch

sys.path.insert(0, osp.dirname(__file__))
import nvlabs_pickle_factory as factory  # noqa: E402

from mmgen_ada.apis import (  # noqa: E402
    build_checkpoint, convert_nvlabs_pickle, convert_nvlabs_state_dicts,
    init_model, load_nvlabs_pickle, nvlabs_discriminator_cfg,
    nvlabs_generator_cfg, to_nvlabs_state_dicts)
from mmgen_ada.apis.nvlabs_pickle import NVlabsModuleRecord  # noqa: E402

FIXTURE = factory.FIXTURE
needs_fixture = pytest.mark.skipif(
    not FIXTURE.is_dir(), reason=f'NVlabs fixture folder {FIXTURE} missing')
TOL = dict(atol=1e-5, rtol=1e-5)

G_KWARGS = factory.FIXTURE_G_KWARGS
G_BUFFERS = factory.G_BUFFERS
_g_kwargs = factory.fixture_g_kwargs
_d_kwargs = factory.fixture_d_kwargs


def _load(name):
    return torch.load(FIXTURE / name, weights_only=True)


def _snapshot(tmp_path, g_sd, d_sd):
    return factory.write_snapshot(
        str(tmp_path / 'network-snapshot-000000.pkl'), g_sd, d_sd)


@needs_fixture
def test_pickle_conversion_reproduces_official_outputs(tmp_path):
    io_g = _load('generator_small_io.pt')
    io_d = _load('discriminator_small_io.pt')
    g_sd = dict(_load('generator_small_perturbed_state_dict.pt'))
    g_sd['mapping.w_avg'] = io_g['w_avg']  # the README's psi=0.7 rows
    path = _snapshot(tmp_path, g_sd,
                     _load('discriminator_small_state_dict.pt'))

    ckpt = convert_nvlabs_pickle(load_nvlabs_pickle(path), source=path)
    assert ckpt['meta']['augment_p'] == pytest.approx(0.25)
    assert ckpt['meta']['not_converted'] == []
    ckpt_path = str(tmp_path / 'converted.pth')
    torch.save(ckpt, ckpt_path)
    model = init_model(checkpoint=ckpt_path)  # config from meta['cfg']

    z = io_g['z']
    with torch.no_grad():
        for G in (model.generator, model.generator_ema.module):
            torch.testing.assert_close(
                G(z, None, truncation_psi=0.7, noise_mode='const'),
                io_g['perturbed_img_psi07_const'], **TOL)
            torch.testing.assert_close(
                G.synthesis(io_g['perturbed_ws_psi1'], noise_mode='none'),
                io_g['perturbed_img_psi1_none'], **TOL)
        logits = model.discriminator(io_d['img'], None)
    torch.testing.assert_close(logits, io_d['logits'], **TOL)


@needs_fixture
def test_state_dict_conversion_and_round_trip():
    g_sd = _load('generator_small_state_dict.pt')
    d_sd = _load('discriminator_small_perturbed_state_dict.pt')
    rec = NVlabsModuleRecord('Generator', '', 6,
                             dict(_init_kwargs=dict(_g_kwargs())))
    d_rec = NVlabsModuleRecord('Discriminator', '', 6,
                               dict(_init_kwargs=dict(_d_kwargs())))
    model_cfg = dict(
        type='StyleGAN2',
        generator=nvlabs_generator_cfg(rec),
        discriminator=nvlabs_discriminator_cfg(d_rec))
    ckpt = convert_nvlabs_state_dicts(model_cfg, g_sd, d_sd)
    model = init_model(dict(model=model_cfg))
    model.load_state_dict(ckpt['state_dict'])
    io_g = _load('generator_small_io.pt')
    io_d = _load('discriminator_small_io.pt')
    img = torch.as_tensor(io_d['img']).requires_grad_(True)
    with torch.no_grad():
        torch.testing.assert_close(
            model.generator_ema.module(io_g['z'], None, noise_mode='const'),
            io_g['img_psi1_const'], **TOL)
    logits = model.discriminator(img, None)
    torch.testing.assert_close(logits, io_d['perturbed_logits'], **TOL)

    # ours -> NVlabs layout gives back the official state dicts exactly.
    back = to_nvlabs_state_dicts(ckpt, model_cfg)
    assert sorted(back) == ['D', 'G', 'G_ema']
    for ours, official in ((back['G'], g_sd), (back['G_ema'], g_sd),
                           (back['D'], d_sd)):
        assert list(ours) == list(official)
        for key in official:
            assert torch.equal(ours[key], official[key]), key
    # ... and NVlabs -> ours again is the identity on our checkpoint.
    again = convert_nvlabs_state_dicts(model_cfg, back['G'], back['D'],
                                       back['G_ema'])
    for key, value in ckpt['state_dict'].items():
        assert torch.equal(again['state_dict'][key], value), key


def test_generator_cfg_of_official_kwargs():
    kwargs = dict(
        z_dim=512,
        c_dim=10,
        w_dim=512,
        img_resolution=32,
        img_channels=3,
        mapping_kwargs=dict(num_layers=2, embed_features=None),
        synthesis_kwargs=dict(
            channel_base=16384,
            channel_max=512,
            num_fp16_res=4,
            conv_clamp=256,
            architecture='skip'))
    rec = NVlabsModuleRecord('Generator', '', 6, dict(_init_kwargs=kwargs))
    cfg = nvlabs_generator_cfg(rec)
    assert cfg == dict(
        type='StyleGANv2Generator',
        out_size=32,
        style_channels=512,
        noise_size=512,
        cond_size=10,
        out_channels=3,
        cond_mapping_channels=None,
        num_mlps=2,
        lr_mlp=0.01,
        w_avg_beta=0.995,
        channel_base=16384,
        channel_max=512,
        conv_clamp=256,
        num_fp16_scales=4,
        resample_filter=[1, 3, 3, 1])
    kwargs['synthesis_kwargs']['architecture'] = 'resnet'
    with pytest.raises(ValueError, match="architecture='resnet'"):
        nvlabs_generator_cfg(rec)
    rec = NVlabsModuleRecord('Generator', '', 6, dict(_init_kwargs={}))
    with pytest.raises(ValueError, match='lacks init kwargs'):
        nvlabs_generator_cfg(rec)


def test_stylegan3_generator_round_trip(tmp_path):
    """stylegan3-repo pickles: synthesis kwargs at the top level."""
    from mmgen_ada.models.stylegan3 import StyleGANv3Generator
    torch.manual_seed(0)
    syn = dict(channel_base=256, channel_max=16, magnitude_ema_beta=0.99)
    ours = StyleGANv3Generator(
        16,
        style_channels=8,
        noise_size=8,
        synthesis_cfg=syn,
        mapping_cfg=dict(num_layers=2)).eval()
    official_sd = ours.state_dict()  # the official names and layout
    buffers = {k.split('.')[-1] for k, _ in ours.named_buffers()}
    kwargs = factory.easydict(
        z_dim=8,
        c_dim=0,
        w_dim=8,
        img_resolution=16,
        img_channels=3,
        mapping_kwargs=factory.easydict(num_layers=2),
        **syn)
    G = factory.module_tree(official_sd, buffers, 'Generator', kwargs)
    path = str(tmp_path / 'sg3.pkl')
    factory.dump_snapshot(path, G_ema=G)
    data = load_nvlabs_pickle(path)
    ckpt = convert_nvlabs_pickle(data)
    assert ckpt['meta']['not_converted'] == ['generator', 'discriminator']
    torch.save(ckpt, tmp_path / 'sg3.pth')
    model = init_model(checkpoint=str(tmp_path / 'sg3.pth'))
    G_conv = model.generator_ema.module
    assert type(G_conv).__name__ == 'StyleGANv3Generator'
    z = torch.randn(2, 8)
    with torch.no_grad():
        torch.testing.assert_close(G_conv(z), ours(z), atol=0, rtol=0)
    back = to_nvlabs_state_dicts(ckpt, model.cfg.model.to_dict())
    for key, value in official_sd.items():
        assert torch.equal(back['G_ema'][key], value), key


def test_orig_discriminator_of_the_cifar_preset_converts():
    # The official cifar10.pkl has D architecture='orig' (no skip convs).
    kwargs = _d_kwargs()
    kwargs['architecture'] = 'orig'
    d_rec = NVlabsModuleRecord('Discriminator', '', 6,
                               dict(_init_kwargs=kwargs))
    d_cfg = nvlabs_discriminator_cfg(d_rec)
    assert d_cfg['architecture'] == 'orig'
    g_rec = NVlabsModuleRecord('Generator', '', 6,
                               dict(_init_kwargs=dict(_g_kwargs())))
    model_cfg = dict(
        type='StyleGAN2',
        generator=nvlabs_generator_cfg(g_rec),
        discriminator=d_cfg)
    torch.manual_seed(0)
    model = init_model(dict(model=model_cfg))
    assert not hasattr(model.discriminator.b32, 'skip')
    ckpt = dict(state_dict=model.state_dict())
    back = to_nvlabs_state_dicts(ckpt, model_cfg)
    assert 'b32.conv1.weight' in back['D'] and 'b4.fc.weight' in back['D']
    assert not [k for k in back['D'] if '.skip.' in k]
    again = convert_nvlabs_state_dicts(model_cfg, back['G'], back['D'],
                                       back['G_ema'])
    for key, value in ckpt['state_dict'].items():
        assert torch.equal(again['state_dict'][key], value), key

    kwargs['architecture'] = 'skip'
    skip_rec = NVlabsModuleRecord('Discriminator', '', 6,
                                  dict(_init_kwargs=kwargs))
    with pytest.raises(ValueError, match="architecture='skip'"):
        nvlabs_discriminator_cfg(skip_rec)


def test_rectangular_checkpoint_has_no_nvlabs_layout():
    # Official networks are square; the export refuses, naming the key.
    model_cfg = dict(
        type='StyleGAN2',
        generator=dict(
            type='StyleGANv2Generator',
            out_size=(8, 16),
            style_channels=8,
            num_mlps=1,
            channel_base=64,
            channel_max=8),
        discriminator=dict(
            type='StyleGAN2Discriminator',
            in_size=(8, 16),
            channel_base=64,
            channel_max=8))
    ckpt = build_checkpoint(model_cfg, None)
    with pytest.raises(
            ValueError,
            match=r'model\.generator\.out_size=\(8, 16\) is rectangular; '
            'the official NVlabs networks are square'):
        to_nvlabs_state_dicts(ckpt, model_cfg)
