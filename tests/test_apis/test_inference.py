# Copyright (c) mmgen-ada contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmgen_ada.apis import (get_generator, init_model, make_labels, sample,
                            seeds_to_z, synthesize, to_uint8_hwc)
from mmgen_ada.models.stylegan2 import StyleGANv2Generator

G_CFG = dict(
    type='StyleGANv2Generator',
    out_size=16,
    style_channels=16,
    num_mlps=2,
    channel_base=256,
    channel_max=16)


def _generator(cond_size=0):
    torch.manual_seed(0)
    cfg = {k: v for k, v in G_CFG.items() if k != 'type'}
    return StyleGANv2Generator(cond_size=cond_size, **cfg).eval()


def test_seeds_to_z_is_nvlabs_randomstate():
    z = seeds_to_z([0, 7, 85], 16)
    assert z.dtype == torch.float32 and z.shape == (3, 16)
    for row, seed in zip(z, [0, 7, 85]):
        expected = np.random.RandomState(seed).randn(1, 16)[0]
        np.testing.assert_allclose(row.numpy(), expected, rtol=1e-6)
    # Known first draw of RandomState(0).randn (numpy's documented stream).
    assert float(z[0, 0]) == pytest.approx(1.764052345967664, rel=1e-6)
    with pytest.raises(ValueError, match='empty'):
        seeds_to_z([], 4)


def test_to_uint8_hwc_matches_nvlabs_formula():
    x = torch.tensor([-2., -1., -0.5, 0., 0.0039, 0.5, 1., 3.])
    img = x.view(1, 1, 1, -1).expand(1, 3, 1, 8)
    got = to_uint8_hwc(img)
    assert got.dtype == np.uint8 and got.shape == (1, 1, 8, 3)
    expected = [0, 0, 64, 128, 128, 191, 255, 255]  # floor(127.5 x + 128)
    np.testing.assert_array_equal(got[0, 0, :, 0], expected)


def test_make_labels():
    c = make_labels(2, 3, 4)
    np.testing.assert_array_equal(c.numpy(), np.eye(4)[[2, 2, 2]])
    c = make_labels([0, 3], 2, 4)
    np.testing.assert_array_equal(c.numpy(), np.eye(4)[[0, 3]])
    c = make_labels(np.full(4, 0.25), 2, 4)
    assert c.shape == (2, 4) and float(c.sum()) == 2
    assert make_labels(None, 3, 0) is None
    with pytest.raises(ValueError, match='unconditional'):
        make_labels(1, 3, 0)
    with pytest.raises(ValueError, match='conditional'):
        make_labels(None, 3, 4)
    with pytest.raises(ValueError, match='class index 4 out of range'):
        make_labels(4, 1, 4)
    with pytest.raises(ValueError, match=r'shape \(2, 4\)'):
        make_labels(np.zeros((3, 4)), 2, 4)


def test_sample_equals_generator_forward_for_seed_latents():
    G = _generator()
    images = sample(G, seeds=[3, 1, 4], truncation_psi=0.7, batch_size=2)
    z = torch.from_numpy(
        np.stack([np.random.RandomState(s).randn(16) for s in (3, 1, 4)]))
    with torch.no_grad():
        ref = G(z.float(), truncation_psi=0.7, noise_mode='const')
    ref = np.floor(
        np.clip(ref.permute(0, 2, 3, 1).numpy() * 127.5 + 128, 0,
                255)).astype(np.uint8)
    assert images.shape == (3, 16, 16, 3) and images.dtype == np.uint8
    np.testing.assert_array_equal(images, ref)
    assert images.std() > 0
    # batching does not change results; z input equals seed input
    np.testing.assert_array_equal(
        sample(
            G, z=seeds_to_z([3, 1, 4], 16), truncation_psi=0.7, batch_size=16),
        images)
    with pytest.raises(ValueError, match='exactly one'):
        sample(G)
    with pytest.raises(ValueError, match='noise_mode'):
        sample(G, seeds=[0], noise_mode='fixed')


def test_sample_conditional_needs_labels():
    G = _generator(cond_size=3)
    with pytest.raises(ValueError, match='conditional'):
        sample(G, seeds=[0])
    a = sample(G, seeds=[0, 1], labels=0)
    b = sample(G, seeds=[0, 1], labels=[0, 2])
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[1], b[1])


def test_init_model_loads_checkpoint_and_prefers_ema(tmp_path):
    cfg = dict(
        model=dict(
            type='StyleGAN2',
            generator=G_CFG,
            discriminator=dict(
                type='StyleGAN2Discriminator',
                in_size=16,
                channel_base=256,
                channel_max=16)))
    torch.manual_seed(1)
    model = init_model(cfg)
    with torch.no_grad():
        for p in model.generator_ema.module.parameters():
            p.add_(0.1)
    ckpt = tmp_path / 'iter_1.pth'
    torch.save(dict(meta=dict(), state_dict=model.state_dict()), ckpt)
    torch.manual_seed(2)
    loaded = init_model(cfg, str(ckpt))
    assert not loaded.training
    assert get_generator(loaded) is loaded.generator_ema.module
    assert get_generator(loaded, use_ema=False) is loaded.generator
    for a, b in zip(loaded.state_dict().values(), model.state_dict().values()):
        assert torch.equal(a, b)
    ema = sample(loaded, seeds=[5])
    raw = sample(loaded, seeds=[5], use_ema=False)
    assert not np.array_equal(ema, raw)
    np.testing.assert_array_equal(ema, sample(model, seeds=[5]))

    sd = {
        k: v
        for k, v in model.state_dict().items()
        if not k.startswith('generator_ema.module.mapping')
    }
    torch.save(dict(state_dict=sd), tmp_path / 'partial.pth')
    with pytest.raises(ValueError, match='generator_ema.module.mapping'):
        init_model(cfg, str(tmp_path / 'partial.pth'))
    with pytest.raises(ValueError, match="meta\\['cfg'\\]"):
        init_model(None, str(ckpt))
    with pytest.raises(ValueError, match='needs a config'):
        init_model()


def test_synthesize_checks_shape():
    G = _generator()
    ws = G.mapping(seeds_to_z([0, 1], 16))
    images = synthesize(G, ws.detach().numpy())
    np.testing.assert_array_equal(images, sample(G, seeds=[0, 1]))
    with pytest.raises(ValueError, match=r'\(N, 6, 16\)'):
        synthesize(G, np.zeros((1, 3, 16)))
