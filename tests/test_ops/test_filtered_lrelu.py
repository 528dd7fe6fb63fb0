# Copyright (c) mmgen-ada contributors. All rights reserved.
import math

import numpy as np
import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck

from mmgen_ada.ops import (bias_act, filtered_lrelu, mmcv_kernels,
                           setup_filter, upfirdn2d)


@pytest.fixture(autouse=True)
def _seed():
    """Deterministic inputs: gradcheck must not land on a kink by chance."""
    torch.manual_seed(0)


CASES = [
    # (up, down, padding, fu taps, fd taps, clamp, flip_filter)
    (1, 1, 0, None, None, None, False),
    (2, 2, 3, [1, 3, 3, 1], [1, 3, 3, 1], None, False),
    (2, 1, (2, 1, 3, 0), [1, 2, 1], None, 0.5, True),
    (1, 2, (2, 1), None, list(range(1, 9)), 1.0, False),
    (4, 2, (5, 4, 5, 4), [1., 3., 3., 1., 2.], [2., 1., 1.], 0.3, False),
]


def _filter(taps):
    return None if taps is None else setup_filter(taps).double()


def _out_size(size, up, down, p0, p1, fu, fd):
    fu_len = 1 if fu is None else fu.shape[0]
    fd_len = 1 if fd is None else fd.shape[0]
    return (size * up + p0 + p1 - (fu_len - 1) - (fd_len - 1) +
            (down - 1)) // down


@pytest.mark.parametrize('case', CASES)
def test_filtered_lrelu_matches_composition(case):
    up, down, padding, fu, fd, clamp, flip = case
    fu, fd = _filter(fu), _filter(fd)
    x = torch.randn(2, 3, 6, 5, dtype=torch.float64)
    b = torch.randn(3, dtype=torch.float64)
    out = filtered_lrelu(
        x,
        fu,
        fd,
        b,
        up=up,
        down=down,
        padding=padding,
        gain=1.3,
        slope=0.15,
        clamp=clamp,
        flip_filter=flip)
    # The composition StyleGAN3 defines: bias -> upfirdn2d(up, gain up**2)
    # -> lrelu * gain, clamp -> upfirdn2d(down).
    y = upfirdn2d(
        x + b.view(1, 3, 1, 1),
        fu,
        up=up,
        padding=padding,
        gain=up**2,
        flip_filter=flip)
    y = bias_act(y, act='lrelu', alpha=0.15, gain=1.3, clamp=clamp)
    y = upfirdn2d(y, fd, down=down, flip_filter=flip)
    torch.testing.assert_close(out, y, rtol=1e-12, atol=1e-12)
    if isinstance(padding, int):
        padding = (padding, ) * 4
    elif len(padding) == 2:
        padding = (padding[0], padding[0], padding[1], padding[1])
    px, py = padding[:2], padding[2:]
    assert out.shape == (2, 3, _out_size(6, up, down, *py, fu, fd),
                         _out_size(5, up, down, *px, fu, fd))


def test_filtered_lrelu_identity_filters_closed_form():
    x = np.random.default_rng(3).standard_normal((1, 2, 4, 4))
    b = np.array([0.5, -0.25])
    out = filtered_lrelu(
        torch.from_numpy(x), b=torch.from_numpy(b), clamp=0.8).numpy()
    v = x + b[None, :, None, None]
    expected = np.clip(np.where(v >= 0, v, 0.2 * v) * math.sqrt(2), -0.8, 0.8)
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_filtered_lrelu_gradients():
    fu = setup_filter([1, 3, 3, 1]).double()
    fd = setup_filter([1, 2, 1]).double()
    x = torch.randn(1, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(2, dtype=torch.float64, requires_grad=True)

    def fn(x, b):
        return filtered_lrelu(x, fu, fd, b, up=2, down=2, padding=2)

    assert gradcheck(fn, (x, b))
    assert gradgradcheck(fn, (x, b))


@pytest.mark.parametrize('kwargs,match', [
    (dict(up=0), 'up must be an int >= 1'),
    (dict(down=1.5), 'down must be an int >= 1'),
    (dict(gain=0.), 'gain must be > 0'),
    (dict(slope=-0.1), 'slope must be >= 0'),
    (dict(clamp=-1.), 'clamp must be None or >= 0'),
    (dict(b=torch.zeros(3)), r'b must have shape \(2,\)'),
    (dict(impl='bogus'), "'auto', 'ref', 'mmcv'"),
])
def test_filtered_lrelu_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        filtered_lrelu(torch.zeros(1, 2, 4, 4), **kwargs)


@pytest.mark.cuda
@pytest.mark.skipif(
    not torch.cuda.is_available(), reason='the mmcv kernel needs CUDA')
def test_filtered_lrelu_mmcv_kernel_matches_reference():
    if not mmcv_kernels.available():
        pytest.skip('mmcv compiled kernels are not installed')
    fu = setup_filter([1, 3, 3, 1] * 3, device='cuda')
    fd = setup_filter([1, 3, 3, 1] * 3, device='cuda')
    x = torch.randn(2, 8, 16, 16, device='cuda', requires_grad=True)
    b = torch.randn(8, device='cuda')
    kwargs = dict(up=2, down=2, padding=11, clamp=256.)
    out = filtered_lrelu(x, fu, fd, b, impl='mmcv', **kwargs)
    ref = filtered_lrelu(x, fu, fd, b, impl='ref', **kwargs)
    torch.testing.assert_close(out, ref, atol=1e-4, rtol=1e-4)
    g = torch.randn_like(out)
    (gx, ) = torch.autograd.grad(out, x, g)
    (gr, ) = torch.autograd.grad(ref, x, g)
    torch.testing.assert_close(gx, gr, atol=1e-4, rtol=1e-4)
