# Copyright (c) mmgen-ada contributors. All rights reserved.
"""AugmentPipe on non-square images (H != W): geometry, rates, gradients.

The expected values are computed here from explicit pixel coordinates
(NumPy), not with the pipe's matrix builders: the geometric ops act in pixel
space about the image centre, with x (columns, ``W``) and y (rows, ``H``) in
their own pixels, and integer/fractional translations and cutout measured in
each axis's own size, as in NVlabs' ``augment.py``.
"""
import math

import numpy as np
import pytest
import torch
from scipy import ndimage, stats
from scipy.special import erfinv
from torch.autograd import gradcheck

from mmgen_ada.models.ada import AugmentPipe, preset_multipliers
from mmgen_ada.models.ada.augment_filters import band_filter_bank

SHAPES = [(16, 32), (32, 16)]  # (H, W)
N_RATE = 10_000


def _pipe(p=1.0, **kwargs):
    pipe = AugmentPipe(**kwargs)
    pipe.p.fill_(p)
    return pipe


def _images(n, c, h, w, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, c, h, w, generator=g, dtype=dtype) * 2 - 1


# ----------------------------------------------------------------------------
# Independent geometry: centred pixel coordinates, mirror padding.

RAMP = (0.03, -0.05, 0.2)  # value = a * x + b * y + c, centred coordinates


def _centred_grid(h, w):
    """``(xs, ys)`` of every pixel, relative to the image centre."""
    ys, xs = np.meshgrid(
        np.arange(h) - (h - 1) / 2, np.arange(w) - (w - 1) / 2, indexing='ij')
    return xs, ys


def _ramp_image(h, w, dtype=torch.float64):
    xs, ys = _centred_grid(h, w)
    a, b, c = RAMP
    return torch.from_numpy(a * xs + b * ys + c)[None, None].to(dtype)


def _mirror(coord, half):
    """Fold a centred coordinate into ``[-half, half]`` by mirroring at the
    outermost pixel centres (reflection without repeating the edge)."""
    period = 4 * half
    t = np.mod(coord + half, period)
    return np.where(t > 2 * half, period - t, t) - half


def _fold_distance(coord, half):
    """Distance of a centred coordinate to the nearest mirror line."""
    return half - np.abs(np.mod(coord - half, 2 * half) - half)


def _expected_warp(h, w, inv, blit_inv=None, support=6.0):
    """Ramp value read at ``inv @ (x, y, 1)`` (mirror padded) per output
    pixel, and the mask of pixels whose source lies at least ``support``
    pixels from every mirror line (where the folded ramp is linear over the
    whole resampling filter support) and inside one reflection.

    With ``blit_inv``, the image is first blitted with its own mirror
    padding (``blit_inv`` at the mirrored source), as the pipe does: the
    blitted image then bends where the blit's source crosses a mirror line.
    """
    xs, ys = _centred_grid(h, w)
    cx, cy = (w - 1) / 2, (h - 1) / 2

    def warp(matrix, x, y):
        src = np.einsum('ij,jhw->ihw', matrix,
                        np.stack([x, y, np.ones_like(x)]))
        far = ((_fold_distance(src[0], cx) >= support)
               & (_fold_distance(src[1], cy) >= support)
               & (np.abs(src[0]) <= 3 * cx - support)
               & (np.abs(src[1]) <= 3 * cy - support))
        return _mirror(src[0], cx), _mirror(src[1], cy), far

    sx, sy, mask = warp(inv, xs, ys)
    if blit_inv is not None:
        sx, sy, far = warp(blit_inv, sx, sy)
        mask = mask & far
    a, b, c = RAMP
    return a * sx + b * sy + c, mask


def _rot(theta):
    return np.array([[math.cos(theta), -math.sin(theta), 0],
                     [math.sin(theta), math.cos(theta), 0], [0, 0, 1]])


def _shift(tx, ty):
    return np.array([[1., 0, tx], [0, 1, ty], [0, 0, 1]])


def _scale(sx, sy):
    return np.diag([sx, sy, 1.])


