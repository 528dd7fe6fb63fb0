# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Exactness, consistency and gradient tests of AugmentPipe."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.spatial.transform import Rotation
from scipy.special import erfinv
from torch.autograd import gradcheck, gradgradcheck

from mmgen_ada.models.ada import AugmentPipe, preset_multipliers
from mmgen_ada.models.ada.augment_transforms import resample_geometric


def _images(n=2, c=3, h=16, w=16, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, c, h, w, generator=g, dtype=dtype) * 2 - 1


def _pipe(p=1.0, **kwargs):
    pipe = AugmentPipe(**kwargs)
    pipe.p.fill_(p)
    return pipe


# ----------------------------------------------------------------------------
# p = 0 and identities.


@pytest.mark.parametrize('channels', [1, 3])
def test_p0_returns_input_bit_for_bit(channels):
    x = _images(3, channels, 32, 32)
    pipe = _pipe(0.0, **preset_multipliers('bgcfnc'))
    out = pipe(x)
    assert torch.equal(out, x)


def test_full_path_at_p0_is_identity_up_to_rounding():
    x = _images(3, 3, 32, 32)
    pipe = _pipe(0.0, skip_identity=False, **preset_multipliers('bgcfnc'))
    out = pipe(x)
    assert not torch.equal(out, x)  # it really went through the stages
    torch.testing.assert_close(out, x, atol=1e-5, rtol=0)


def test_geometric_resampling_with_identity_matrix():
    pipe = AugmentPipe()
    for h, w in [(16, 16), (12, 20)]:
        x = _images(2, 3, h, w)
        out = resample_geometric(x,
                                 torch.eye(3).repeat(2, 1, 1),
                                 pipe.geom_filter)
        assert out.shape == x.shape
        torch.testing.assert_close(out, x, atol=1e-5, rtol=0)


# ----------------------------------------------------------------------------
# Pixel blitting at debug_percentile: exact.


@pytest.mark.parametrize('q,flip', [(0.25, False), (0.75, True)])
def test_xflip_exact(q, flip):
    x = _images()
    out = _pipe(xflip=1)(x, debug_percentile=q)
    assert torch.equal(out, x.flip(3) if flip else x)


@pytest.mark.parametrize('q,k', [(0.1, 0), (0.3, 1), (0.6, 2), (0.9, 3)])
@pytest.mark.parametrize('size', [15, 16])
def test_rotate90_exact(q, k, size):
    x = _images(h=size, w=size)
    out = _pipe(rotate90=1)(x, debug_percentile=q)
    assert torch.equal(out, torch.rot90(x, k, dims=(2, 3)))


def _reflect_shift(x, tx, ty):
    """out[y, x] = in[y - ty, x - tx], mirrored at the borders."""
    h, w = x.shape[2:]
    padded = F.pad(
        x, [max(tx, 0), max(-tx, 0),
            max(ty, 0), max(-ty, 0)], mode='reflect')
    x0, y0 = max(-tx, 0), max(-ty, 0)
    return padded[:, :, y0:y0 + h, x0:x0 + w]


@pytest.mark.parametrize('q', [0.1, 0.3, 0.9])
def test_xint_exact(q):
    x = _images(h=16, w=16)
    out = _pipe(xint=1)(x, debug_percentile=q)
    shift = round((2 * q - 1) * 0.125 * 16)
    assert shift != 0 or q == 0.5
    assert torch.equal(out, _reflect_shift(x, shift, shift))


def test_xint_exact_on_non_square_images():
    # Shifts by each axis's own size, blitted as on square images.
    x = _images(h=16, w=24)
    out = _pipe(xint=1)(x, debug_percentile=0.9)
    tx, ty = round(0.8 * 0.125 * 24), round(0.8 * 0.125 * 16)
    assert torch.equal(out, _reflect_shift(x, tx, ty))


# ----------------------------------------------------------------------------
# General geometric ops on a linear ramp (reproduced exactly by the
# orthonormal wavelet resampling, so any misplacement shows).


def _ramp(h, w, a=0.03, b=-0.05, c=0.2):
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=torch.float64) - (h - 1) / 2,
        torch.arange(w, dtype=torch.float64) - (w - 1) / 2,
        indexing='ij')
    return (a * xs + b * ys + c)[None, None].float(), (a, b, c)


