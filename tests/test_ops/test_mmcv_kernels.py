# Copyright (c) mmgen-ada contributors. All rights reserved.
import importlib
from types import SimpleNamespace

import pytest
import torch

from mmgen_ada.ops import (bias_act, filtered_lrelu, fused_bias_leakyrelu,
                           mmcv_kernels, setup_filter, upfirdn2d)


def _mmcv_ops_importable():
    try:
        importlib.import_module('mmcv.ops')
    except (ImportError, OSError, RuntimeError):
        return False
    return True


@pytest.fixture
def fresh_loader(monkeypatch):
    """Forget the cached import and record what the loader logs."""
    messages = []
    monkeypatch.setattr(
        mmcv_kernels,
        'print_log',
        lambda msg, logger=None: messages.append(msg))
    monkeypatch.setattr(mmcv_kernels, '_mmcv_ops', mmcv_kernels._UNSET)
    return messages


@pytest.fixture
def fake_mmcv(monkeypatch):
    """Pretend mmcv kernels are installed; record how they are called."""
    calls = []

    def record(name):

        def kernel(*args, **kwargs):
            calls.append((name, args, kwargs))
            return torch.zeros(1)

        return kernel

    fake = SimpleNamespace(
        upfirdn2d=record('upfirdn2d'),
        bias_act=record('bias_act'),
        filtered_lrelu=record('filtered_lrelu'))
    monkeypatch.setattr(mmcv_kernels, '_mmcv_ops', fake)
    return calls


def test_available_matches_importability_and_logs_once(fresh_loader):
    assert mmcv_kernels.available() == _mmcv_ops_importable()
    assert mmcv_kernels.available() == _mmcv_ops_importable()
    assert len(fresh_loader) == 1
    word = 'using mmcv' if _mmcv_ops_importable() else 'reference'
    assert word in fresh_loader[0]


def test_auto_on_cpu_uses_reference():
    # Here (mmcv-lite, CPU) auto and ref are the same path for every op.
    x = torch.randn(1, 2, 6, 6)
    assert mmcv_kernels.resolve('auto', x) == 'ref'
    f = setup_filter([1, 3, 3, 1])
    torch.testing.assert_close(
        upfirdn2d(x, f, up=2), upfirdn2d(x, f, up=2, impl='ref'))


def test_auto_on_cpu_ignores_available_kernels(fake_mmcv):
    x = torch.randn(1, 2, 6, 6)
    out = bias_act(x, act='lrelu')
    assert fake_mmcv == []
    torch.testing.assert_close(out, bias_act(x, act='lrelu', impl='ref'))
    cuda_like = SimpleNamespace(device=torch.device('cuda', 0))
    assert mmcv_kernels.resolve('auto', cuda_like) == 'mmcv'


def test_mmcv_arguments_are_adapted(fake_mmcv):
    x = torch.randn(1, 2, 6, 6)
    f = setup_filter([1, 3, 3, 1])
    b = torch.zeros(2)
    upfirdn2d(x, f, up=(2, 1), down=2, padding=(1, 2), gain=3., impl='mmcv')
    bias_act(x, b, act='tanh', clamp=4., impl='mmcv')
    fused_bias_leakyrelu(x, b, 0.1, 2., impl='mmcv')
    filtered_lrelu(x, f, f, b, up=2, down=2, padding=3, clamp=8., impl='mmcv')
    (name0, args0, kw0), (name1, args1, kw1), (name2, _,
                                               kw2), (name3, args3,
                                                      kw3) = fake_mmcv
    assert name0 == 'upfirdn2d' and args0[0] is x and args0[1] is f
    assert kw0 == dict(
        up=[2, 1],
        down=2,
        padding=[1, 1, 2, 2],
        flip_filter=False,
        gain=3.,
        impl='cuda')
    assert name1 == 'bias_act' and args1[1] is b
    assert kw1 == dict(
        dim=1, act='tanh', alpha=None, gain=None, clamp=4., use_custom_op=True)
    assert name2 == 'bias_act' and kw2['alpha'] == 0.1 and kw2['gain'] == 2.
    assert name3 == 'filtered_lrelu' and args3 == (x, )
    assert kw3['filter_up'] is f and kw3['filter_down'] is f
    assert kw3['bias'] is b and kw3['padding'] == [3, 3, 3, 3]
    assert (kw3['up'], kw3['down'], kw3['clamp']) == (2, 2, 8.)


@pytest.mark.skipif(
    _mmcv_ops_importable(), reason='mmcv compiled kernels are installed')
def test_forcing_missing_kernels_raises():
    with pytest.raises(RuntimeError, match='mim install mmcv'):
        upfirdn2d(torch.zeros(1, 1, 4, 4), None, impl='mmcv')


def test_bad_impl_names_the_allowed_values():
    with pytest.raises(ValueError, match=r"\('auto', 'ref', 'mmcv'\).*'x'"):
        mmcv_kernels.resolve('x', torch.zeros(1))