def _inverse_at_percentile(op, q, h, w):
    """Inverse transform (output pixel -> input pixel) that ``op`` draws at
    ``debug_percentile=q``, from the documented definitions."""
    z = erfinv(2 * q - 1)
    if op == 'xflip':
        return _scale(-1. if math.floor(2 * q) else 1., 1.)
    if op == 'rotate90':  # a turn by -k quarters: inverse turns by +k
        return _rot(math.floor(4 * q) * math.pi / 2)
    if op == 'xint':  # uniform in +-xint_max of each axis, whole pixels
        t = (2 * q - 1) * 0.125
        return _shift(-round(t * w), -round(t * h))
    if op == 'scale':
        s = 2**(z * 0.2)
        return _scale(1 / s, 1 / s)
    if op == 'rotate':  # pre-rotation only in the debug view
        return _rot((2 * q - 1) * math.pi)
    if op == 'aniso':
        s = 2**(z * 0.2)
        return _scale(1 / s, s)
    if op == 'xfrac':  # N(0, xfrac_std^2) of each axis's size
        t = z * 0.125
        return _shift(-t * w, -t * h)
    raise KeyError(op)


GEOM_CASES = [('xflip', 0.75), ('rotate90', 0.3), ('rotate90', 0.6),
              ('rotate90', 0.9), ('xint', 0.9), ('xint', 0.1), ('scale', 0.8),
              ('rotate', 0.6), ('aniso', 0.7), ('xfrac', 0.7)]


@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('op,q', GEOM_CASES)
def test_each_geometric_op_maps_pixel_coordinates(op, q, shape):
    h, w = shape
    inv = _inverse_at_percentile(op, q, h, w)
    x = _ramp_image(h, w)
    out = _pipe(**{op: 1})(x, debug_percentile=q)[0, 0].numpy()
    expected, mask = _expected_warp(h, w, inv)
    assert mask.sum() >= 16, 'too few pixels away from the mirror lines'
    np.testing.assert_allclose(out[mask], expected[mask], atol=1e-6)


@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('q', [0.7, 0.3])
def test_all_geometric_ops_compose_in_order(shape, q):
    """q = 0.7: flip, half turn, shift (exact blit), then the general ops;
    q = 0.3: no flip, one quarter turn: it and the shift are resampled with
    the general ops."""
    h, w = shape
    blits = ('xflip', 'rotate90', 'xint')
    ops = blits + ('scale', 'rotate', 'aniso', 'xfrac')
    inv = {op: _inverse_at_percentile(op, q, h, w) for op in ops}
    quarter_odd = abs(inv['rotate90'][0, 0]) < 0.5  # cos(k pi / 2) = 0
    blit_inv = None if quarter_odd else np.linalg.multi_dot(
        [inv[op] for op in blits])
    # The forward transform applies the ops in the listed order.
    resampled = ops if quarter_odd else ops[3:]
    geom_inv = np.linalg.multi_dot([inv[op] for op in resampled])
    x = _ramp_image(h, w)
    out = _pipe(**preset_multipliers('bg'))(x, debug_percentile=q)[0, 0]
    expected, mask = _expected_warp(h, w, geom_inv, blit_inv)
    assert mask.sum() >= 12
    np.testing.assert_allclose(out.numpy()[mask], expected[mask], atol=1e-6)