def _expected_ramp(h, w, coeffs, inv):
    """Ramp value at inv @ (x, y, 1) for each output pixel (centred)."""
    a, b, c = coeffs
    ys, xs = np.meshgrid(
        np.arange(h) - (h - 1) / 2, np.arange(w) - (w - 1) / 2, indexing='ij')
    src = np.einsum('ij,jhw->ihw', inv, np.stack([xs, ys, np.ones_like(xs)]))
    return a * src[0] + b * src[1] + c


@pytest.mark.parametrize('op,q', [('scale', 0.8), ('rotate', 0.6),
                                  ('aniso', 0.7), ('xfrac', 0.7)])
def test_general_geometric_ops_map_coordinates(op, q):
    h = w = 32
    x, coeffs = _ramp(h, w)
    out = _pipe(**{op: 1})(x, debug_percentile=q)[0, 0].double().numpy()
    z = erfinv(2 * q - 1)
    if op == 'scale':
        s = 2**(z * 0.2)
        inv = np.diag([1 / s, 1 / s, 1])
    elif op == 'aniso':
        s = 2**(z * 0.2)
        inv = np.diag([1 / s, s, 1])
    elif op == 'rotate':
        t = (2 * q - 1) * math.pi  # pre-rotation only in debug mode
        inv = np.array([[math.cos(t), -math.sin(t), 0],
                        [math.sin(t), math.cos(t), 0], [0, 0, 1]])
    else:
        t = z * 0.125
        inv = np.array([[1, 0, -t * w], [0, 1, -t * h], [0, 0, 1]])
    expected = _expected_ramp(h, w, coeffs, inv)
    # Compare away from the borders, where reflection bends the ramp.
    inner = (slice(10, 22), slice(10, 22))
    np.testing.assert_allclose(out[inner], expected[inner], atol=1e-5)


def test_general_rotation_by_quarter_turn_agrees_with_blit():
    # Same convention for the resampled and the blitted rotation; the
    # difference left is the interpolation blur of a smooth image.
    ys, xs = torch.meshgrid(
        torch.arange(32.), torch.arange(32.), indexing='ij')
    img = (torch.sin(0.3 * xs + 0.2) * torch.cos(0.25 * ys - 0.4))[None, None]
    general = _pipe(rotate=1)(img, debug_percentile=0.75)  # +pi/2
    blit = _pipe(rotate90=1)(img, debug_percentile=0.3)  # one quarter
    inner = (Ellipsis, slice(8, 24), slice(8, 24))
    torch.testing.assert_close(general[inner], blit[inner], atol=5e-3, rtol=0)
    assert (general -
            torch.rot90(img, 3, dims=(2, 3)))[inner].abs().max() > 0.1


# ----------------------------------------------------------------------------
# Colour ops at debug_percentile.


@pytest.mark.parametrize('channels', [1, 3])
def test_brightness_adds_drawn_value(channels):
    q = 0.8
    x = _images(c=channels)
    out = _pipe(brightness=1)(x, debug_percentile=q)
    b = erfinv(2 * q - 1) * 0.2
    torch.testing.assert_close(
        out - x, torch.full_like(x, b), atol=1e-6, rtol=0)


@pytest.mark.parametrize('channels', [1, 3])
def test_contrast_scales(channels):
    q = 0.3
    x = _images(c=channels)
    out = _pipe(contrast=1)(x, debug_percentile=q)
    torch.testing.assert_close(out, x * 2**(erfinv(2 * q - 1) * 0.5))


def test_saturation_zero_gives_grey_with_original_luma():
    x = _images()
    # A huge log2 std at a low percentile drives the factor to exactly 0.
    pipe = _pipe(saturation=1, saturation_std=400.)
    out = pipe(x, debug_percentile=0.01)
    grey = x.mean(dim=1, keepdim=True).expand_as(x)
    torch.testing.assert_close(out, grey, atol=1e-6, rtol=0)


def test_saturation_scales_chroma():
    q = 0.7
    x = _images()
    out = _pipe(saturation=1)(x, debug_percentile=q)
    s = 2**(erfinv(2 * q - 1) * 1.0)
    luma = x.mean(dim=1, keepdim=True)
    torch.testing.assert_close(out, luma + (x - luma) * s, atol=1e-5, rtol=0)


