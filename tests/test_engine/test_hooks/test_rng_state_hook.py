# Copyright (c) mmgen-ada contributors. All rights reserved.
import io
import random
from types import SimpleNamespace

import numpy as np
import torch
from mmengine.hooks import CheckpointHook

from mmgen_ada.engine.hooks import RNGStateHook
from mmgen_ada.engine.hooks.rng_state_hook import (get_rng_states,
                                                   set_rng_states)


def _draw():
    return (random.random(), float(np.random.rand()), float(torch.rand(())))


def test_states_round_trip_through_weights_only_load():
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    _draw()
    states = get_rng_states()
    expected = [_draw() for _ in range(3)]

    buffer = io.BytesIO()
    torch.save(dict(rng_states=[states]), buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)['rng_states'][0]

    random.seed(99)
    np.random.seed(99)
    torch.manual_seed(99)
    set_rng_states(loaded)
    assert [_draw() for _ in range(3)] == expected


def _runner(iteration, checkpoint_interval=2, max_iters=10):
    hook = CheckpointHook(interval=checkpoint_interval, by_epoch=False)
    return SimpleNamespace(
        iter=iteration,
        max_iters=max_iters,
        hooks=[hook],
        logger=SimpleNamespace(warning=lambda msg: None))


def test_hook_saves_at_checkpoint_iterations_and_restores_on_resume():
    hook = RNGStateHook()
    torch.manual_seed(0)
    # iteration index 1 -> CheckpointHook(interval=2) saves now.
    runner = _runner(iteration=1)
    hook.after_train_iter(runner, batch_idx=1)
    checkpoint = dict(meta=dict(iter=2))
    hook.before_save_checkpoint(runner, checkpoint)
    expected = [float(torch.rand(())) for _ in range(2)]
    assert len(checkpoint['rng_states']) == 1

    # A new process would start from another state; resume at iter 2.
    torch.manual_seed(123)
    new_hook = RNGStateHook()
    new_hook.after_load_checkpoint(_runner(0), checkpoint)
    float(torch.rand(()))  # e.g. the dataloader fast-forward drawing
    new_hook.before_train_iter(_runner(iteration=2), batch_idx=2)
    assert [float(torch.rand(())) for _ in range(2)] == expected


def test_load_from_does_not_restore():
    hook = RNGStateHook()
    checkpoint = dict(meta=dict(iter=7), rng_states=[get_rng_states()])
    torch.manual_seed(5)
    expected = float(torch.rand(()))
    torch.manual_seed(5)
    hook.after_load_checkpoint(_runner(0), checkpoint)
    hook.before_train_iter(_runner(iteration=0), batch_idx=0)  # fine-tuning
    assert float(torch.rand(())) == expected


def test_no_capture_when_checkpoint_hook_will_not_save():
    hook = RNGStateHook()
    hook.after_train_iter(_runner(iteration=2), batch_idx=2)  # 3 % 2 != 0
    assert hook._captured is None