@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('q,k', [(0.3, 1), (0.6, 2), (0.9, 3)])
def test_quarter_turn_moves_a_known_pixel(q, k, shape):
    """A smooth blob centred on input pixel (row r, col c) lands on the pixel
    the quarter turn about the image centre sends it to."""
    h, w = shape
    r, c = (5, 13) if h < w else (13, 5)
    rows, cols = np.mgrid[0:h, 0:w]
    blob = np.exp(-((rows - r)**2 + (cols - c)**2) / (2 * 1.5**2))
    x = torch.from_numpy(blob)[None, None]
    out = _pipe(rotate90=1)(x, debug_percentile=q)[0, 0].numpy()
    # Forward map of a turn by -k quarters, in centred coordinates.
    px, py = c - (w - 1) / 2, r - (h - 1) / 2
    for _ in range(k):
        px, py = py, -px
    row, col = py + (h - 1) / 2, px + (w - 1) / 2
    assert (row, col) == (round(row), round(col))
    row, col = int(row), int(col)
    # The turned image is taller (wider) than the output: its sides read the
    # mirror padding, so mirrored copies of the blob appear 10 pixels away.
    # Look at the 9x9 window around the predicted pixel.
    window = out[row - 4:row + 5, col - 4:col + 5]
    assert np.unravel_index(window.argmax(), window.shape) == (4, 4)
    # Peak kept up to the slight blur of resampling off the 2x grid.
    np.testing.assert_allclose(out[row, col], 1.0, atol=0.03)
    offsets = np.arange(-4, 5)
    centroid = ((window.sum(1) * offsets).sum() / window.sum(),
                (window.sum(0) * offsets).sum() / window.sum())
    np.testing.assert_allclose(centroid, (0, 0), atol=0.02)


@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('q,k', [(0.3, 1), (0.6, 2), (0.9, 3)])
def test_quarter_turn_of_the_central_square_is_rot90(q, k, shape):
    """Turning about the centre maps the central ``S x S`` square onto
    itself (S the short side): there the resampled turn equals
    ``torch.rot90`` of that square, the exact blit of square images."""
    h, w = shape
    s = min(h, w)
    x = _ramp_image(h, w)
    out = _pipe(rotate90=1)(x, debug_percentile=q)
    top, left = (h - s) // 2, (w - s) // 2
    square = x[..., top:top + s, left:left + s]
    turned = torch.rot90(square, k, dims=(2, 3))
    m = 6  # resampling filter support, away from the mirror lines
    inner = (Ellipsis, slice(top + m,
                             top + s - m), slice(left + m, left + s - m))
    got = out[inner]
    want = turned[..., m:s - m, m:s - m]
    torch.testing.assert_close(got, want, atol=1e-6, rtol=0)


@pytest.mark.parametrize('shape', [(16, 64), (64, 16)])
def test_quarter_turn_past_one_reflection_reads_zeros(shape):
    """The mirror padding covers one reflection (H - 1 rows, W - 1 columns)
    as in the reference: a quarter turn of a 4:1 image reads zeros where the
    turned long side reaches past it."""
    h, w = shape
    out = _pipe(rotate90=1)(torch.ones(1, 1, h, w), debug_percentile=0.3)
    out = out[0, 0] if h < w else out[0, 0].t()
    long_c, short_c = (max(h, w) - 1) / 2, (min(h, w) - 1) / 2
    reach = short_c + (min(h, w) - 1)  # padded extent of the short axis
    coord = np.abs(np.arange(max(h, w)) - long_c)
    zero, one = coord >= reach + 6, coord <= reach - 6
    assert zero.sum() == 8 and one.sum() == 34
    assert torch.equal(out[:, zero], torch.zeros_like(out[:, zero]))
    torch.testing.assert_close(
        out[:, one], torch.ones_like(out[:, one]), atol=1e-5, rtol=0)


@pytest.mark.parametrize('shape', SHAPES)
def test_only_odd_quarter_turns_of_non_square_images_are_resampled(shape):
    """Same draws as a square image; flips and half turns stay in the
    blit, a single quarter turn moves to the resampled matrix."""
    h, w = shape
    pipe = _pipe(**preset_multipliers('blit'))
    torch.manual_seed(0)
    params = pipe.sample_params(256, 3, h, w)
    torch.manual_seed(0)
    square = pipe.sample_params(256, 3, h, h)
    assert not square.geom_active.any()
    odd = square.blit_inv[:, 0, 0] == 0  # cos(k pi / 2) = 0: k odd
    assert 0 < int(odd.sum()) < 256
    # No quarter turn left in the blit: it is a flip / half turn / shift.
    assert (params.blit_inv[:, 0, 1] == 0).all()
    assert torch.equal(params.geom_active, odd)
    assert torch.equal(params.geom_inv[~odd],
                       torch.eye(3).expand(int((~odd).sum()), 3, 3))
    # Without shifts the two parts multiply to the square image's blit.
    pipe = _pipe(xflip=1, rotate90=1)
    torch.manual_seed(1)
    params = pipe.sample_params(256, 3, h, w)
    torch.manual_seed(1)
    square = pipe.sample_params(256, 3, h, h)
    assert torch.equal(params.blit_inv @ params.geom_inv, square.blit_inv)


