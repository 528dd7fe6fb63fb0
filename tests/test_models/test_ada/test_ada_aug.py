# Copyright (c) mmgen-ada contributors. All rights reserved.
"""ADAAug: construction, statistics and the p controller."""
import pytest
import torch

from mmgen_ada.models.ada import AUGMENT_PRESETS, ADAAug, AugmentPipe
from mmgen_ada.models.ada.ada_aug import VALID_PIPELINE_KEYS
from mmgen_ada.registry import MODELS


def test_defaults_and_mmagic_style_config():
    aug = MODELS.build(
        dict(
            type='ADAAug',
            aug_pipeline=dict(
                xflip=1,
                rotate90=1,
                xint=1,
                scale=1,
                rotate=1,
                aniso=1,
                xfrac=1,
                brightness=1,
                contrast=1,
                lumaflip=1,
                hue=1,
                saturation=1),
            update_interval=4,
            augment_initial_p=0.,
            ada_target=0.6,
            ada_kimg=100))
    assert isinstance(aug.aug_pipeline, AugmentPipe)
    assert aug.p == 0.0 and aug.update_interval == 4
    assert aug.ada_target == 0.6 and aug.ada_kimg == 100 and aug.max_p is None
    for op in AUGMENT_PRESETS['bgc']:
        assert getattr(aug.aug_pipeline, op) == 1.0
    assert aug.aug_pipeline.imgfilter == 0.0
    # None = the paper's bgc preset.
    default = ADAAug()
    assert {
        op
        for op in AugmentPipe.op_names()
        if getattr(default.aug_pipeline, op) > 0
    } == set(AUGMENT_PRESETS['bgc'])


def test_presets_and_overrides():
    aug = ADAAug(aug_pipeline='bgcfnc')
    assert all(
        getattr(aug.aug_pipeline, op) == 1 for op in AugmentPipe.op_names())
    aug = ADAAug(aug_pipeline=dict(preset='bg', rotate=0, xint_max=0.25))
    assert aug.aug_pipeline.rotate == 0 and aug.aug_pipeline.xflip == 1
    assert aug.aug_pipeline.xint_max == 0.25
    assert aug.aug_pipeline.brightness == 0
    with pytest.raises(ValueError, match="Unknown augmentation preset 'bgx'"):
        ADAAug(aug_pipeline='bgx')


def test_unknown_keys_are_rejected_with_valid_list():
    with pytest.raises(ValueError) as err:
        ADAAug(aug_pipeline=dict(xflip=1, rotat=1))
    msg = str(err.value)
    assert "'rotat'" in msg and "'rotate'" in msg and "'cutout_size'" in msg
    assert 'skip_identity' in VALID_PIPELINE_KEYS
    assert 'p' not in VALID_PIPELINE_KEYS


