# Copyright (c) mmgen-ada contributors. All rights reserved.
import math

import numpy as np
import pytest
import torch
import torch.nn as nn

from mmgen_ada.evaluation.metrics import PerceptualPathLength
from mmgen_ada.evaluation.metrics.perceptual_path_length import (filtered_mean,
                                                                 slerp)


class LinearNet(nn.Module):
    """mapping: w = z A (the same w for both ws); synthesis: a fixed linear
    map of the ws to 3x16x16 images, so images of a path are known exactly."""

    noise_size = 4
    num_ws = 2

    def __init__(self):
        super().__init__()
        gen = torch.Generator().manual_seed(3)
        self.register_buffer('a', torch.randn(4, 4, generator=gen))
        self.register_buffer('p', torch.randn(8, 768, generator=gen) * 0.2)
        self.mapping = self._mapping
        self.synthesis = self._synthesis

    def _mapping(self, z, c=None, truncation_psi=1.0):
        return (z @ self.a).unsqueeze(1).repeat(1, 2, 1)

    def _synthesis(self, ws, noise_mode='random', force_fp32=False):
        assert noise_mode == 'const' and force_fp32
        return (ws.flatten(1) @ self.p).view(-1, 3, 16, 16)


def model_of(net):
    model = nn.Module()
    model.generator = net
    model.generator_ema = None
    return model


def test_slerp_closed_form():
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(5, 6, generator=gen), torch.randn(5, 6, generator=gen)
    t = torch.rand(5, 1, generator=gen)
    out = slerp(a, b, t)
    ua, ub = a / a.norm(dim=1, keepdim=True), b / b.norm(dim=1, keepdim=True)
    full = torch.acos((ua * ub).sum(1))
    torch.testing.assert_close(out.norm(dim=1), torch.ones(5))
    torch.testing.assert_close((out * ua).sum(1), torch.cos(t[:, 0] * full))
    torch.testing.assert_close((out * ub).sum(1),
                               torch.cos((1 - t[:, 0]) * full))
    torch.testing.assert_close(slerp(a, b, torch.zeros(5, 1)), ua)


def test_filtered_mean_keeps_1st_to_99th_percentile():
    rng = np.random.default_rng(0)
    x = rng.exponential(size=250)
    s = np.sort(x)
    lo, hi = s[math.floor(0.01 * 249)], s[math.ceil(0.99 * 249)]
    assert filtered_mean(x) == pytest.approx(x[(x >= lo) & (x <= hi)].mean())
    assert filtered_mean(np.array([1.0, 2.0, 1e9])) == pytest.approx(
        (1 + 2 + 1e9) / 3)  # n=3: the bounds are min and max


@pytest.mark.parametrize('space', ['W', 'Z'])
def test_ppl_is_lpips_over_eps_squared_of_the_path_images(
        space, lpips_files, lpips_by_hand):
    vgg, lin, trunk, lins = lpips_files
    eps = 0.05
    metric = PerceptualPathLength(
        fake_nums=2,
        space=space,
        crop=False,
        epsilon=eps,
        sample_model='orig',
        vgg16_weights=vgg,
        lpips_weights=lin)
    net = LinearNet()
    torch.manual_seed(7)
    metric.run(
        model_of(net), torch.device('cpu'), lambda n: None, batch_size=2)
    score = metric.evaluate()['PPL/ppl_score']
    # By hand: the same z draw, then the path points and images.
    torch.manual_seed(7)
    z = torch.randn(4, 4)
    z0, z1 = z[:2].double(), z[2:].double()
    a, p = net.a.double(), net.p.double()
    if space == 'W':
        w0, w1 = z0 @ a, z1 @ a
        pts = [w0, w0 + eps * (w1 - w0)]
    else:
        u0, u1 = z0 / z0.norm(
            dim=1, keepdim=True), z1 / z1.norm(
                dim=1, keepdim=True)
        omega = torch.acos((u0 * u1).sum(1, keepdim=True))
        ortho = u1 - torch.cos(omega) * u0
        ortho = ortho / ortho.norm(dim=1, keepdim=True)
        u_eps = u0 * torch.cos(eps * omega) + ortho * torch.sin(eps * omega)
        pts = [u0 @ a, u_eps @ a]
    imgs = [(torch.cat([w, w], 1) @ p).view(-1, 3, 16, 16) for w in pts]
    dist = lpips_by_hand(imgs[0].float(), imgs[1].float(), trunk,
                         lins) / eps**2
    assert score == pytest.approx(float(dist.mean()), rel=2e-3)


def test_crop_and_downsample_of_ppl_images(lpips_files):
    vgg, lin, _, _ = lpips_files
    metric = PerceptualPathLength(
        fake_nums=2, vgg16_weights=vgg, lpips_weights=lin)
    net = nn.Module()
    net.synthesis = lambda ws, noise_mode, force_fp32: ws
    img = torch.arange(2 * 3 * 512 * 512.).view(2, 3, 512, 512)
    out = metric.images(net, img)  # rows 192:448, cols 128:384, then 2x2 mean
    crop = img[:, :, 192:448, 128:384]
    expected = crop.view(2, 3, 128, 2, 128, 2).mean((3, 5))
    torch.testing.assert_close(out, expected)


def test_missing_lpips_weights_warn_then_fail_with_the_fix(tmp_path):
    metric = PerceptualPathLength(
        fake_nums=2,
        sample_model='orig',
        vgg16_weights=str(tmp_path / 'vgg16.pth'))
    with pytest.raises(FileNotFoundError, match='never downloaded'):
        metric.run(model_of(LinearNet()), torch.device('cpu'), lambda n: None)


def test_ppl_argument_checks():
    with pytest.raises(ValueError, match="space must be 'W' or 'Z'"):
        PerceptualPathLength(fake_nums=2, space='S')
    with pytest.raises(ValueError, match='sampling'):
        PerceptualPathLength(fake_nums=2, sampling='middle')
    with pytest.raises(ValueError, match='real_nums must be 0'):
        PerceptualPathLength(fake_nums=2, real_nums=10)