@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('q', [0.1, 0.6, 0.9])
def test_flips_half_turns_and_shifts_are_exact_copies(shape, q):
    """Random images, bit for bit: x-flip (q >= 1/2), half turn (q in
    [1/2, 3/4)) and integer shift by round((2q - 1) W / 8) columns and
    round((2q - 1) H / 8) rows with mirrored borders, written out here."""
    h, w = shape
    x = _images(2, 3, h, w)
    flip = math.floor(2 * q) == 1
    assert torch.equal(
        _pipe(xflip=1)(x, debug_percentile=q),
        x.flip(3) if flip else x)
    if math.floor(4 * q) == 2:
        assert torch.equal(
            _pipe(rotate90=1)(x, debug_percentile=q), x.flip(2, 3))
    t = (2 * q - 1) * 0.125
    tx, ty = round(t * w), round(t * h)
    assert (tx, ty) != (0, 0)
    rows = _mirror(np.arange(h) - ty - (h - 1) / 2, (h - 1) / 2) + (h - 1) / 2
    cols = _mirror(np.arange(w) - tx - (w - 1) / 2, (w - 1) / 2) + (w - 1) / 2
    rows, cols = torch.from_numpy(rows).long(), torch.from_numpy(cols).long()
    shifted = x[:, :, rows][:, :, :, cols]
    assert torch.equal(_pipe(xint=1)(x, debug_percentile=q), shifted)


def test_params_drawn_for_another_shape_are_rejected():
    pipe = _pipe(xint=1, xflip=1)
    params = pipe.sample_params(2, 3, 16, 32)
    assert params.image_size == (16, 32)
    with pytest.raises(
            ValueError,
            match=r'2 images of 16x32 .* 2 images of '
            r'32x16; .*sample_params\(2, 3, 32, 16\)'):
        pipe.apply_params(_images(2, 3, 32, 16), params)
    with pytest.raises(ValueError, match='3 images of 16x32'):
        pipe.apply_params(_images(3, 3, 16, 32), params)


# ----------------------------------------------------------------------------
# Colour, filter, noise, cutout: per-pixel or separable, shape-agnostic.


@pytest.mark.parametrize('shape', SHAPES)
def test_colour_ops_act_per_pixel(shape):
    h, w = shape
    x = _images(2, 3, h, w)
    pipe = _pipe(**preset_multipliers('color'))
    whole = pipe(x, debug_percentile=0.7)
    dim = 3 if w > h else 2
    parts = [pipe(part, debug_percentile=0.7) for part in x.chunk(2, dim)]
    torch.testing.assert_close(whole, torch.cat(parts, dim), atol=1e-6, rtol=0)
    assert (whole - x).abs().max() > 0.1


@pytest.mark.parametrize('shape', [(24, 48), (48, 24)])
def test_imgfilter_is_separable_with_mirror_padding(shape):
    h, w = shape
    q = 0.8
    x = _images(1, 3, h, w, dtype=torch.float64)
    pipe = _pipe(imgfilter=1)
    gains = pipe.sample_params(1, 3, h, w, debug_percentile=q).filter_gains
    taps = gains.double().numpy()[0] @ band_filter_bank()
    expected = ndimage.convolve1d(x.numpy(), taps, axis=3, mode='mirror')
    expected = ndimage.convolve1d(expected, taps, axis=2, mode='mirror')
    out = pipe(x, debug_percentile=q)
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-6)
    assert np.abs(out.numpy() - x.numpy()).max() > 0.05


