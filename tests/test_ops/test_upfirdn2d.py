# Copyright (c) mmgen-ada contributors. All rights reserved.
import itertools

import numpy as np
import pytest
import scipy.signal
import torch
from torch.autograd import gradcheck, gradgradcheck

from mmgen_ada.ops import (downsample2d, filter2d, mmcv_kernels, setup_filter,
                           upfirdn2d, upsample2d)


@pytest.fixture(autouse=True)
def _seed():
    """Deterministic inputs: gradcheck must not land on a kink by chance."""
    torch.manual_seed(0)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _pad4(p):
    if isinstance(p, int):
        return p, p, p, p
    return tuple(p) if len(p) == 4 else (p[0], p[0], p[1], p[1])


def _shift_slice(full, axis, start, length, down):
    """Samples full[start + i], i < length, step down; zero outside full."""
    n = full.shape[axis]
    idx = np.arange(start, start + length)[::down]
    inside = (idx >= 0) & (idx < n)
    taken = np.take(full, np.clip(idx, 0, n - 1), axis=axis)
    shape = [1] * full.ndim
    shape[axis] = len(idx)
    return taken * inside.reshape(shape)


def np_upfirdn2d(x, f, up=1, down=1, padding=0, flip_filter=False, gain=1):
    """Independent upfirdn2d: scipy.signal.upfirdn / convolve2d + slicing.

    scipy computes the *full* convolution of the zero-stuffed signal; output
    i of the padded "valid" convolution is full[i - p0 + taps - 1].
    """
    x = np.asarray(x, dtype=np.float64)
    f = np.ones((1, 1)) if f is None else np.asarray(f, dtype=np.float64)
    upx, upy = _pair(up)
    downx, downy = _pair(down)
    px0, px1, py0, py1 = _pad4(padding)
    fw, fh = f.shape[-1], f.shape[0]
    h, w = x.shape[-2:]
    out_w = w * upx + px0 + px1 - fw + 1
    out_h = h * upy + py0 + py1 - fh + 1
    if flip_filter:
        f = f[::-1] if f.ndim == 1 else f[::-1, ::-1]
    if f.ndim == 1:
        full = scipy.signal.upfirdn(f * np.sqrt(gain), x, up=upx, axis=-1)
        full = scipy.signal.upfirdn(f * np.sqrt(gain), full, up=upy, axis=-2)
    else:
        stuffed = np.zeros(x.shape[:-2] + (h * upy, w * upx))
        stuffed[..., ::upy, ::upx] = x
        full = np.zeros(x.shape[:-2] + (h * upy + fh - 1, w * upx + fw - 1))
        for idx in np.ndindex(*x.shape[:-2]):
            full[idx] = scipy.signal.convolve2d(stuffed[idx], f * gain)
    out = _shift_slice(full, -1, fw - 1 - px0, out_w, downx)
    return _shift_slice(out, -2, fh - 1 - py0, out_h, downy)


FILTERS = {
    '1d': np.array([1., 3., 3., 1.]) / 8,
    '1d-asym': np.array([0.5, -1., 2.]),
    '2d-asym': np.array([[1., 2., 0.], [-1., 0.5, 3.]]),
}
CASES = [
    # (up, down, padding)
    (1, 1, 0),
    (2, 1, (2, 1, 2, 1)),
    (1, 2, (1, 2, 1, 2)),
    ((2, 1), (1, 3), (0, 3, 1, 1)),
    (3, 2, (-1, 2, 3, -2)),
    ((1, 2), (2, 1), (2, -1)),
    (1, (2, 1), (-1, 3, 2, 2)),
]


@pytest.mark.parametrize('fname,case,flip,gain',
                         [(fname, case, flip, gain)
                          for fname, case in itertools.product(FILTERS, CASES)
                          for flip, gain in ((False, 1.), (True, 2.5))])
def test_upfirdn2d_matches_scipy(fname, case, flip, gain):
    up, down, padding = case
    f = FILTERS[fname]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5, 4))
    out = upfirdn2d(
        torch.from_numpy(x),
        torch.from_numpy(f),
        up=up,
        down=down,
        padding=padding,
        flip_filter=flip,
        gain=gain,
        impl='ref')
    expected = np_upfirdn2d(x, f, up, down, padding, flip, gain)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-12)


def test_upfirdn2d_float32_and_identity_filter():
    x = torch.randn(1, 2, 6, 6)
    assert torch.equal(upfirdn2d(x, None), x)
    assert torch.equal(upfirdn2d(x, None, down=2), x[:, :, ::2, ::2])
    stuffed = upfirdn2d(x, None, up=(2, 3))  # zero insertion only
    assert stuffed.shape == (1, 2, 18, 12)
    assert torch.equal(stuffed[:, :, ::3, ::2], x)
    zeros = torch.ones_like(stuffed, dtype=torch.bool)
    zeros[:, :, ::3, ::2] = False
    assert torch.count_nonzero(stuffed[zeros]) == 0
    f = FILTERS['2d-asym']
    out = upfirdn2d(x, torch.tensor(f, dtype=torch.float32), up=2, padding=1)
    assert out.dtype == torch.float32
    np.testing.assert_allclose(
        out.numpy(), np_upfirdn2d(x.numpy(), f, 2, 1, 1), atol=1e-5)


