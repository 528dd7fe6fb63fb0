# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Equivariance of tiny untrained StyleGAN3 generators (paper Sec. 3, App. E).

The input transform of the Fourier features is set to a sub-pixel
translation / a rotation and the output is compared with the untransformed
output resampled by an independent Lanczos-3 interpolator written here.
Scores are SNRs in dB over pixels whose interpolation support lies inside
the image; each is compared with the unaligned baseline (no resampling).
"""
import math

import numpy as np
import pytest
import torch

from mmgen_ada.models.stylegan3 import StyleGANv3Generator

CONFIG_T = dict(channel_base=256, channel_max=16)
CONFIG_R = dict(channel_base=256, channel_max=16, conv_kernel=1,
                use_radial_filters=True)


def lanczos(x, a=3):
    return np.sinc(x) * np.sinc(x / a) * (np.abs(x) < a)


def resample(img, qx, qy, a=3):
    """Sample ``img`` at pixel coordinates ``(qx, qy)`` (centred, x right,
    y down) with separable Lanczos-a weights; mask where support is inside."""
    n = img.shape[-1]
    c = np.arange(n) - (n - 1) / 2
    lim = (n - 1) / 2 - a
    mask = (np.abs(qx) <= lim) & (np.abs(qy) <= lim)
    qx, qy = np.clip(qx, -lim, lim), np.clip(qy, -lim, lim)
    wx = lanczos(qx.reshape(-1, 1) - c[None])
    wy = lanczos(qy.reshape(-1, 1) - c[None])
    wx /= wx.sum(1, keepdims=True)
    wy /= wy.sum(1, keepdims=True)
    out = torch.einsum('pi,pj,ncij->ncp', torch.tensor(wy), torch.tensor(wx),
                       img.double())
    return out.reshape(img.shape), torch.tensor(mask)


def pixel_grid(n):
    c = np.arange(n) - (n - 1) / 2
    py, px = np.meshgrid(c, c, indexing='ij')
    return px, py


def snr_db(ref, img, mask):
    m = mask.expand_as(ref)
    err = (ref - img.double())[m].square().mean()
    return 10 * math.log10(ref[m].square().mean() / err)


def render(synthesis_cfg, transform, size=16, seed=1):
    """Original and transformed output of one tiny generator."""
    torch.manual_seed(seed)
    gen = StyleGANv3Generator(size, style_channels=16,
                              synthesis_cfg=synthesis_cfg).eval()
    with torch.no_grad():
        ws = gen.mapping(torch.randn(2, 16))
        orig = gen.synthesis(ws)
        gen.synthesis.input.transform.copy_(transform)
        moved = gen.synthesis(ws)
    return orig, moved


def rotation(theta):
    mat = torch.eye(3)
    mat[0, 0] = mat[1, 1] = math.cos(theta)
    mat[0, 1], mat[1, 0] = -math.sin(theta), math.sin(theta)
    return mat


@pytest.mark.parametrize('synthesis_cfg', [CONFIG_T, CONFIG_R],
                         ids=['T', 'R'])
def test_subpixel_translation_equivariance(synthesis_cfg):
    size, dx, dy = 16, 1.37, -0.61  # pixels
    transform = torch.eye(3)
    transform[:2, 2] = -torch.tensor([dx / size, dy / size])
    orig, moved = render(synthesis_cfg, transform, size)
    px, py = pixel_grid(size)
    ref, mask = resample(orig, px - dx, py - dy)  # ref(p) = orig(p - t)
    aligned = snr_db(ref, moved, mask)
    baseline = snr_db(orig.double(), moved, mask)
    wrong_way, _ = resample(orig, px + dx, py + dy)
    assert aligned > 30, (aligned, baseline)  # ~39 dB (T), ~50 dB (R)
    assert aligned > baseline + 20
    assert aligned > snr_db(wrong_way, moved, mask) + 20


def test_rot90_exact_for_config_r_not_t():
    """Radial filters and 1x1 convs commute with 90 degree rotations of the
    pixel grid; random 3x3 kernels of config T do not."""
    transform = rotation(math.pi / 2)
    orig, moved = render(CONFIG_R, transform)
    full = torch.ones(16, 16, dtype=torch.bool)
    ref = torch.rot90(orig, 1, dims=(2, 3)).double()
    assert snr_db(ref, moved, full) > 80  # float32 round-off only
    orig_t, moved_t = render(CONFIG_T, transform)
    ref_t = torch.rot90(orig_t, 1, dims=(2, 3)).double()
    assert snr_db(ref_t, moved_t, full) < 20


def test_fractional_rotation_equivariance_config_r():
    theta = math.radians(30)
    px, py = pixel_grid(16)
    # ref(p) = orig(R(theta) p)
    qx = math.cos(theta) * px - math.sin(theta) * py
    qy = math.sin(theta) * px + math.cos(theta) * py
    scores = {}
    for name, cfg in (('R', CONFIG_R), ('T', CONFIG_T)):
        orig, moved = render(cfg, rotation(theta))
        ref, mask = resample(orig, qx, qy)
        scores[name] = (snr_db(ref, moved, mask),
                        snr_db(orig.double(), moved, mask))
    aligned_r, baseline_r = scores['R']
    assert aligned_r > 25, scores  # ~42 dB measured
    assert aligned_r > baseline_r + 15, scores
    assert aligned_r > scores['T'][0] + 15, scores  # T: ~7 dB