def test_imgfilter_rejects_a_short_side():
    with pytest.raises(ValueError, match='got 16x64'):
        _pipe(imgfilter=1)(_images(1, 3, 16, 64), debug_percentile=0.7)


def test_noise_std_on_non_square_images():
    q = 0.6
    torch.manual_seed(0)
    out = _pipe(noise=1)(torch.zeros(2, 3, 32, 64), debug_percentile=q)
    sigma = erfinv(q) * 0.1
    assert abs(out.std().item() - sigma) < 0.03 * sigma


@pytest.mark.parametrize('q', [0.5, 0.3])
@pytest.mark.parametrize('shape', SHAPES)
def test_cutout_is_a_rectangle_in_each_axis_units(shape, q):
    """Cut where ``|(i + 0.5) / H - q| < size / 2`` and likewise for
    columns in units of ``W`` (centre ``(q, q)`` at debug_percentile q)."""
    h, w = shape
    out = _pipe(cutout=1)(torch.ones(1, 1, h, w), debug_percentile=q)[0, 0]
    rows = [i for i in range(h) if abs((i + 0.5) / h - q) < 0.25]
    cols = [j for j in range(w) if abs((j + 0.5) / w - q) < 0.25]
    assert len(rows) == h // 2 and len(cols) == w // 2
    expected = torch.ones(h, w)
    expected[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] = 0
    assert torch.equal(out, expected)
    if q == 0.3 and h < w:  # written out for 16x32
        assert (rows[0], rows[-1], cols[0], cols[-1]) == (1, 8, 2, 17)


# ----------------------------------------------------------------------------
# Application rates at a fixed p on non-square batches.

SINGLE_GATE_OPS = ('xflip', 'rotate90', 'xint', 'scale', 'aniso', 'xfrac',
                   'brightness', 'contrast', 'lumaflip', 'hue', 'saturation',
                   'noise', 'cutout')


def _assert_binomial_rate(hits, prob, n=N_RATE):
    lo, hi = stats.binom.interval(0.999, n, prob)
    assert lo <= int(hits) <= hi, f'{int(hits)}/{n} vs rate {prob}'


@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('op', SINGLE_GATE_OPS)
def test_application_rate_on_non_square_batches(op, shape):
    p = 0.4
    torch.manual_seed(SINGLE_GATE_OPS.index(op))
    params = _pipe(p, **{op: 1}).sample_params(N_RATE, 3, *shape)
    assert set(params.applied) == {op}
    _assert_binomial_rate(params.applied[op].sum(), p)


