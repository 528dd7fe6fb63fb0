# Copyright (c) mmgen-ada contributors. All rights reserved.
import math

import pytest
import torch.nn as nn
from mmengine.optim import OptimWrapperDict

from mmgen_ada.engine.optimizers import LazyRegOptimWrapperConstructor


class _GAN(nn.Module):

    def __init__(self, g_interval=4, d_interval=16):
        super().__init__()
        self.generator = nn.Linear(2, 2)
        self.discriminator = nn.Linear(2, 1)
        self._intervals = dict(generator=g_interval, discriminator=d_interval)

    @property
    def lazy_reg_intervals(self):
        return self._intervals


def _cfg(**extra):
    cfg = dict(
        generator=dict(
            optimizer=dict(type='Adam', lr=0.0025, betas=(0, 0.99), eps=1e-8)),
        discriminator=dict(
            optimizer=dict(type='Adam', lr=0.002, betas=(0.5,
                                                         0.99), eps=1e-8)))
    cfg.update(extra)
    return cfg


def _group(wrappers, name):
    return wrappers[name].optimizer.param_groups[0]


def test_lr_and_betas_scaled_by_interval_ratio():
    wrappers = LazyRegOptimWrapperConstructor(_cfg())(_GAN())
    assert isinstance(wrappers, OptimWrapperDict)
    g, d = _group(wrappers, 'generator'), _group(wrappers, 'discriminator')
    # c = k / (k + 1); lr * c, beta ** c, computed independently here.
    cg, cd = 4 / 5, 16 / 17
    assert g['lr'] == pytest.approx(0.0025 * 0.8, rel=1e-15)
    assert d['lr'] == pytest.approx(0.002 * 16 / 17, rel=1e-15)
    assert g['betas'][0] == 0.0
    assert g['betas'][1] == pytest.approx(
        math.exp(cg * math.log(0.99)), rel=1e-15)
    assert d['betas'][0] == pytest.approx(
        math.exp(cd * math.log(0.5)), rel=1e-15)
    assert d['betas'][1] == pytest.approx(
        math.exp(cd * math.log(0.99)), rel=1e-15)
    assert g['eps'] == 1e-8
    # Each wrapper optimises exactly its sub-model.
    model_g = _GAN()
    wrappers = LazyRegOptimWrapperConstructor(_cfg())(model_g)
    assert {id(p)
            for p in _group(wrappers, 'generator')['params']
            } == {id(p)
                  for p in model_g.generator.parameters()}


def test_none_interval_leaves_optimizer_unscaled():
    wrappers = LazyRegOptimWrapperConstructor(_cfg())(
        _GAN(g_interval=None, d_interval=16))
    g = _group(wrappers, 'generator')
    assert g['lr'] == 0.0025 and tuple(g['betas']) == (0, 0.99)


def test_explicit_reg_intervals_override_model():
    cfg = _cfg(reg_intervals=dict(generator=1, discriminator=None))
    wrappers = LazyRegOptimWrapperConstructor(cfg)(_GAN())
    assert _group(wrappers, 'generator')['lr'] == pytest.approx(0.0025 / 2)
    assert _group(wrappers, 'discriminator')['lr'] == 0.002


def test_bad_configs_are_reported():
    with pytest.raises(ValueError, match="'optimizer'"):
        LazyRegOptimWrapperConstructor(dict(generator=dict(lr=1)))
    with pytest.raises(ValueError, match='paramwise_cfg'):
        LazyRegOptimWrapperConstructor(_cfg(), paramwise_cfg=dict(a=1))
    cfg = _cfg(mapping=dict(optimizer=dict(type='Adam', lr=1e-3)))
    with pytest.raises(AttributeError, match="'mapping'"):
        LazyRegOptimWrapperConstructor(cfg)(_GAN())
    cfg = _cfg(reg_intervals=dict(generator=0))
    with pytest.raises(ValueError, match='positive int'):
        LazyRegOptimWrapperConstructor(cfg)(_GAN())
