# Copyright (c) mmgen-ada contributors. All rights reserved.
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck, gradgradcheck

from mmgen_ada.ops import grid_sample_gradfix


@pytest.fixture(autouse=True)
def _seed():
    """Deterministic inputs: gradcheck must not land on a kink by chance."""
    torch.manual_seed(0)


def _torch_grid_sample(x, grid):
    return F.grid_sample(
        x, grid, mode='bilinear', padding_mode='zeros', align_corners=False)


def _np_bilinear(img, gx, gy):
    """Explicit per-point bilinear sampling, zeros outside (one channel)."""
    h, w = img.shape
    ix, iy = ((gx + 1) * w - 1) / 2, ((gy + 1) * h - 1) / 2
    x0, y0 = int(np.floor(ix)), int(np.floor(iy))
    total = 0.
    for xi, wx in ((x0, 1 - (ix - x0)), (x0 + 1, ix - x0)):
        for yi, wy in ((y0, 1 - (iy - y0)), (y0 + 1, iy - y0)):
            if 0 <= xi < w and 0 <= yi < h:
                total += img[yi, xi] * wx * wy
    return total


def _random_grid(n, h, w, seed=0):
    # Reaches past [-1, 1] so that the zero padding is exercised.
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, h, w, 2, generator=g, dtype=torch.float64) * 2.6 - 1.3


@pytest.mark.parametrize('impl', ['ref', 'auto', 'torch'])
def test_grid_sample_values(impl):
    x = torch.randn(2, 3, 5, 4, dtype=torch.float64)
    grid = _random_grid(2, 3, 6)
    out = grid_sample_gradfix.grid_sample(x, grid, impl=impl)
    torch.testing.assert_close(out, _torch_grid_sample(x, grid))
    for n, c, i, j in [(0, 0, 0, 0), (1, 2, 2, 5), (1, 1, 1, 3)]:
        gx, gy = grid[n, i, j].tolist()
        np.testing.assert_allclose(
            out[n, c, i, j].item(),
            _np_bilinear(x[n, c].numpy(), gx, gy),
            rtol=1e-12,
            atol=1e-12)


def test_grid_sample_identity_grid_and_float32():
    x = torch.randn(1, 2, 6, 5)
    theta = torch.tensor([[[1., 0., 0.], [0., 1., 0.]]])
    grid = F.affine_grid(theta, (1, 2, 6, 5), align_corners=False)
    out = grid_sample_gradfix.grid_sample(x, grid, impl='ref')
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, x)


@pytest.mark.parametrize('impl', ['ref', 'auto'])
def test_grid_sample_gradients(impl):
    x = torch.randn(1, 2, 4, 3, dtype=torch.float64, requires_grad=True)
    grid = _random_grid(1, 2, 3, seed=1).requires_grad_()

    def fn(x, grid):
        return grid_sample_gradfix.grid_sample(x, grid, impl=impl)

    assert gradcheck(fn, (x, grid))
    assert gradgradcheck(fn, (x, grid))


def test_grid_sample_r1_like_double_backward_matches_torch():
    # R1 through an augmentation: grad of D(aug(x)) w.r.t. x, then backward.
    x = torch.randn(2, 1, 6, 6, dtype=torch.float64, requires_grad=True)
    w = torch.randn(1, 1, 3, 3, dtype=torch.float64, requires_grad=True)
    grid = _random_grid(2, 6, 6, seed=2)

    def r1(sample):
        y = F.conv2d(sample(x, grid), w).tanh().sum()
        (g, ) = torch.autograd.grad(y, x, create_graph=True)
        (gw, ) = torch.autograd.grad(g.square().sum(), w)
        return gw

    torch.testing.assert_close(
        r1(lambda a, b: grid_sample_gradfix.grid_sample(a, b, impl='ref')),
        r1(_torch_grid_sample))


def test_auto_falls_back_to_reference(monkeypatch):
    calls = []

    def broken_native(x, grid):
        calls.append('native')
        raise RuntimeError('derivative for grid_sampler_2d_backward is not '
                           'implemented')

    monkeypatch.setattr(grid_sample_gradfix, '_native', broken_native)
    monkeypatch.setattr(grid_sample_gradfix, '_native_ok', None)
    assert not grid_sample_gradfix.native_double_backward_supported()
    x = torch.randn(1, 1, 3, 3, dtype=torch.float64)
    grid = _random_grid(1, 2, 2)
    out = grid_sample_gradfix.grid_sample(x, grid)  # 'auto' -> reference
    torch.testing.assert_close(out, _torch_grid_sample(x, grid))
    assert calls == ['native']  # probed once, never used afterwards


def test_probe_is_independent_of_grad_mode(monkeypatch):
    monkeypatch.setattr(grid_sample_gradfix, '_native_ok', None)
    with torch.no_grad():
        in_no_grad = grid_sample_gradfix.native_double_backward_supported()
    monkeypatch.setattr(grid_sample_gradfix, '_native_ok', None)
    assert grid_sample_gradfix.native_double_backward_supported() == \
        in_no_grad


@pytest.mark.parametrize('x_shape,grid_shape,impl,match', [
    ((1, 1, 3, 3), (1, 2, 2, 2), 'bogus', "'auto', 'ref', 'torch'"),
    ((1, 3, 3), (1, 2, 2, 2), 'ref', r'\(1, 3, 3\)'),
    ((1, 1, 3, 3), (1, 2, 2, 3), 'ref', r'\(1, 2, 2, 3\)'),
    ((2, 1, 3, 3), (1, 2, 2, 2), 'ref', 'N, H_out, W_out, 2'),
])
def test_grid_sample_bad_arguments(x_shape, grid_shape, impl, match):
    with pytest.raises(ValueError, match=match):
        grid_sample_gradfix.grid_sample(
            torch.zeros(x_shape), torch.zeros(grid_shape), impl=impl)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_grid_sample_cuda_matches_torch():
    x = torch.randn(2, 3, 8, 8, device='cuda', requires_grad=True)
    grid = _random_grid(2, 5, 5).float().cuda()
    out = grid_sample_gradfix.grid_sample(x, grid, impl='ref')
    ref = _torch_grid_sample(x, grid)
    torch.testing.assert_close(out, ref)
    (g, ) = torch.autograd.grad(out.square().sum(), x, create_graph=True)
    g.sum().backward()  # double backward runs on CUDA