def test_setup_filter():
    f = setup_filter([1, 3, 3, 1])
    np.testing.assert_allclose(
        f.numpy(), np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 64, atol=1e-7)
    assert f.dtype == torch.float32
    # >= 8 taps stays separable; the gain is split over the two axes.
    taps = np.arange(1., 9.)
    f = setup_filter(taps, gain=4)
    assert f.shape == (8, )
    np.testing.assert_allclose(f.numpy(), taps / taps.sum() * 2, rtol=1e-6)
    f = setup_filter([1., 2.], normalize=False, flip_filter=True, gain=3)
    np.testing.assert_allclose(f.numpy(), [[12, 6], [6, 3]], rtol=1e-6)
    np.testing.assert_array_equal(setup_filter(None).numpy(), [[1.]])
    with pytest.raises(ValueError, match='separable'):
        setup_filter([[1., 2.]], separable=True)


@pytest.mark.parametrize('up,taps', [(2, [1, 3, 3, 1]), (3, [1, 2, 3, 2, 1]),
                                     (4, [1, 1, 1, 1])])
def test_upsample2d_size_and_dc_gain(up, taps):
    f = setup_filter(taps)
    fw = len(taps)
    x = torch.full((1, 1, 6, 5), 0.7, dtype=torch.float64)
    out = upsample2d(x, f, up=up)
    assert out.shape == (1, 1, 6 * up, 5 * up)
    # Every polyphase component of these filters sums to 1 / up**2, so the
    # up**2 gain restores the DC level away from the zero-padded border.
    np.testing.assert_allclose(out[0, 0, 4:-4, 4:-4].numpy(), 0.7, rtol=1e-6)
    # NVlabs padding: (fw + up - 1) // 2 before, (fw - up) // 2 after.
    before, after = (fw + up - 1) // 2, (fw - up) // 2
    np.testing.assert_allclose(
        out.numpy(),
        np_upfirdn2d(x.numpy(), f.numpy(), up, 1,
                     (before, after, before, after), False, up * up),
        atol=1e-12)


def test_downsample2d_and_filter2d():
    f = setup_filter([1, 3, 3, 1])
    x = torch.randn(2, 3, 8, 6, dtype=torch.float64)
    out = downsample2d(x, f)
    assert out.shape == (2, 3, 4, 3)
    np.testing.assert_allclose(
        out.numpy(),
        np_upfirdn2d(x.numpy(), f.numpy(), 1, 2, (1, 1, 1, 1)),
        atol=1e-12)
    const = torch.ones(1, 1, 8, 8, dtype=torch.float64)
    np.testing.assert_allclose(downsample2d(const, f)[0, 0, 1:-1, 1:-1], 1.)
    # filter2d keeps the size; an even 4-tap filter pads 2 before, 1 after.
    out = filter2d(x, f, padding=(1, 0, 0, 2), gain=3)
    assert out.shape == (2, 3, 10, 7)
    np.testing.assert_allclose(
        out.numpy(),
        np_upfirdn2d(x.numpy(), f.numpy(), 1, 1, (3, 1, 2, 3), False, 3),
        atol=1e-12)


@pytest.mark.parametrize('f', [FILTERS['1d-asym'], FILTERS['2d-asym']])
def test_upfirdn2d_gradients(f):
    x = torch.randn(1, 2, 4, 3, dtype=torch.float64, requires_grad=True)
    f = torch.from_numpy(f)

    def fn(x):
        return upfirdn2d(
            x, f, up=(2, 1), down=(1, 2), padding=(1, 2, -1, 1), impl='ref')

    assert gradcheck(fn, (x, ))
    assert gradgradcheck(fn, (x, ))


@pytest.mark.parametrize('kwargs,match', [
    (dict(up=0), 'up'),
    (dict(down=(1, 2, 3)), 'down'),
    (dict(padding=(1, 2, 3)), 'padding'),
    (dict(padding=-3), 'smaller than the filter'),
    (dict(impl='bogus'), "'auto', 'ref', 'mmcv'"),
])
def test_upfirdn2d_bad_arguments(kwargs, match):
    x = torch.randn(1, 1, 4, 4)
    with pytest.raises(ValueError, match=match):
        upfirdn2d(x, setup_filter([1, 3, 3, 1]), **kwargs)


def test_upfirdn2d_rejects_non_4d_input():
    with pytest.raises(ValueError, match=r'4-D tensor .* \(4, 4\)'):
        upfirdn2d(torch.randn(4, 4), None)


@pytest.mark.cuda
@pytest.mark.skipif(
    not torch.cuda.is_available(), reason='the mmcv kernel needs CUDA')
@pytest.mark.parametrize('f', [[1, 3, 3, 1], list(range(1, 13))])
def test_upfirdn2d_mmcv_kernel_matches_reference(f):
    if not mmcv_kernels.available():
        pytest.skip('mmcv compiled kernels are not installed')
    f = setup_filter(f, device='cuda')
    x = torch.randn(2, 4, 16, 12, device='cuda', requires_grad=True)
    kwargs = dict(up=2, down=(1, 2), padding=(2, 1, 3, 0), gain=2.)
    out = upfirdn2d(x, f, impl='mmcv', **kwargs)
    ref = upfirdn2d(x, f, impl='ref', **kwargs)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    g = torch.randn_like(out)
    (gx, ) = torch.autograd.grad(out, x, g)
    (gr, ) = torch.autograd.grad(ref, x, g)
    torch.testing.assert_close(gx, gr, atol=1e-5, rtol=1e-5)
