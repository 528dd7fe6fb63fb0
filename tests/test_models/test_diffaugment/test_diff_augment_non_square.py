# Copyright (c) mmgen-ada contributors. All rights reserved.
"""DiffAugment on non-square images: per-axis shift and cutout sizes.

The official code (mit-han-lab/data-efficient-gans, ``DiffAugment_pytorch``)
sizes every axis by its own length: the shift bound is
``int(size * ratio + 0.5)`` and the cutout side ``int(size * ratio + 0.5)``
per axis, the cutout centre uniform over ``{0, ..., size - side % 2}``.
The expected values below are written out from those definitions.
"""
import numpy as np
import pytest
import torch
from scipy import stats

from mmgen_ada.models.diffaugment import DiffAugment

SHAPES = [(16, 32), (32, 16)]  # (H, W)


def _images(n, h, w, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, h, w, generator=gen, dtype=torch.float64) + 0.5


def _expected(img, dy, dx, cy, cx, ky, kx):
    """Shift by (dy, dx) with zero fill, then zero a ky x kx rectangle whose
    top-left corner is (cy - ky // 2, cx - kx // 2); pixel by pixel."""
    _, h, w = img.shape
    out = torch.zeros_like(img)
    for i in range(h):
        for j in range(w):
            si, sj = i - dy, j - dx
            inside = 0 <= si < h and 0 <= sj < w
            cut = (
                cy - ky // 2 <= i < cy - ky // 2 + ky
                and cx - kx // 2 <= j < cx - kx // 2 + kx)
            if inside and not cut:
                out[:, i, j] = img[:, si, sj]
    return out


# (ratio, pixels along 16, pixels along 32); 0.3: int(4.8 + .5), int(9.6 + .5)
@pytest.mark.parametrize('ratio,px16,px32', [(0.125, 2, 4), (0.5, 8, 16),
                                             (0.3, 5, 10)])
def test_sizes_follow_each_axis_length(ratio, px16, px32):
    aug = DiffAugment(translation_ratio=ratio, cutout_ratio=ratio)
    for size, pixels in ((16, px16), (32, px32)):
        assert aug.translation_shift(size) == pixels
        assert aug.cutout_size(size) == pixels


@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('ratio', [0.125, 0.3])
def test_draws_cover_each_axis_own_range_uniformly(shape, ratio):
    h, w = shape
    aug = DiffAugment(translation_ratio=ratio, cutout_ratio=ratio)
    torch.manual_seed(0)
    p = aug.sample_params(torch.zeros(6000, 3, h, w))
    ranges = {
        'shift_y': range(-int(h * ratio + .5),
                         int(h * ratio + .5) + 1),
        'shift_x': range(-int(w * ratio + .5),
                         int(w * ratio + .5) + 1),
        'center_y': range(0, h + 1 - int(h * ratio + .5) % 2),
        'center_x': range(0, w + 1 - int(w * ratio + .5) % 2),
    }
    for key, values in ranges.items():
        counts = np.bincount(
            p[key].numpy() - values.start, minlength=len(values))
        assert counts.size == len(values), key  # nothing out of range
        assert stats.chisquare(counts).pvalue > 1e-3, key


@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('ratio', [0.125, 0.3])
def test_forward_is_per_axis_closed_form(shape, ratio):
    h, w = shape
    aug = DiffAugment(
        'translation,cutout',
        translation_ratio=ratio,
        cutout_ratio=0.5 + ratio)
    ky, kx = int(h * (0.5 + ratio) + .5), int(w * (0.5 + ratio) + .5)
    x = _images(3, h, w)
    torch.manual_seed(1)
    out = aug(x)
    torch.manual_seed(1)
    p = aug.sample_params(x)
    for i in range(3):
        expected = _expected(x[i], int(p['shift_y'][i]), int(p['shift_x'][i]),
                             int(p['center_y'][i]), int(p['center_x'][i]), ky,
                             kx)
        torch.testing.assert_close(out[i], expected, atol=0, rtol=0)


@pytest.mark.parametrize('shape', SHAPES)
def test_interior_cutout_is_a_half_by_half_rectangle(shape):
    h, w = shape
    aug = DiffAugment('cutout')
    x = torch.ones(1, 3, h, w, dtype=torch.float64)
    params = dict(
        center_y=torch.tensor([h // 2]), center_x=torch.tensor([w // 2]))
    zero = (aug.apply_params(x, params)[0, 0] == 0)
    rows, cols = zero.any(1).nonzero(), zero.any(0).nonzero()
    assert int(zero.sum()) == (h // 2) * (w // 2)
    assert (int(rows.min()), int(rows.max())) == (h // 4, 3 * h // 4 - 1)
    assert (int(cols.min()), int(cols.max())) == (w // 4, 3 * w // 4 - 1)


def test_gradients_non_square():
    aug = DiffAugment(['color', 'translation', 'cutout'], cutout_ratio=0.4)
    x = _images(2, 4, 6).requires_grad_(True)

    def fn(inp):
        torch.manual_seed(2)  # the same draws in every evaluation
        return aug(inp)

    assert torch.autograd.gradcheck(fn, (x, ))
    assert torch.autograd.gradgradcheck(fn, (x, ), fast_mode=True)
