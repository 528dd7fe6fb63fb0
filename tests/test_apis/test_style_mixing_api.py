# Copyright (c) mmgen-ada contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmgen_ada.apis import style_mixing
from mmgen_ada.models.stylegan2 import StyleGANv2Generator


def _uint8(img):
    return np.floor(
        np.clip(img.permute(0, 2, 3, 1).numpy() * 127.5 + 128, 0,
                255)).astype(np.uint8)


def test_style_mixing_cells_and_grid():
    torch.manual_seed(0)
    G = StyleGANv2Generator(
        16, style_channels=16, num_mlps=2, channel_base=256,
        channel_max=16).eval()
    with torch.no_grad():
        G.mapping.w_avg.normal_()
    rows, cols, styles, psi = [3, 9], [5], [0, 1, 2], 0.6
    images, grid = style_mixing(G, rows, cols, styles, truncation_psi=psi)
    assert set(images) == {(3, 3), (9, 9), (5, 5), (3, 5), (9, 5)}

    # Independent reference: w = w_avg + psi (w - w_avg); swap entries.
    def w_of(seed):
        z = torch.from_numpy(np.random.RandomState(seed).randn(1, 16)).float()
        w = G.mapping(z, None)[0]
        return G.w_avg + psi * (w - G.w_avg)

    with torch.no_grad():
        for row in rows:
            w = w_of(row)
            w[styles] = w_of(5)[styles]
            mixed = _uint8(G.synthesis(w[None], noise_mode='const'))[0]
            # Cells are synthesised in a batch, the references one by one:
            # on CPU the shared-weight (non-fused) convolution rounds
            # differently per batch size, so a uint8 value may differ by 1.
            np.testing.assert_allclose(
                images[(row, 5)].astype(int), mixed.astype(int), atol=1)
            np.testing.assert_allclose(
                images[(row, row)].astype(int),
                _uint8(G.synthesis(w_of(row)[None],
                                   noise_mode='const'))[0].astype(int),
                atol=1)
    assert not np.array_equal(images[(3, 5)], images[(3, 3)])

    assert grid.shape == (3 * 16, 2 * 16, 3)
    assert not grid[:16, :16].any()  # black corner
    np.testing.assert_array_equal(grid[:16, 16:], images[(5, 5)])
    np.testing.assert_array_equal(grid[16:32, :16], images[(3, 3)])
    np.testing.assert_array_equal(grid[32:, 16:], images[(9, 5)])

    with pytest.raises(ValueError, match='style index 6 out of range'):
        style_mixing(G, rows, cols, [0, 6])
