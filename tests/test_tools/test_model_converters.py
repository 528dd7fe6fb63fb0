# Copyright (c) mmgen-ada contributors. All rights reserved.
import os
import pickle
import runpy
import sys
from pathlib import Path

import pytest
import torch

from mmgen_ada.apis import init_model
from mmgen_ada.models.stylegan2 import (StyleGAN2Discriminator,
                                        StyleGANv2Generator,
                                        to_nvlabs_discriminator,
                                        to_nvlabs_generator)

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tests' / 'test_apis'))
import nvlabs_pickle_factory as factory  # noqa: E402

FIXTURE = REPO / '..' / 'shared' / 'fixtures' / 'nvlabs-small'
CONVERTERS = REPO / 'tools' / 'model_converters'


def converter(name):
    return runpy.run_path(str(CONVERTERS / f'{name}.py'))['main']


def _tiny_official_snapshot(path):
    """Our tiny G/D written as an official-format pickle, and the G."""
    torch.manual_seed(0)
    G = StyleGANv2Generator(
        16, style_channels=16, num_mlps=2, channel_base=256,
        channel_max=16).eval()
    D = StyleGAN2Discriminator(16, channel_base=256, channel_max=16).eval()
    with torch.no_grad():
        for p in list(G.parameters()) + list(D.parameters()):
            p.add_(0.1 * torch.randn_like(p))
    g_kwargs = factory.easydict(
        z_dim=16,
        c_dim=0,
        w_dim=16,
        img_resolution=16,
        img_channels=3,
        mapping_kwargs=factory.easydict(num_layers=2),
        synthesis_kwargs=factory.easydict(channel_base=256, channel_max=16))
    d_kwargs = factory.easydict(
        c_dim=0,
        img_resolution=16,
        img_channels=3,
        channel_base=256,
        channel_max=16,
        epilogue_kwargs=factory.easydict(mbstd_group_size=4))
    g_rec = factory.module_tree(
        to_nvlabs_generator(G.state_dict()),
        ['resample_filter', 'noise_const', 'w_avg'], 'Generator', g_kwargs)
    d_rec = factory.module_tree(
        to_nvlabs_discriminator(D.state_dict()), ['resample_filter'],
        'Discriminator', d_kwargs)
    factory.dump_snapshot(str(path), G=g_rec, D=d_rec, G_ema=g_rec)
    return G, D


