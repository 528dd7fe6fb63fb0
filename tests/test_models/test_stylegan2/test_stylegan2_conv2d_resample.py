# Copyright (c) mmgen-ada contributors. All rights reserved.
"""conv2d_resample against a direct numpy/scipy evaluation of its definition.

Definition: zero-insert ``up``, pad (user + FIR alignment padding), FIR
filter (true convolution, gain ``up**2``), 'valid' correlation with the
kernel (true convolution if ``flip_weight=False``), keep every ``down``-th
pixel. Without up/downsampling the filter is not applied.
"""
import numpy as np
import pytest
import torch
from scipy import signal

from mmgen_ada.models.stylegan2.conv2d_resample import conv2d_resample
from mmgen_ada.ops import setup_filter


def _reference(x, w, f, up, down, pad, groups, flip_weight):
    x, w = x.double().numpy(), w.double().numpy()
    if f is None or (up == 1 and down == 1):  # no resampling, no filter
        f = np.ones((1, 1))
    else:
        f = f.double().numpy()
    fh, fw = f.shape
    p0, p1 = pad
    if up > 1:
        p0, p1 = p0 + (fw + up - 1) // 2, p1 + (fw - up) // 2
    if down > 1:
        p0, p1 = p0 + (fw - down + 1) // 2, p1 + (fw - down) // 2
    n, c, h, wd = x.shape
    u = np.zeros((n, c, h * up, wd * up))
    u[:, :, ::up, ::up] = x
    u = np.pad(u, ((0, 0), (0, 0), (p0, p1), (p0, p1)))
    filt = np.stack([
        np.stack([
            signal.convolve2d(u[i, j], f * up**2, mode='valid')
            for j in range(c)
        ]) for i in range(n)
    ])
    out_c, in_per_group, kh, kw = w.shape
    out = []
    for i in range(n):
        rows = []
        for o in range(out_c):
            g = o // (out_c // groups)
            acc = 0
            for k in range(in_per_group):
                kern = w[o, k] if flip_weight else w[o, k, ::-1, ::-1]
                acc = acc + signal.correlate2d(
                    filt[i, g * in_per_group + k], kern, mode='valid')
            rows.append(acc[::down, ::down])
        out.append(np.stack(rows))
    return torch.from_numpy(np.stack(out))


@pytest.mark.parametrize(
    'k,up,down,pad,groups,flip_weight',
    [
        (3, 2, 1, 1, 1, False),  # generator conv0 (transposed conv path)
        (3, 2, 1, 1, 2, True),  # grouped (fused modconv), correlation
        (1, 2, 1, 0, 1, True),  # 1x1 then upsample
        (3, 1, 2, 1, 1, True),  # discriminator conv1 (filter + strided conv)
        (1, 1, 2, 0, 1, True),  # discriminator skip (downsample then 1x1)
        (3, 1, 1, 1, 2, False),  # plain conv, true convolution
        (3, 2, 1, 3, 1, True),  # large padding: transposed conv pads, no crop
    ])
def test_conv2d_resample_matches_definition(k, up, down, pad, groups,
                                            flip_weight):
    torch.manual_seed(0)
    x = torch.randn(2, 4, 8, 8, dtype=torch.float64)
    w = torch.randn(6, 4 // groups, k, k, dtype=torch.float64)
    f = setup_filter([1, 3, 3, 1]).double()
    # An asymmetric filter catches flips of the filter.
    f = f * torch.tensor([1., 2., 3., 4.], dtype=torch.float64)
    out = conv2d_resample(
        x,
        w,
        f=f,
        up=up,
        down=down,
        padding=pad,
        groups=groups,
        flip_weight=flip_weight)
    ref = _reference(x, w, f, up, down, (pad, pad), groups, flip_weight)
    assert out.shape == ref.shape
    torch.testing.assert_close(out, ref, atol=1e-10, rtol=1e-10)


def test_conv2d_resample_asymmetric_padding_fallback():
    torch.manual_seed(1)
    x = torch.randn(1, 2, 5, 5, dtype=torch.float64)
    w = torch.randn(3, 2, 3, 3, dtype=torch.float64)
    out = conv2d_resample(x, w, padding=(2, 0, 2, 0))
    xp = torch.nn.functional.pad(x, [2, 0, 2, 0])
    ref = torch.nn.functional.conv2d(xp, w)
    torch.testing.assert_close(out, ref)


def test_conv2d_resample_errors():
    x = torch.zeros(1, 2, 4, 4)
    w = torch.zeros(3, 2, 3, 3)
    with pytest.raises(ValueError, match='up=2, down=2'):
        conv2d_resample(x, w, up=2, down=2)
    with pytest.raises(ValueError, match='dtype'):
        conv2d_resample(x, w.double())
    with pytest.raises(ValueError, match='padding'):
        conv2d_resample(x, w, padding=(1, 2, 3))
