# Copyright (c) mmgen-ada contributors. All rights reserved.
import math

import numpy as np
import pytest
import torch
import torch.nn as nn

from mmgen_ada.evaluation.metrics import Equivariance
from mmgen_ada.evaluation.metrics.equivariance import psnr_db
from mmgen_ada.evaluation.metrics.equivariance_transforms import (
    fractional_pseudo_rotation, fractional_rotation, fractional_translate,
    integer_translate)

RES = 16


def wave(rows, cols):
    return torch.sin(0.7 * rows + 0.3 * cols) + torch.cos(0.45 * rows -
                                                          0.2 * cols)


class FakeNet(nn.Module):
    """synthesis draws ``wave`` moved by the input transform's whole-pixel
    translation (exactly equivariant to integer shifts), or a constant;
    every call after the batch's first (the reference) adds ``offset``."""

    noise_size = 2

    def __init__(self, kind, offset, calls_per_batch):
        super().__init__()
        self.kind, self.offset, self.calls = kind, offset, calls_per_batch
        self.count = 0
        self.synthesis = nn.Module()
        self.synthesis.input = nn.Module()
        self.synthesis.input.register_buffer('transform', torch.eye(3))
        self.synthesis.forward = self._synthesis

    def mapping(self, z, c=None, truncation_psi=1.0):
        return z

    def _synthesis(self, ws, noise_mode='const', force_fp32=False):
        t = -self.synthesis.input.transform[:2, 2]
        rows = torch.arange(RES).view(-1, 1).float() - round(float(t[1]) * RES)
        cols = torch.arange(RES).view(1, -1).float() - round(float(t[0]) * RES)
        img = wave(rows, cols) if self.kind == 'wave' else torch.full(
            (RES, RES), 0.3)
        extra = self.offset if self.count % self.calls else 0.
        self.count += 1
        return (img + extra).expand(ws.shape[0], 3, RES, RES)


def model_of(net):
    model = nn.Module()
    model.generator = net
    model.generator_ema = None
    return model


def run(metric, net):
    torch.manual_seed(0)
    metric.run(
        model_of(net), torch.device('cpu'), lambda k: None, batch_size=2)
    return metric.evaluate()


def test_psnr_closed_form():
    assert psnr_db(0.0, 10) == math.inf
    assert psnr_db(1.0, 100) == pytest.approx(20 * math.log10(2) + 20)
    with pytest.raises(ValueError, match='no valid pixels'):
        psnr_db(1.0, 0)


def test_integer_translation_by_index_algebra():
    x = torch.arange(2 * 3 * 6 * 7.).view(2, 3, 6, 7)
    out, mask = integer_translate(x, 2 / 7, -1 / 6)  # 2 right, 1 up
    ref, ref_mask = np.zeros((2, 3, 6, 7)), np.zeros((2, 3, 6, 7))
    for r in range(6):
        for c in range(7):
            sr, sc = r + 1, c - 2
            if 0 <= sr < 6 and 0 <= sc < 7:
                ref[:, :, r, c] = x[:, :, sr, sc].numpy()
                ref_mask[:, :, r, c] = 1
    np.testing.assert_array_equal(out.numpy(), ref)
    np.testing.assert_array_equal(mask.numpy(), ref_mask)


def test_fractional_translation_is_lanczos3_interpolation():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1, 2, 12, 12, generator=gen, dtype=torch.float64)
    tx, ty = 0.37 / 12, -1.8 / 12
    out, mask = fractional_translate(x, tx, ty)

    def kernel(d):  # Lanczos-3, numpy's normalised sinc
        return np.where(np.abs(d) < 3, np.sinc(d) * np.sinc(d / 3), 0.)

    xs = x.numpy()
    for r in range(12):
        for c in range(12):
            pr, pc = r - ty * 12, c - tx * 12  # where output reads the input
            taps_r = np.arange(math.floor(pr) - 2, math.floor(pr) + 4)
            taps_c = np.arange(math.floor(pc) - 2, math.floor(pc) + 4)
            inside = taps_r.min() >= 0 and taps_r.max() < 12 and \
                taps_c.min() >= 0 and taps_c.max() < 12
            assert mask[0, 0, r, c] == float(inside)
            if inside:
                wr, wc = kernel(pr - taps_r), kernel(pc - taps_c)
                wr, wc = wr / wr.sum(), wc / wc.sum()
                expected = np.einsum('i,cij,j->c', wr,
                                     xs[0][:, taps_r][:, :, taps_c], wc)
                np.testing.assert_allclose(
                    out[0, :, r, c], expected, atol=1e-12)
    # A whole-pixel shift is the integer translation.
    whole, whole_mask = fractional_translate(x, 2 / 12, 1 / 12)
    ref, _ = integer_translate(x, 2 / 12, 1 / 12)
    torch.testing.assert_close(whole * whole_mask, ref * whole_mask)


