# Copyright (c) mmgen-ada contributors. All rights reserved.
"""LeCam penalty (Tseng et al. 2021, Eq. 3) on fixed logits."""
import torch

from mmgen_ada.models.losses import lecam_penalty


def test_penalty_closed_form_and_gradient():
    real = torch.tensor([[1.0], [3.0]], requires_grad=True)
    fake = torch.tensor([[-2.0], [0.0], [1.0]], requires_grad=True)
    anchor_real = torch.tensor(0.5, requires_grad=True)
    anchor_fake = torch.tensor(-1.0, requires_grad=True)
    penalty = lecam_penalty(real, fake, anchor_real, anchor_fake)
    # reals vs alpha_F = -1: (2^2 + 4^2) / 2 = 10;
    # fakes vs alpha_R = 0.5: (2.5^2 + 0.5^2 + 0.5^2) / 3 = 6.75 / 3 = 2.25
    assert penalty.shape == ()
    torch.testing.assert_close(penalty, torch.tensor(12.25))
    penalty.backward()
    # d/d real_i = 2 (real_i - alpha_F) / N
    torch.testing.assert_close(real.grad, torch.tensor([[2.0], [4.0]]))
    torch.testing.assert_close(fake.grad,
                               torch.tensor([[-5.0], [-1.0], [1.0]]) / 3)
    # the anchors are constants of the penalty
    assert anchor_real.grad is None and anchor_fake.grad is None


def test_penalty_zero_when_outputs_sit_on_the_other_anchor():
    real = torch.full((4, 1), 0.25)
    fake = torch.full((2, 1), -0.75)
    assert float(
        lecam_penalty(real, fake, torch.tensor(-0.75),
                      torch.tensor(0.25))) == 0.0