def test_pkl_converter_end_to_end(tmp_path, capsys):
    G, D = _tiny_official_snapshot(tmp_path / 'net.pkl')
    converter('nvlabs_pkl_to_mmgen_ada')([
        str(tmp_path / 'net.pkl'),
        str(tmp_path / 'net.pth'), '--print-config'
    ])
    assert "type='StyleGANv2Generator'" in capsys.readouterr().out
    model = init_model(checkpoint=str(tmp_path / 'net.pth'))
    z, img = torch.randn(4, 16), torch.rand(4, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        ref = G(z, truncation_psi=0.5, noise_mode='const')
        for gen in (model.generator, model.generator_ema.module):
            torch.testing.assert_close(
                gen(z, truncation_psi=0.5, noise_mode='const'),
                ref,
                atol=0,
                rtol=0)
        torch.testing.assert_close(
            model.discriminator(img), D(img), atol=0, rtol=0)


def test_pkl_converter_refuses_malicious_pickle(tmp_path):
    marker = tmp_path / 'pwned'

    class Evil:

        def __reduce__(self):
            return (os.system, (f'touch {marker}', ))

    with open(tmp_path / 'evil.pkl', 'wb') as f:
        pickle.dump(dict(G=Evil()), f)
    with pytest.raises(pickle.UnpicklingError, match='Refusing'):
        converter('nvlabs_pkl_to_mmgen_ada')(
            [str(tmp_path / 'evil.pkl'),
             str(tmp_path / 'evil.pth')])
    assert not marker.exists() and not (tmp_path / 'evil.pth').exists()


@pytest.mark.skipif(
    not FIXTURE.is_dir(), reason=f'NVlabs fixture folder {FIXTURE} missing')
def test_state_dict_converters_with_official_fixture(tmp_path):
    config = tmp_path / 'small.py'
    config.write_text(
        "model = dict(type='StyleGAN2', generator=dict("
        "type='StyleGANv2Generator', out_size=32, style_channels=64, "
        'num_mlps=2, channel_base=2048, channel_max=64), discriminator=dict('
        "type='StyleGAN2Discriminator', in_size=32, channel_base=2048, "
        'channel_max=64))\n')
    g_sd = FIXTURE / 'generator_small_perturbed_state_dict.pt'
    d_sd = FIXTURE / 'discriminator_small_perturbed_state_dict.pt'
    ours = tmp_path / 'ours.pth'
    converter('nvlabs_state_dict_to_mmgen_ada')(
        [str(config),
         str(ours), '--g',
         str(g_sd), '--d',
         str(d_sd)])
    model = init_model(checkpoint=str(ours))
    io_g = torch.load(FIXTURE / 'generator_small_io.pt', weights_only=True)
    io_d = torch.load(FIXTURE / 'discriminator_small_io.pt', weights_only=True)
    with torch.no_grad():
        torch.testing.assert_close(
            model.generator_ema.module(io_g['z'], None, noise_mode='const'),
            io_g['perturbed_img_psi1_const'],
            atol=1e-5,
            rtol=1e-5)
        torch.testing.assert_close(
            model.discriminator(io_d['img'], None),
            io_d['perturbed_logits'],
            atol=1e-5,
            rtol=1e-5)

    # ours -> NVlabs layout reproduces the official files; and back.
    exported = tmp_path / 'nvlabs.pt'
    converter('mmgen_ada_to_nvlabs_state_dict')([str(ours), str(exported)])
    back = torch.load(exported, weights_only=True)
    for key, official in (('G', g_sd), ('G_ema', g_sd), ('D', d_sd)):
        official = torch.load(official, weights_only=True)
        assert list(back[key]) == list(official)
        for name, value in official.items():
            assert torch.equal(back[key][name], value), (key, name)
    again = tmp_path / 'again.pth'
    converter('nvlabs_state_dict_to_mmgen_ada')(
        [str(config), str(again), '--all',
         str(exported)])
    a = torch.load(ours, weights_only=True)['state_dict']
    b = torch.load(again, weights_only=True)['state_dict']
    assert list(a) == list(b)
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.skipif(
    not FIXTURE.is_dir(), reason=f'NVlabs fixture folder {FIXTURE} missing')
def test_state_dict_converter_accepts_ada_configs(tmp_path):
    config = tmp_path / 'small_ada.py'
    config.write_text(
        "model = dict(type='StyleGAN2', generator=dict("
        "type='StyleGANv2Generator', out_size=32, style_channels=64, "
        'num_mlps=2, channel_base=2048, channel_max=64), discriminator=dict('
        "type='ADAStyleGAN2Discriminator', in_size=32, channel_base=2048, "
        "channel_max=64, data_aug=dict(type='ADAAug', "
        "aug_pipeline=dict(preset='bgc'), ada_kimg=100)))\n")
    ours = tmp_path / 'ours.pth'
    converter('nvlabs_state_dict_to_mmgen_ada')([
        str(config),
        str(ours), '--g',
        str(FIXTURE / 'generator_small_perturbed_state_dict.pt'), '--d',
        str(FIXTURE / 'discriminator_small_perturbed_state_dict.pt')
    ])
    model = init_model(checkpoint=str(ours))
    assert float(model.discriminator.data_aug.aug_pipeline.p) == 0.0
    io_d = torch.load(FIXTURE / 'discriminator_small_io.pt', weights_only=True)
    with torch.no_grad():  # p = 0: no augmentation, the official logits
        torch.testing.assert_close(
            model.discriminator(io_d['img'], None),
            io_d['perturbed_logits'],
            atol=1e-5,
            rtol=1e-5)
