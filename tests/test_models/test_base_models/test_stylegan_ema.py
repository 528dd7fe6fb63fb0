# Copyright (c) mmgen-ada contributors. All rights reserved.
import pytest
import torch
import torch.nn as nn

from mmgen_ada.models import StyleGANEMA


class _Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(3))
        self.register_buffer('w_avg', torch.zeros(2))


def test_beta_schedule_closed_form_with_rampup():
    # batch 4, half-life 10 images, ramp-up 0.5:
    # ema_nimg_k = min(10, 0.5 * 4 k) -> 0 (copy), 2, 4, 6, 8, 10, 10
    # beta_k = 0.5 ** (4 / ema_nimg_k)
    expected = [
        0.0, 0.5**2, 0.5**1, 0.5**(4 / 6), 0.5**0.5, 0.5**0.4, 0.5**0.4
    ]
    got = [
        StyleGANEMA.ema_beta(4 * k, 4, ema_kimg=0.01, ema_rampup=0.5)
        for k in range(7)
    ]
    assert got == pytest.approx(expected, rel=1e-12, abs=0)
    # Without ramp-up the half-life is fixed from the first update.
    assert StyleGANEMA.ema_beta(0, 4, 0.01, None) == pytest.approx(0.5**0.4)


def test_updates_follow_reference_recursion_and_copy_buffers():
    net = _Net()
    ema = StyleGANEMA(net, ema_kimg=0.01, ema_rampup=0.5, batch_size=4)
    betas = [0.0, 0.25, 0.5, 0.5**(4 / 6)]
    avg = torch.zeros(3, dtype=torch.float64)
    for k, beta in enumerate(betas):
        with torch.no_grad():
            net.weight.copy_(torch.tensor([1.0, -2.0, 3.0]) * (k + 1))
            net.w_avg.fill_(float(k) + 0.5)
        ema.update_parameters(net)
        # reference: p_ema <- p + beta * (p_ema - p)
        src = net.weight.detach().double()
        avg = src + beta * (avg - src)
        assert torch.allclose(ema.module.weight.double(), avg, atol=1e-6)
        assert torch.equal(ema.module.w_avg, net.w_avg)  # copied, not averaged
    assert int(ema.steps) == 4
    assert ema.cur_nimg == 16
    assert not ema.module.weight.requires_grad


def test_first_update_without_rampup_averages_with_initial_copy():
    # The reference lerps from the initial G_ema copy (no special first step).
    net = _Net()
    ema = StyleGANEMA(net, ema_kimg=0.01, ema_rampup=None, batch_size=4)
    with torch.no_grad():
        net.weight.fill_(1.0)
    ema.update_parameters(net)
    beta = 0.5**0.4
    assert torch.allclose(ema.module.weight, torch.full((3, ), 1 - beta))


def test_state_survives_save_and_load():
    net = _Net()
    ema = StyleGANEMA(net, ema_kimg=0.01, ema_rampup=0.5, batch_size=4)
    for k in range(3):
        with torch.no_grad():
            net.weight.add_(1.0)
        ema.update_parameters(net)
    state = ema.state_dict()
    assert int(state['steps']) == 3

    restored = StyleGANEMA(_Net(), ema_kimg=0.01, ema_rampup=0.5, batch_size=4)
    restored.load_state_dict(state)
    with torch.no_grad():
        net.weight.add_(1.0)
    for model in (ema, restored):
        model.update_parameters(net)
    assert torch.equal(ema.module.weight, restored.module.weight)
    assert int(restored.steps) == 4


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='ema_kimg'):
        StyleGANEMA(_Net(), ema_kimg=0)
    with pytest.raises(ValueError, match='ema_rampup'):
        StyleGANEMA(_Net(), ema_rampup=-1.0)
    with pytest.raises(ValueError, match='update_buffers'):
        StyleGANEMA(_Net(), update_buffers=True)
    with pytest.raises(ValueError, match='interval'):
        StyleGANEMA(_Net(), interval=2)
    ema = StyleGANEMA(_Net())
    with pytest.raises(RuntimeError, match='batch_size'):
        ema.update_parameters(_Net())
