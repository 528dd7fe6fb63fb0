# Copyright (c) mmgen-ada contributors. All rights reserved.
import math

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from mmgen_ada.models.ada.augment_matrices import (LUMA_AXIS, rotate2d,
                                                   rotate2d_quarter, rotate3d,
                                                   scale2d, scale3d,
                                                   translate2d, translate3d)


def test_2d_builders_act_on_column_vectors():
    t = torch.tensor([0.3, -1.0])
    point = torch.tensor([2.0, 5.0, 1.0])
    np.testing.assert_allclose(
        (translate2d(t, t * 2) @ point)[0].numpy(), [2.3, 5.6, 1.0], rtol=1e-6)
    np.testing.assert_allclose((scale2d(t, t * 2) @ point)[1].numpy(),
                               [-2.0, -10.0, 1.0])
    theta = torch.tensor([math.pi / 6])
    expected = [
        2 * math.cos(math.pi / 6) - 5 * math.sin(math.pi / 6),
        2 * math.sin(math.pi / 6) + 5 * math.cos(math.pi / 6), 1
    ]
    np.testing.assert_allclose(
        (rotate2d(theta) @ point)[0].numpy(), expected, rtol=1e-6)


def test_quarter_rotation_is_exact():
    k = torch.tensor([0., 1., 2., 3., -1., 5.])
    exact = rotate2d_quarter(k)
    assert set(exact.unique().tolist()) <= {-1., 0., 1.}
    torch.testing.assert_close(
        exact, rotate2d(k * math.pi / 2), atol=1e-6, rtol=0)


def test_3d_builders():
    b = torch.tensor([0.1, 0.2])
    colour = torch.tensor([0.5, -0.5, 0.25, 1.0])
    np.testing.assert_allclose(
        (translate3d(b, b, b) @ colour)[1].numpy(), [0.7, -0.3, 0.45, 1.0],
        rtol=1e-6)
    np.testing.assert_allclose(
        (scale3d(b, b, b) @ colour)[0].numpy(), [0.05, -0.05, 0.025, 1.0],
        rtol=1e-6)


def test_rotate3d_matches_scipy_rotation_about_luma():
    axis = torch.tensor(LUMA_AXIS)
    theta = torch.tensor([-2.0, 0.3, 1.7])
    mats = rotate3d(axis, theta)
    for i, t in enumerate(theta.tolist()):
        ref = Rotation.from_rotvec(np.ones(3) / math.sqrt(3) * t).as_matrix()
        np.testing.assert_allclose(mats[i, :3, :3].numpy(), ref, atol=1e-6)
        np.testing.assert_allclose(mats[i, 3].numpy(), [0, 0, 0, 1])
        np.testing.assert_allclose(mats[i, :3, 3].numpy(), [0, 0, 0])
