# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The r_t controller step against the closed form of Karras et al. 2020."""
import pytest

from mmgen_ada.models.ada.rt_controller import rt_controller_step


def test_step_is_sign_times_images_over_kimg():
    # r_t = 6 / 8 = 0.75 > 0.6: up by 64 / 500k
    assert rt_controller_step(0.1, 6, 8, 64, 0.6, 500) == pytest.approx(
        0.1 + 64 / 500000, abs=0)
    # r_t = -0.25 < 0.6: down, clamped at 0
    assert rt_controller_step(1e-5, -2, 8, 64, 0.6, 500) == 0.
    # r_t == target: unchanged
    assert rt_controller_step(0.3, 6, 10, 10, 0.6, 0.01) == 0.3
    # num_images None counts the logits; max_p bounds the result
    assert rt_controller_step(0.99, 8, 8, None, 0.6, 0.001, 1.) == 1.
    # no statistics: unchanged
    assert rt_controller_step(0.4, 0, 0, 0, 0.6, 500) == 0.4


def test_bad_statistics_name_the_owner():
    with pytest.raises(ValueError, match='^APA update needs finite'):
        rt_controller_step(0., float('nan'), 8, 8, 0.6, 500, name='APA ')
    with pytest.raises(ValueError, match='count >= 0'):
        rt_controller_step(0., 1, -1, 8, 0.6, 500)
