# Copyright (c) mmgen-ada contributors. All rights reserved.
import numpy as np
import pytest
from PIL import Image

import torch

from mmgen_ada.visualization import make_image_grid, save_image, to_uint8


def test_make_image_grid_layout():
    images = np.stack([np.full((2, 3, 1), i, np.uint8) for i in range(5)])
    grid = make_image_grid(images, num_cols=3)
    assert grid.shape == (4, 9, 1)
    expected = np.array([[0, 1, 2], [3, 4, 0]]).repeat(2, 0).repeat(3, 1)
    np.testing.assert_array_equal(grid[..., 0], expected)
    assert make_image_grid(images).shape == (4, 9, 1)  # ceil(sqrt(5)) = 3
    assert make_image_grid(images, num_cols=1).shape == (10, 3, 1)
    with pytest.raises(ValueError, match='non-empty'):
        make_image_grid(np.zeros((0, 2, 2, 3), np.uint8))


def test_save_image_rgb_and_gray(tmp_path):
    rgb = np.random.RandomState(0).randint(0, 256, (4, 5, 3), dtype=np.uint8)
    save_image(rgb, str(tmp_path / 'a.png'))
    np.testing.assert_array_equal(
        np.array(Image.open(tmp_path / 'a.png')), rgb)
    save_image(rgb[..., :1], str(tmp_path / 'b.png'))
    assert Image.open(tmp_path / 'b.png').mode == 'L'
    with pytest.raises(ValueError, match='uint8'):
        save_image(rgb.astype(np.float32), str(tmp_path / 'c.png'))


def test_to_uint8_is_the_nvlabs_mapping():
    x = torch.tensor([-2., -1., -0.5, 0., 0.0039, 0.5, 1., 3.])
    got = to_uint8(x.view(1, 1, 1, -1))
    assert got.dtype == torch.uint8
    # floor(clamp(127.5 x + 128, 0, 255)), written out
    assert got.flatten().tolist() == [0, 0, 64, 128, 128, 191, 255, 255]
    u8 = torch.zeros(1, 1, 2, 2, dtype=torch.uint8)
    assert to_uint8(u8) is u8
