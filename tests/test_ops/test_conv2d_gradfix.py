# Copyright (c) mmgen-ada contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck, gradgradcheck

from mmgen_ada.ops import conv2d_gradfix


@pytest.fixture(autouse=True)
def _seed():
    """Deterministic inputs: gradcheck must not land on a kink by chance."""
    torch.manual_seed(0)


CONV_CASES = [
    # (in_channels, out_channels, kernel, kwargs)
    (2, 3, 3, dict()),
    (3, 2, 3, dict(stride=2, padding=1)),
    (2, 2, 2, dict(stride=(2, 1), padding=(0, 1), dilation=(1, 2))),
    (4, 2, 3, dict(groups=2, dilation=2, padding=2)),
    (3, 3, 1, dict(groups=3, stride=3)),
]
TRANSPOSE_CASES = [
    (2, 3, 3, dict()),
    (3, 2, 3, dict(stride=2, padding=1, output_padding=1)),
    (2, 2, 2, dict(stride=(2, 3), output_padding=(1, 2), dilation=(1, 2))),
    (4, 2, 3, dict(groups=2, dilation=2, padding=1)),
]


def _inputs(cin, cout, k, kwargs, transpose):
    groups = kwargs.get('groups', 1)
    x = torch.randn(1, cin, 5, 4, dtype=torch.float64, requires_grad=True)
    shape = (cin, cout // groups, k, k) if transpose else (cout, cin // groups,
                                                           k, k)
    w = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    b = torch.randn(cout, dtype=torch.float64, requires_grad=True)
    return x, w, b


@pytest.mark.parametrize('cin,cout,k,kwargs', CONV_CASES)
def test_conv2d_matches_torch(cin, cout, k, kwargs):
    x, w, b = _inputs(cin, cout, k, kwargs, transpose=False)

    def fn(x, w, b):
        return conv2d_gradfix.conv2d(x, w, b, **kwargs)

    torch.testing.assert_close(fn(x, w, b), F.conv2d(x, w, b, **kwargs))
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


@pytest.mark.parametrize('cin,cout,k,kwargs', TRANSPOSE_CASES)
def test_conv_transpose2d_matches_torch(cin, cout, k, kwargs):
    x, w, b = _inputs(cin, cout, k, kwargs, transpose=True)

    def fn(x, w, b):
        return conv2d_gradfix.conv_transpose2d(x, w, b, **kwargs)

    torch.testing.assert_close(
        fn(x, w, b), F.conv_transpose2d(x, w, b, **kwargs))
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def _path_length_like(conv, x, w, ws_grad_ctx):
    """Grad of sum(conv(x)**3) w.r.t. x with create_graph, then backward."""
    with ws_grad_ctx:
        y = conv(x, w, stride=2, padding=1)
        (gx, ) = torch.autograd.grad((y**3).sum(), x, create_graph=True)
    gx.square().sum().backward()
    return gx.detach()


@pytest.mark.parametrize('transpose', [False, True])
def test_no_weight_gradients(transpose):
    torch.manual_seed(0)
    shape = (3, 2, 3, 3)
    conv_fix = (
        conv2d_gradfix.conv_transpose2d
        if transpose else conv2d_gradfix.conv2d)
    conv_ref = F.conv_transpose2d if transpose else F.conv2d
    x0 = torch.randn(2, 3 if transpose else 2, 5, 5, dtype=torch.float64)
    w0 = torch.randn(shape, dtype=torch.float64)

    # First backward inside the block: weight.grad stays None.
    x = x0.clone().requires_grad_()
    w = w0.clone().requires_grad_()
    with conv2d_gradfix.no_weight_gradients():
        conv_fix(x, w, stride=2, padding=1).square().sum().backward()
    assert w.grad is None
    xr = x0.clone().requires_grad_()
    conv_ref(xr, w0, stride=2, padding=1).square().sum().backward()
    torch.testing.assert_close(x.grad, xr.grad)

    # Path-length style: the first-order graph skips d/dw, but the second
    # backward (outside the block) still reaches w through d(dy/dx)/dw.
    x = x0.clone().requires_grad_()
    w = w0.clone().requires_grad_()
    gx = _path_length_like(conv_fix, x, w,
                           conv2d_gradfix.no_weight_gradients())
    xr = x0.clone().requires_grad_()
    wr = w0.clone().requires_grad_()
    gxr = _path_length_like(conv_ref, xr, wr, torch.enable_grad())
    torch.testing.assert_close(gx, gxr)
    torch.testing.assert_close(x.grad, xr.grad)
    # Only the unused first-order d/dw was skipped: the loss on gx still
    # gets its complete gradient w.r.t. w.
    torch.testing.assert_close(w.grad, wr.grad)


def test_no_weight_gradients_disable_false_and_nesting():
    x = torch.randn(1, 2, 4, 4, requires_grad=True)
    w = torch.randn(3, 2, 3, 3, requires_grad=True)
    with conv2d_gradfix.no_weight_gradients(disable=False):
        conv2d_gradfix.conv2d(x, w).sum().backward()
    torch.testing.assert_close(w.grad,
                               torch.autograd.grad(F.conv2d(x, w).sum(), w)[0])
    w.grad = None
    with conv2d_gradfix.no_weight_gradients():
        with conv2d_gradfix.no_weight_gradients():
            pass
        conv2d_gradfix.conv2d(x, w).sum().backward()
    assert w.grad is None
    conv2d_gradfix.conv2d(x, w).sum().backward()
    assert w.grad is not None  # the switch is off again after the block


def test_conv2d_bad_arguments():
    with pytest.raises(ValueError, match=r'stride .* \(1, 2, 3\)'):
        conv2d_gradfix.conv2d(
            torch.zeros(1, 1, 3, 3), torch.zeros(1, 1, 1, 1), stride=(1, 2, 3))