def test_lumaflip_negates_luma_and_keeps_chroma():
    x = _images()
    out = _pipe(lumaflip=1)(x, debug_percentile=0.75)
    luma_in = x.mean(dim=1, keepdim=True)
    luma_out = out.mean(dim=1, keepdim=True)
    torch.testing.assert_close(luma_out, -luma_in, atol=1e-6, rtol=0)
    torch.testing.assert_close(out - luma_out, x - luma_in, atol=1e-6, rtol=0)
    # Percentile below 1/2 draws "no flip".
    assert torch.equal(_pipe(lumaflip=1)(x, debug_percentile=0.25), x)


@pytest.mark.parametrize('q', [0.2, 0.625, 0.9])
def test_hue_rotation_about_luma_axis(q):
    x = _images()
    out = _pipe(hue=1)(x, debug_percentile=q)
    theta = (2 * q - 1) * math.pi
    axis = np.ones(3) / math.sqrt(3)
    rot = Rotation.from_rotvec(axis * theta).as_matrix()
    expected = np.einsum('ij,njhw->nihw', rot, x.double().numpy())
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-5)
    luma_in, luma_out = x.mean(1), out.mean(1)
    torch.testing.assert_close(luma_out, luma_in, atol=1e-6, rtol=0)
    chroma_in = (x - x.mean(1, keepdim=True)).norm(dim=1)
    chroma_out = (out - out.mean(1, keepdim=True)).norm(dim=1)
    torch.testing.assert_close(chroma_out, chroma_in, atol=1e-5, rtol=0)


def test_hue_and_saturation_are_skipped_for_grey_images():
    x = _images(c=1)
    pipe = _pipe(hue=1, saturation=1)
    assert torch.equal(pipe(x, debug_percentile=0.8), x)
    assert 'hue' not in pipe.sample_params(4, 1, 8, 8).applied


def test_colour_on_grey_equals_mean_of_rgb_result():
    q = 0.7
    grey = _images(c=1)
    pipe = _pipe(brightness=1, contrast=1, lumaflip=1)
    out_grey = pipe(grey, debug_percentile=q)
    out_rgb = pipe(grey.expand(-1, 3, -1, -1), debug_percentile=q)
    torch.testing.assert_close(
        out_grey, out_rgb.mean(1, keepdim=True), atol=1e-6, rtol=0)


def test_colour_ops_reject_other_channel_counts():
    with pytest.raises(ValueError, match='2 channels'):
        _pipe(brightness=1)(_images(c=2), debug_percentile=0.7)
    # Without colour ops any channel count works.
    x = _images(c=2)
    assert torch.equal(_pipe(xflip=1)(x, debug_percentile=0.7), x.flip(3))


# ----------------------------------------------------------------------------
# Filter, noise, cutout.


def test_imgfilter_normalises_expected_power():
    q = 0.8
    pipe = _pipe(imgfilter=1)
    gains = pipe.sample_params(2, 3, 32, 32, debug_percentile=q).filter_gains
    amp = 2**erfinv(2 * q - 1)
    expected_power = np.array([10, 1, 1, 1]) / 13
    g = np.ones(4)
    for band in range(4):  # one normalised amplification per band
        t = np.ones(4)
        t[band] = amp
        g *= t / math.sqrt((expected_power * t**2).sum())
    np.testing.assert_allclose(gains[0].numpy(), g, rtol=1e-6)


def test_imgfilter_rejects_tiny_images():
    with pytest.raises(ValueError, match='imgfilter needs images larger'):
        _pipe(imgfilter=1)(_images(h=16, w=16), debug_percentile=0.7)


def test_noise_std_and_cutout_region():
    q = 0.6
    x = torch.zeros(1, 3, 64, 64)
    torch.manual_seed(0)
    out = _pipe(noise=1)(x, debug_percentile=q)
    sigma = erfinv(q) * 0.1
    assert abs(out.std().item() - sigma) < 0.05 * sigma
    ones = torch.ones(1, 3, 16, 16)
    out = _pipe(cutout=1)(ones, debug_percentile=0.5)
    expected = torch.ones(16, 16)
    expected[4:12, 4:12] = 0  # centre 0.5, side 0.5 of 16 pixels
    assert torch.equal(out[0, 0], expected)


# ----------------------------------------------------------------------------
# Identity skipping equals the full path.