def test_rotation_by_a_quarter_turn_is_rot90_and_keeps_constants():
    rows = torch.arange(24.).view(-1, 1)
    cols = torch.arange(24.).view(1, -1)
    x = wave(rows * 0.8, cols * 0.8).expand(1, 2, 24, 24)
    out, mask = fractional_rotation(x, math.pi / 2)
    assert mask.sum() > 0 and mask.sum() < mask.numel()
    err = ((out - torch.rot90(x, 1, dims=(2, 3))).abs() * mask).max()
    assert err < 1e-3
    const, const_mask = fractional_pseudo_rotation(
        torch.full_like(x, 0.3), 0.4)
    torch.testing.assert_close(const * const_mask, 0.3 * const_mask)
    same, same_mask = fractional_pseudo_rotation(x, 0.0)
    torch.testing.assert_close(same * same_mask, x * same_mask)


def test_exactly_equivariant_generator_scores_infinite_eqt():
    metric = Equivariance(
        fake_nums=4,
        sample_model='orig',
        eq_cfg=dict(compute_eqt_int=True, translate_max=0.25))
    assert run(metric, FakeNet('wave', 0., 2)) == {'EQ/eqt_int': math.inf}


def test_known_error_gives_known_psnr_for_all_three():
    metric = Equivariance(
        fake_nums=2,
        sample_mode='orig',
        prefix='E',
        eq_cfg=dict(
            compute_eqt_int=True, compute_eqt_frac=True, compute_eqr=True))
    out = run(metric, FakeNet('const', 0.1, 4))
    expected = 20 * math.log10(2) - 10 * math.log10(0.1**2)  # 26.02 dB
    assert set(out) == {'E/eqt_int', 'E/eqt_frac', 'E/eqr'}
    for value in out.values():
        assert value == pytest.approx(expected, abs=1e-6)
    # The wave moved by the wrong amount is not equivariant.
    assert run(
        Equivariance(
            fake_nums=2,
            sample_model='orig',
            eq_cfg=dict(compute_eqt_frac=True)),
        FakeNet('wave', 0., 2))['EQ/eqt_frac'] < 40


def test_input_transform_is_restored_and_args_checked():
    net = FakeNet('const', 0., 2)
    run(
        Equivariance(
            fake_nums=2,
            sample_model='orig',
            eq_cfg=dict(compute_eqt_int=True)), net)
    assert torch.equal(net.synthesis.input.transform, torch.eye(3))
    with pytest.raises(KeyError, match="'compute_eq'.*valid keys"):
        Equivariance(fake_nums=2, eq_cfg=dict(compute_eq=True))
    with pytest.raises(ValueError, match='enables no metric'):
        Equivariance(fake_nums=2)
    with pytest.raises(ValueError, match='disagree'):
        Equivariance(
            fake_nums=2,
            sample_mode='ema',
            sample_model='orig',
            eq_cfg=dict(compute_eqr=True))
    with pytest.raises(TypeError, match='input transform'):
        bare = nn.Module()
        bare.mapping = bare.synthesis = lambda *a, **k: None
        bare.noise_size = 2
        run(
            Equivariance(
                fake_nums=2,
                sample_model='orig',
                eq_cfg=dict(compute_eqr=True)), bare)


def test_fresh_stylegan3_is_nearly_equivariant_to_integer_shifts():
    from mmgen_ada.registry import MODELS
    torch.manual_seed(0)
    gen = MODELS.build(
        dict(
            type='StyleGANv3Generator',
            out_size=16,
            style_channels=8,
            noise_size=4,
            synthesis_cfg=dict(channel_base=128, channel_max=8,
                               num_layers=3))).eval()
    out = run(
        Equivariance(
            fake_nums=2, sample_model='orig',
            eq_cfg=dict(compute_eqt_int=True)), gen)
    # Measured ~100 dB; a shift with the wrong sign gives ~20 dB.
    assert out['EQ/eqt_int'] > 40
    assert torch.equal(gen.synthesis.input.transform, torch.eye(3))