@pytest.mark.parametrize('kwargs', [
    dict(update_interval=0),
    dict(update_interval=2.5),
    dict(augment_initial_p=-0.1),
    dict(ada_target=1.5),
    dict(ada_kimg=0),
    dict(max_p=-1),
    dict(augment_initial_p=0.5, max_p=0.2),
])
def test_invalid_controller_arguments(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        ADAAug(**kwargs)


def test_record_accumulates_signs_and_counts():
    aug = ADAAug()
    aug.record(torch.tensor([[1.5], [-0.2], [0.0], [3.0]]))
    aug.record(torch.tensor([[-1.0], [-2.0]], requires_grad=True))
    sign_sum, count, num_images = aug.sign_stats().tolist()
    assert (sign_sum, count, num_images) == (1 - 1 + 0 + 1 - 1 - 1, 6, 6)
    assert aug.sign_stats().dtype == torch.float64
    # The same reals scored again: signs and logits count, images do not.
    aug.record(torch.tensor([[2.0], [1.0], [-1.0]]), repeated_reals=True)
    assert aug.sign_stats().tolist() == [-1 + 1, 9, 6]


def test_update_rule_closed_form_trajectory():
    """A synthetic stream of statistics gives the closed-form p path."""
    kimg, n = 0.1, 8.0  # step = n / 100 = 0.08 per update
    aug = ADAAug(augment_initial_p=0.2, ada_target=0.6, ada_kimg=kimg)
    rts = [0.9, 0.8, 0.61, 0.6, 0.2, -1.0, 1.0, 0.7]
    expected = 0.2
    for rt in rts:
        aug.update(rt * n, n)
        expected += (1 if rt > 0.6 else -1 if rt < 0.6 else 0) * n / (
            kimg * 1000)
        assert aug.p == pytest.approx(expected, abs=1e-6)
    assert expected == pytest.approx(0.2 + 0.08 * (3 + 0 - 2 + 2))


def test_update_uses_the_count_of_real_images():
    aug = ADAAug(ada_kimg=1)
    aug.update(sign_sum=30, count=32)  # r_t = 0.9375 > 0.6
    assert aug.p == pytest.approx(32 / 1000)
    aug.update(sign_sum=0, count=0)  # nothing seen: no change
    assert aug.p == pytest.approx(32 / 1000)


def test_step_counts_images_while_r_t_averages_all_real_logits():
    # NVlabs: r_t is the mean over every real pass (Dmain and lazy R1),
    # the step is batch * interval / (ada_kimg * 1000).
    aug = ADAAug(ada_kimg=1, augment_initial_p=0.5)
    aug.update(sign_sum=50, count=80, num_images=64)  # r_t 0.625 > 0.6
    assert aug.p == pytest.approx(0.5 + 64 / 1000)
    aug.update(sign_sum=46, count=80, num_images=64)  # r_t 0.575 < 0.6
    assert aug.p == pytest.approx(0.5)
    with pytest.raises(ValueError, match='num_images'):
        aug.update(1, 2, num_images=-1)


def test_clamping_at_zero_and_max_p():
    aug = ADAAug(augment_initial_p=0.05, ada_kimg=0.1, max_p=0.3)
    aug.update(-10, 10)  # -0.1
    assert aug.p == 0.0
    aug.update(-10, 10)
    assert aug.p == 0.0
    for _ in range(5):  # +0.5 requested, capped at 0.3
        aug.update(10, 10)
    assert aug.p == pytest.approx(0.3)
    unbounded = ADAAug(augment_initial_p=0.95, ada_kimg=0.1)
    unbounded.update(10, 10)
    assert unbounded.p == pytest.approx(1.05)  # the reference has no cap


def test_update_resets_local_statistics():
    aug = ADAAug()
    aug.record(torch.ones(4, 1))
    aug.update(*aug.sign_stats().tolist())
    assert aug.sign_stats().tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match='count >= 0'):
        aug.update(1, -1)


def test_state_dict_round_trip_keeps_p_and_pending_statistics():
    aug = ADAAug(augment_initial_p=0.37)
    aug.record(torch.tensor([[1.0], [1.0], [-1.0]]))
    state = aug.state_dict()
    assert 'aug_pipeline.p' in state and '_extra_state' in state
    restored = ADAAug()
    restored.load_state_dict(state)
    assert restored.p == pytest.approx(0.37)
    assert restored.sign_stats().tolist() == [1.0, 3.0, 3.0]
    # The saved state is a copy, not a view of the live accumulators.
    aug.record(torch.ones(2, 1))
    assert state['_extra_state'].tolist() == [1.0, 3.0, 3.0]
    # A checkpoint from before the image count: [sign_sum, sign_count].
    restored.set_extra_state(torch.tensor([2.0, 5.0], dtype=torch.float64))
    assert restored.sign_stats().tolist() == [2.0, 5.0, 5.0]
    with pytest.raises(ValueError, match='extra state'):
        restored.set_extra_state({'sum': 1})
    with pytest.raises(ValueError, match='extra state'):
        restored.set_extra_state(torch.zeros(4))


def test_forward_uses_current_p():
    x = torch.rand(4, 3, 16, 16) * 2 - 1
    aug = ADAAug(aug_pipeline='bgc')
    assert torch.equal(aug(x), x)  # p = 0
    aug.aug_pipeline.p.fill_(1.0)
    assert not torch.equal(aug(x), x)
