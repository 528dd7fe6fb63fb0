# Copyright (c) mmgen-ada contributors. All rights reserved.
import math

import pytest
import torch

from mmgen_ada.models.losses import (d_logistic_loss,
                                     g_nonsaturating_logistic_loss)


def _log_sigmoid(x: float) -> float:
    return -math.log1p(math.exp(-x))


def test_generator_loss_is_minus_log_sigmoid():
    logits = torch.tensor([[-3.0], [0.0], [0.5], [4.0]], dtype=torch.float64)
    expected = [-_log_sigmoid(v) for v in logits.flatten().tolist()]
    out = g_nonsaturating_logistic_loss(logits)
    assert out.shape == (4, 1)
    assert torch.allclose(out.flatten(),
                          torch.tensor(expected, dtype=torch.float64))


def test_discriminator_loss_terms():
    real = torch.tensor([[1.5], [-0.3]], dtype=torch.float64)
    fake = torch.tensor([[-2.0], [0.7]], dtype=torch.float64)
    exp_real = [-_log_sigmoid(v) for v in real.flatten().tolist()]
    # -log(1 - sigmoid(x)) = -log(sigmoid(-x))
    exp_fake = [-_log_sigmoid(-v) for v in fake.flatten().tolist()]
    both = d_logistic_loss(real, fake).flatten()
    assert torch.allclose(
        both,
        torch.tensor(exp_real) + torch.tensor(exp_fake, dtype=torch.float64))
    assert torch.allclose(
        d_logistic_loss(real_logits=real).flatten(),
        torch.tensor(exp_real, dtype=torch.float64))
    assert torch.allclose(
        d_logistic_loss(fake_logits=fake).flatten(),
        torch.tensor(exp_fake, dtype=torch.float64))
    with pytest.raises(ValueError, match='neither'):
        d_logistic_loss()
