# Copyright (c) mmgen-ada contributors. All rights reserved.
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn

from mmgen_ada.engine.hooks import GeneratorEMAHook
from mmgen_ada.models import StyleGANEMA


class _GAN(nn.Module):

    def __init__(self, with_ema=True):
        super().__init__()
        self.generator = nn.Linear(2, 2)
        self.generator_ema = (
            StyleGANEMA(self.generator, ema_kimg=0.01, ema_rampup=0.5)
            if with_ema else None)


def _runner(model, batch_size=4, batch_sampler_batch=None):
    loader = SimpleNamespace(
        batch_size=batch_size,
        batch_sampler=SimpleNamespace(batch_size=batch_sampler_batch))
    return SimpleNamespace(model=model, train_dataloader=loader)


def test_hook_sets_global_batch_and_updates_every_iteration():
    model = _GAN()
    runner = _runner(model, batch_size=None, batch_sampler_batch=4)
    hook = GeneratorEMAHook()
    hook.before_train(runner)
    assert model.generator_ema.batch_size == 4  # x world size 1
    expected = model.generator.weight.detach().clone()
    for k, beta in enumerate([0.0, 0.25, 0.5]):
        with torch.no_grad():
            model.generator.weight.add_(1.0)
        hook.after_train_iter(runner, batch_idx=k)
        src = model.generator.weight.detach()
        expected = src + beta * (expected - src)
        assert torch.allclose(model.generator_ema.module.weight, expected)
    assert int(model.generator_ema.steps) == 3


def test_hook_reports_missing_ema():
    runner = _runner(_GAN(with_ema=False))
    with pytest.raises(AttributeError, match='generator_ema'):
        GeneratorEMAHook().before_train(runner)
