# Copyright (c) mmgen-ada contributors. All rights reserved.
import math

import numpy as np
import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck

from mmgen_ada.ops import (FusedBiasLeakyReLU, bias_act, fused_bias_leakyrelu,
                           mmcv_kernels)


@pytest.fixture(autouse=True)
def _seed():
    """Deterministic inputs: gradcheck must not land on a kink by chance."""
    torch.manual_seed(0)


SQRT2 = math.sqrt(2)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


# Closed forms, written out independently of torch: (function, alpha, gain).
CLOSED_FORMS = {
    'linear': (lambda v, a: v, 0., 1.),
    'relu': (lambda v, a: np.maximum(v, 0), 0., SQRT2),
    'lrelu': (lambda v, a: np.where(v >= 0, v, a * v), 0.2, SQRT2),
    'tanh': (lambda v, a: np.tanh(v), 0., 1.),
    'sigmoid': (lambda v, a: _sigmoid(v), 0., 1.),
    'elu': (lambda v, a: np.where(v > 0, v, np.expm1(v)), 0., 1.),
    'selu':
    (lambda v, a: SELU_SCALE * np.where(v > 0, v, SELU_ALPHA * np.expm1(v)),
     0., 1.),
    'softplus': (lambda v, a: np.log1p(np.exp(v)), 0., 1.),
    'swish': (lambda v, a: v * _sigmoid(v), 0., SQRT2),
}


@pytest.mark.parametrize('act', list(CLOSED_FORMS))
def test_bias_act_default_alpha_gain(act):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4)) * 2
    b = rng.standard_normal(3)
    func, alpha, gain = CLOSED_FORMS[act]
    out = bias_act(torch.from_numpy(x), torch.from_numpy(b), act=act)
    expected = func(x + b[None, :, None], alpha) * gain
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('act', list(CLOSED_FORMS))
def test_bias_act_dim_alpha_gain_clamp(act):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 5)) * 3
    b = rng.standard_normal(5)
    func = CLOSED_FORMS[act][0]
    out = bias_act(
        torch.from_numpy(x),
        torch.from_numpy(b),
        dim=2,
        act=act,
        alpha=0.3,
        gain=1.7,
        clamp=1.2)
    expected = np.clip(func(x + b[None, None, :], 0.3) * 1.7, -1.2, 1.2)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    assert (expected == 1.2).any()  # the clamp was exercised


def test_bias_act_without_bias_keeps_dtype():
    x = torch.randn(4, 6, dtype=torch.float16)
    out = bias_act(x, act='lrelu')
    assert out.dtype == torch.float16
    expected = np.where(x.float() >= 0, x.float(), 0.2 * x.float()) * SQRT2
    np.testing.assert_allclose(out.float().numpy(), expected, rtol=2e-3)
    assert torch.equal(bias_act(x), x)


@pytest.mark.parametrize('act', list(CLOSED_FORMS))
def test_bias_act_gradients(act):
    x = torch.randn(2, 3, 2, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, dtype=torch.float64, requires_grad=True)

    def fn(x, b):
        return bias_act(x, b, act=act, clamp=10.)

    assert gradcheck(fn, (x, b))
    assert gradgradcheck(fn, (x, b))


def test_fused_bias_leakyrelu():
    x = torch.randn(2, 4, 3, 3, dtype=torch.float64)
    b = torch.randn(4, dtype=torch.float64)
    out = fused_bias_leakyrelu(x, b, negative_slope=0.1, scale=3.)
    v = (x + b.view(1, 4, 1, 1)).numpy()
    np.testing.assert_allclose(
        out.numpy(), np.where(v >= 0, v, 0.1 * v) * 3., rtol=1e-12)

    module = FusedBiasLeakyReLU(4)
    assert module.bias.shape == (4, )
    assert isinstance(module.bias, torch.nn.Parameter)
    assert torch.count_nonzero(module.bias) == 0
    y = module(x.float())
    v = x.float().numpy()
    np.testing.assert_allclose(
        y.detach().numpy(), np.where(v >= 0, v, 0.2 * v) * SQRT2, rtol=1e-6)
    y.sum().backward()
    # d/db of sum(lrelu(x + b) * s) = s * (#positive + 0.2 * #negative).
    pos = (x > 0).sum(dim=(0, 2, 3)).double()
    neg = (x <= 0).sum(dim=(0, 2, 3)).double()
    np.testing.assert_allclose(
        module.bias.grad.numpy(), (SQRT2 * (pos + 0.2 * neg)).numpy(),
        rtol=1e-5)


@pytest.mark.parametrize('kwargs,match', [
    (dict(act='gelu'), "act must be one of .*'lrelu'.*'gelu'"),
    (dict(b=torch.zeros(4)), r'b must have shape \(3,\)'),
    (dict(dim=3), r'dim must be in \[0, 3\)'),
    (dict(clamp=-1.), 'clamp'),
    (dict(impl='cuda'), "impl must be one of .*'cuda'"),
])
def test_bias_act_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bias_act(torch.zeros(2, 3, 4), **kwargs)


@pytest.mark.cuda
@pytest.mark.skipif(
    not torch.cuda.is_available(), reason='the mmcv kernel needs CUDA')
@pytest.mark.parametrize('act', ['linear', 'lrelu', 'tanh', 'swish'])
def test_bias_act_mmcv_kernel_matches_reference(act):
    if not mmcv_kernels.available():
        pytest.skip('mmcv compiled kernels are not installed')
    x = torch.randn(4, 8, 5, 5, device='cuda', requires_grad=True)
    b = torch.randn(8, device='cuda', requires_grad=True)
    out = bias_act(x, b, act=act, clamp=2., impl='mmcv')
    ref = bias_act(x, b, act=act, clamp=2., impl='ref')
    torch.testing.assert_close(out, ref)
    g = torch.randn_like(out)
    grads = torch.autograd.grad(out, (x, b), g)
    grads_ref = torch.autograd.grad(ref, (x, b), g)
    for got, want in zip(grads, grads_ref):
        torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)