@pytest.mark.parametrize('p', [0.2, 0.6])
def test_skip_identity_matches_full_path(p):
    x = _images(6, 3, 32, 32, seed=3)
    fast = _pipe(p, **preset_multipliers('bgcfnc'))
    full = _pipe(p, skip_identity=False, **preset_multipliers('bgcfnc'))
    torch.manual_seed(7)
    out_fast = fast(x)
    torch.manual_seed(7)
    out_full = full(x)
    assert not torch.equal(out_fast, x)
    torch.testing.assert_close(out_fast, out_full, atol=1e-4, rtol=1e-4)


def test_partial_batch_processing_keeps_untouched_samples():
    x = _images(64, 3, 16, 16, seed=4)
    pipe = _pipe(0.3, **preset_multipliers('bgc'))
    torch.manual_seed(0)
    params = pipe.sample_params(64, 3, 16, 16)
    out = pipe.apply_params(x, params)
    untouched = ~(
        params.blit_active | params.geom_active
        | params.color_active)
    assert 0 < int(untouched.sum()) < 64
    assert torch.equal(out[untouched], x[untouched])
    assert not torch.equal(out[~untouched], x[~untouched])


# ----------------------------------------------------------------------------
# Gradients.


def test_gradcheck_bgc():
    pipe = _pipe(1.0, **preset_multipliers('bgc'))
    torch.manual_seed(0)
    params = pipe.sample_params(1, 3, 5, 5)
    x = _images(1, 3, 5, 5, dtype=torch.float64).requires_grad_()
    fn = lambda inp: pipe.apply_params(inp, params)  # noqa: E731
    assert gradcheck(fn, (x, ), eps=1e-6, atol=1e-5)


def test_gradgradcheck_geometric_and_filter():
    torch.manual_seed(1)
    pipe = _pipe(1.0, scale=1, rotate=1, xflip=1)
    params = pipe.sample_params(1, 1, 4, 4)
    x = _images(1, 1, 4, 4, dtype=torch.float64).requires_grad_()
    assert gradgradcheck(
        lambda inp: pipe.apply_params(inp, params), (x, ), eps=1e-6, atol=1e-5)
    fpipe = _pipe(1.0, imgfilter=1)
    fparams = fpipe.sample_params(1, 1, 22, 22)
    y = _images(1, 1, 22, 22, dtype=torch.float64).requires_grad_()
    # fast_mode: a random projection of the Jacobian (484 inputs).
    assert gradcheck(
        lambda inp: fpipe.apply_params(inp, fparams), (y, ),
        eps=1e-6,
        atol=1e-5,
        fast_mode=True)


def test_double_backward_r1_style():
    """R1 on augmented reals: grad of grad through the whole pipe."""
    pipe = _pipe(0.7, **preset_multipliers('bgcfnc'))
    x = _images(4, 3, 32, 32).requires_grad_()
    weight = torch.randn(3, 32, 32)
    torch.manual_seed(0)
    out = pipe(x)
    score = (out.square() * weight).sum()
    (grad, ) = torch.autograd.grad(score, x, create_graph=True)
    penalty = grad.square().sum()
    penalty.backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert x.grad.abs().sum() > 0


# ----------------------------------------------------------------------------
# Arguments.


def test_invalid_arguments():
    with pytest.raises(ValueError, match='xflip'):
        AugmentPipe(xflip=-1)
    with pytest.raises(ValueError, match='scale_std'):
        AugmentPipe(scale_std=float('nan'))
    with pytest.raises(ValueError, match='imgfilter_bands'):
        AugmentPipe(imgfilter_bands=[1, 1, 1])
    with pytest.raises(TypeError, match='skip_identity'):
        AugmentPipe(skip_identity=1)
    with pytest.raises(ValueError, match='debug_percentile'):
        AugmentPipe(xflip=1)(_images(), debug_percentile=1.0)
    with pytest.raises(ValueError, match=r'\(N, C, H, W\)'):
        AugmentPipe(xflip=1)(torch.zeros(3, 8, 8))


def test_p_is_a_saved_buffer_and_filters_are_not():
    pipe = AugmentPipe(xflip=1)
    assert float(pipe.p) == 1.0  # reference default; ADAAug sets its own
    assert set(pipe.state_dict()) == {'p'}
    assert 'xflip=1' in repr(pipe)
