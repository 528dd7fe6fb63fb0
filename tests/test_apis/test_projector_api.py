# Copyright (c) mmgen-ada contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmgen_ada.apis import (MultiScalePixelDistance, build_projection_distance,
                            load_target_image, noise_regularization, project)
from mmgen_ada.apis.projector import learning_rate
from mmgen_ada.models.stylegan2 import StyleGANv2Generator


def test_noise_regularization_against_explicit_sums():
    rng = np.random.RandomState(0)
    maps = [rng.randn(16, 16), rng.randn(4, 4)]
    expected = 0.0
    for n in maps:
        levels = [n]
        while levels[-1].shape[0] > 8:
            m = levels[-1]
            levels.append(
                m.reshape(m.shape[0] // 2, 2, m.shape[1] // 2,
                          2).mean(axis=(1, 3)))
        for m in levels:
            right = np.concatenate([m[:, -1:], m[:, :-1]], axis=1)
            down = np.concatenate([m[-1:], m[:-1]], axis=0)
            expected += (m * right).mean()**2 + (m * down).mean()**2
    got = noise_regularization([torch.from_numpy(m) for m in maps])
    assert float(got) == pytest.approx(expected, rel=1e-9)


def test_learning_rate_schedule():
    # t = 0: ramp-up factor 0; t = 0.5: full lr; t = 0.875: cosine half way.
    assert learning_rate(0, 100, 0.1, 0.25, 0.05) == 0
    assert learning_rate(50, 100, 0.1, 0.25, 0.05) == pytest.approx(0.1)
    assert learning_rate(2, 100, 0.1, 0.25, 0.05) == pytest.approx(0.1 * 0.4)
    assert learning_rate(875, 1000, 0.1, 0.25, 0.05) == pytest.approx(0.05)


def test_multiscale_pixel_distance():
    dist = MultiScalePixelDistance(min_size=4)
    t = torch.zeros(1, 3, 16, 16)
    dist.set_target(t)
    x = torch.full((1, 3, 16, 16), 255.)  # +2 everywhere in [-1, 1] units
    assert float(dist(x)) == pytest.approx(3 * 4.0)  # levels 16, 8, 4
    assert build_projection_distance('pixel').name.startswith('pixel')
    with pytest.raises(ValueError, match='distance must be one of'):
        build_projection_distance('vgg')
    with pytest.raises(ValueError, match='vgg16.pt'):
        build_projection_distance('lpips')


def test_projection_recovers_generated_image():
    torch.manual_seed(0)
    G = StyleGANv2Generator(
        16, style_channels=16, num_mlps=2, channel_base=256,
        channel_max=16).eval()
    with torch.no_grad():
        for name, p in G.named_parameters():  # more varied images
            if name.endswith('bias'):  # noise_strength stays 0: the
                # projection is rendered with G's own const noise, as NVlabs
                p.add_(0.2 * torch.randn_like(p))
        z = torch.randn(1, 16)
        w = G.mapping(z, None)
        target = ((G.synthesis(w, noise_mode='const') + 1) * 127.5).clamp(
            0, 255).round()[0]
    steps = []
    ws = project(
        G,
        target,
        MultiScalePixelDistance(),
        num_steps=200,
        w_avg_samples=1000,
        callback=lambda s, d, loss: steps.append((s, d)))
    assert ws.shape == (200, G.num_ws, 16)
    assert steps[-1][0] == 200 and steps[-1][1] < steps[0][1]
    with torch.no_grad():
        img = ((G.synthesis(ws[-1:], noise_mode='const') + 1) * 127.5).clamp(
            0, 255)[0]
    mse = float((img - target).square().mean())
    psnr = 10 * np.log10(255**2 / mse)
    print(f'projection PSNR {psnr:.1f} dB')
    assert psnr > 20, psnr
    # the generator passed in is left untouched (a copy is optimised)
    assert not any(b.requires_grad for b in G.buffers())


def test_load_target_image(tmp_path):
    from PIL import Image
    img = np.zeros((20, 30, 3), np.uint8)
    img[:, 5:25] = 200  # the centre square after cropping
    Image.fromarray(img).save(tmp_path / 't.png')
    out = load_target_image(str(tmp_path / 't.png'), 8)
    assert out.shape == (8, 8, 3) and out.dtype == np.uint8
    assert abs(int(out.mean()) - 200) <= 2
    assert load_target_image(str(tmp_path / 't.png'), 8, 1).shape == (8, 8, 1)


class _TinyFeatureNet(torch.nn.Module):
    """Stands in for the Inception TorchScript: 299x299 in, 2048 out."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 2048)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert x.shape[2] == 299 and x.shape[3] == 299
        return self.fc(x.mean(dim=(2, 3)))


def test_inception_pixel_distance_formula(tmp_path):
    torch.manual_seed(0)
    net = torch.jit.script(_TinyFeatureNet())
    net.save(str(tmp_path / 'features.pt'))
    dist = build_projection_distance(
        'inception', inception_weights=str(tmp_path / 'features.pt'))
    assert dist.name.startswith('inception')
    t = torch.rand(1, 3, 16, 16) * 255
    x = (torch.rand(1, 3, 16, 16) * 255).requires_grad_(True)
    dist.set_target(t)
    got = dist(x)
    got.backward()
    assert x.grad.abs().sum() > 0

    def feats(img):  # the documented input pipeline of the FID network
        from mmgen_ada.evaluation.feature_extractors import resize_like_tf
        return net((resize_like_tf(img) - 128) / 128)

    pixel = MultiScalePixelDistance()
    pixel.set_target(t)
    with torch.no_grad():
        expected = pixel(x) + (feats(x) - feats(t)).square().mean()
    assert float(got) == pytest.approx(float(expected), rel=1e-5)
