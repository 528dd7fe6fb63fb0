# Copyright (c) mmgen-ada contributors. All rights reserved.
"""DivergenceGuardHook stops non-finite runs before they are saved."""
import math
import os
import os.path as osp
import uuid
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import MMLogger

from mmgen_ada.engine.checkpoint import read_checkpoint
from mmgen_ada.engine.hooks import DivergenceGuardHook, TrainingDivergedError
from mmgen_ada.engine.runner import build_runner

HERE = osp.dirname(osp.abspath(__file__))


def test_huge_lr_stops_the_run_and_keeps_finite_checkpoints(
        tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(HERE)  # checkpoint_toy.py
    cfg = Config.fromfile(osp.join(HERE, 'checkpoint_toy_config.py'))
    cfg.merge_from_dict({
        'optim_wrapper.optimizer.lr': 1e37,  # Adam: first step 1e38
        'train_cfg.max_iters': 6,
        'default_hooks.checkpoint.max_keep_ckpts': 3
    })
    cfg.work_dir = str(tmp_path / 'work')
    cfg.experiment_name = f'diverge-{uuid.uuid4().hex[:8]}'
    cfg.log_level = 'WARNING'
    with pytest.raises(TrainingDivergedError) as info:
        build_runner(cfg).train()
    message = str(info.value)
    assert 'Training diverged at iteration 2' in message
    assert 'linear.weight' in message
    assert f'Last checkpoint (finite when saved): {tmp_path}' in message
    assert 'iter_1.pth' in message
    kept = sorted(n for n in os.listdir(cfg.work_dir) if n.endswith('.pth'))
    assert kept == ['iter_1.pth']
    for name in kept:
        state = read_checkpoint(osp.join(cfg.work_dir, name))['state_dict']
        assert all(torch.isfinite(v).all() for v in state.values())


def _runner(tmp_path, model):
    return SimpleNamespace(
        model=model,
        optim_wrapper=None,
        iter=0,
        work_dir=str(tmp_path),
        logger=MMLogger.get_instance(f'guard-{uuid.uuid4().hex[:8]}'))


def _step(hook, runner, loss):
    hook.after_train_iter(runner, 0, outputs=dict(loss=loss, other=math.inf))
    runner.iter += 1


def test_isolated_nonfinite_losses_are_tolerated(tmp_path):
    hook = DivergenceGuardHook(patience=3)
    runner = _runner(tmp_path, nn.Linear(2, 2))
    for loss in (math.nan, math.inf, 1.0, math.nan, math.nan, 0.5):
        _step(hook, runner, loss)  # never 3 in a row; 'other' not a loss
    _step(hook, runner, torch.tensor(math.nan))
    _step(hook, runner, math.nan)
    with pytest.raises(
            TrainingDivergedError,
            match='3 consecutive iteration.*from iteration 7.*'
            'loss=-inf.*none \\(no checkpoint'):
        _step(hook, runner, -math.inf)


def test_nonfinite_weights_stop_at_once(tmp_path):
    model = nn.Linear(2, 2)
    with torch.no_grad():
        model.bias[0] = math.inf
    with pytest.raises(TrainingDivergedError, match='bias'):
        _step(DivergenceGuardHook(patience=5), _runner(tmp_path, model), 1.0)


@pytest.mark.parametrize('patience', [0, 1.5, True])
def test_bad_patience_is_refused(patience):
    with pytest.raises(ValueError, match='patience'):
        DivergenceGuardHook(patience=patience)


def test_nonfinite_optimizer_state_of_a_gan_stops_the_run(tmp_path):
    from mmengine.optim import OptimWrapper, OptimWrapperDict
    model = nn.ModuleDict(
        dict(generator=nn.Linear(2, 2), disc=nn.Linear(2, 1)))
    wrappers = {}
    for name, module in model.items():
        optimizer = torch.optim.Adam(module.parameters())
        module(torch.ones(1, 2)).sum().backward()
        optimizer.step()
        wrappers[name] = OptimWrapper(optimizer)
    runner = _runner(tmp_path, model)
    runner.optim_wrapper = OptimWrapperDict(**wrappers)
    hook = DivergenceGuardHook()
    _step(hook, runner, 1.0)  # all finite
    state = wrappers['disc'].optimizer.state
    next(iter(state.values()))['exp_avg_sq'][0] = math.nan
    with pytest.raises(
            TrainingDivergedError, match='optimizer disc state 0.exp_avg_sq'):
        _step(hook, runner, 1.0)
