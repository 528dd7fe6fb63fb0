# Copyright (c) mmgen-ada contributors. All rights reserved.
import pytest
import torch

from mmgen_ada.models.losses import r1_gradient_penalty
from mmgen_ada.ops import conv2d_gradfix


def test_r1_matches_closed_form_on_quadratic_critic():
    # D(x) = sum(w * x^2) -> dD/dx = 2 w x -> R1 = sum (2 w x)^2 and
    # dR1/dw = 8 w x^2 (both per sample, summed over C, H, W).
    torch.manual_seed(0)
    w = torch.randn(1, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    x = torch.randn(4, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    logits = (w * x.square()).sum(dim=[1, 2, 3]).unsqueeze(1)
    penalty = r1_gradient_penalty(logits, x)
    expected = (2 * w * x).square().sum(dim=[1, 2, 3])
    assert penalty.shape == (4, )
    assert torch.allclose(penalty, expected.detach())
    penalty.sum().backward()
    expected_grad_w = (8 * w * x.square()).sum(0, keepdim=True)
    assert torch.allclose(w.grad, expected_grad_w.detach())


def test_r1_through_gradfix_conv_matches_finite_differences():
    # A tiny conv critic built from conv2d_gradfix: the input gradient is
    # checked against central differences, and the second-order gradient of
    # the penalty w.r.t. the conv weight (reached although weight gradients
    # are disabled inside the penalty) against differences of the penalty.
    torch.manual_seed(1)
    weight = torch.randn(2, 1, 3, 3, dtype=torch.float64, requires_grad=True)
    x = torch.randn(2, 1, 5, 5, dtype=torch.float64)

    def critic(img, wt):
        h = conv2d_gradfix.conv2d(img, wt, padding=1)
        return torch.tanh(h).square().sum(dim=[1, 2, 3]).unsqueeze(1)

    x_req = x.clone().requires_grad_(True)
    penalty = r1_gradient_penalty(critic(x_req, weight), x_req)

    eps = 1e-6
    grads = torch.zeros_like(x)
    flat = grads.view(-1)
    for i in range(x.numel()):
        d = torch.zeros_like(x).view(-1)
        d[i] = eps
        d = d.view_as(x)
        flat[i] = ((critic(x + d, weight) - critic(x - d, weight)).sum() /
                   (2 * eps)).detach()
    assert torch.allclose(
        penalty.detach(), grads.square().sum(dim=[1, 2, 3]), rtol=1e-6)

    penalty.sum().backward()
    analytic = weight.grad.clone()

    def total_penalty(wt):
        xr = x.clone().requires_grad_(True)
        return r1_gradient_penalty(critic(xr, wt), xr).sum().detach()

    numeric = torch.zeros_like(weight)
    for i in range(weight.numel()):
        d = torch.zeros_like(weight).view(-1)
        d[i] = 1e-6
        d = d.view_as(weight)
        numeric.view(-1)[i] = (total_penalty(weight.detach() + d) -
                               total_penalty(weight.detach() - d)) / 2e-6
    assert torch.allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_r1_requires_input_grad():
    x = torch.randn(2, 1, 2, 2)
    with pytest.raises(ValueError, match='requires_grad'):
        r1_gradient_penalty(x.sum([1, 2, 3]).unsqueeze(1), x)