@pytest.mark.parametrize('shape', SHAPES)
def test_blit_effect_rates_and_integer_shift_ranges(shape):
    h, w = shape
    p = 0.6
    torch.manual_seed(1)
    flip = _pipe(p, xflip=1).sample_params(N_RATE, 3, h, w)
    _assert_binomial_rate(flip.blit_active.sum(), p / 2)
    assert not flip.geom_active.any()
    torch.manual_seed(2)
    turn = _pipe(p, rotate90=1).sample_params(N_RATE, 3, h, w)
    # k = 2, 3: a half turn blitted; k = 1, 3: a quarter turn resampled.
    _assert_binomial_rate(turn.blit_active.sum(), p / 2)
    _assert_binomial_rate(turn.geom_active.sum(), p / 2)
    _assert_binomial_rate((turn.blit_active & turn.geom_active).sum(), p / 4)
    torch.manual_seed(3)
    xint = _pipe(p, xint=1).sample_params(N_RATE, 3, h, w)
    assert not xint.geom_active.any()
    tx, ty = -xint.blit_inv[:, 0, 2], -xint.blit_inv[:, 1, 2]
    # round(U(-1, 1) * 0.125 * size): x up to W / 8 pixels, y up to H / 8.
    assert set(tx.unique().tolist()) == set(range(-w // 8, w // 8 + 1))
    assert set(ty.unique().tolist()) == set(range(-h // 8, h // 8 + 1))
    # No shift at all: the gate is off, or both roundings give 0.
    p_zero = (1 / (w // 4)) * (1 / (h // 4))
    _assert_binomial_rate(xint.blit_active.sum(), p * (1 - p_zero))


@pytest.mark.parametrize('shape', SHAPES)
def test_fractional_shift_std_is_per_axis(shape):
    h, w = shape
    torch.manual_seed(4)
    params = _pipe(1.0, xfrac=1).sample_params(N_RATE, 3, h, w)
    tx, ty = -params.geom_inv[:, 0, 2], -params.geom_inv[:, 1, 2]
    for shift, size in ((tx, w), (ty, h)):
        z = (shift / (0.125 * size)).double().numpy()
        assert stats.kstest(z, 'norm').pvalue > 1e-3


@pytest.mark.parametrize('shape', SHAPES)
def test_forward_changes_exactly_the_drawn_samples(shape):
    """End to end on a batch: a sample's output differs from its input iff
    its drawn transform for the op is not the identity."""
    h, w = shape
    x = _images(64, 3, h, w, seed=5)
    active = {
        'xflip': ('blit_active', ),
        'rotate90': ('blit_active', 'geom_active'),
        'xint': ('blit_active', ),
        'scale': ('geom_active', ),
        'rotate': ('geom_active', ),
        'aniso': ('geom_active', ),
        'xfrac': ('geom_active', ),
        'brightness': ('color_active', ),
        'lumaflip': ('color_active', ),
        'hue': ('color_active', ),
        'noise': ('noise_active', ),
        'cutout': ('cutout_active', ),
    }
    for seed, (op, stages) in enumerate(active.items()):
        pipe = _pipe(0.5, **{op: 1})
        torch.manual_seed(seed)
        params = pipe.sample_params(64, 3, h, w)
        out = pipe.apply_params(x, params)
        changed = (out != x).flatten(1).any(1)
        drawn = torch.stack([getattr(params, st) for st in stages]).any(0)
        assert 4 < int(drawn.sum()) < 60, op
        assert torch.equal(changed, drawn), op


@pytest.mark.parametrize('shape', [(24, 48), (48, 24)])
def test_identity_skipping_matches_the_full_path(shape):
    """Subsets of the batch (skip_identity) pad by their own transformed
    corners, the full path by the whole batch's: same result."""
    x = _images(6, 3, *shape, seed=3)
    fast = _pipe(0.6, **preset_multipliers('bgcfnc'))
    full = _pipe(0.6, skip_identity=False, **preset_multipliers('bgcfnc'))
    torch.manual_seed(7)
    out_fast = fast(x)
    torch.manual_seed(7)
    out_full = full(x)
    assert not torch.equal(out_fast, x)
    torch.testing.assert_close(out_fast, out_full, atol=1e-4, rtol=1e-4)
    fast.p.fill_(0)
    assert fast(x) is x


# ----------------------------------------------------------------------------
# Gradients.


@pytest.mark.parametrize('shape', [(5, 7), (7, 5)])
def test_gradcheck_bgc_non_square(shape):
    pipe = _pipe(1.0, **preset_multipliers('bgc'))
    torch.manual_seed(0)
    params = pipe.sample_params(1, 3, *shape)
    assert params.geom_active.all() and params.color_active.all()
    x = _images(1, 3, *shape, dtype=torch.float64).requires_grad_()
    # fast_mode: a random projection of the Jacobian.
    assert gradcheck(
        lambda inp: pipe.apply_params(inp, params), (x, ),
        eps=1e-6,
        atol=1e-5,
        fast_mode=True)


def test_double_backward_through_every_op_non_square():
    """R1 on augmented reals: gradients of gradients, 24x48 (imgfilter
    needs sides > 21)."""
    pipe = _pipe(0.8, **preset_multipliers('bgcfnc'))
    x = _images(4, 3, 24, 48).requires_grad_()
    weight = torch.randn(3, 24, 48, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(0)
    out = pipe(x)
    assert out.shape == x.shape
    (grad, ) = torch.autograd.grad(
        (out.square() * weight).sum(), x, create_graph=True)
    grad.square().sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
