# Copyright (c) mmgen-ada contributors. All rights reserved.
"""DivergenceGuardHook under torch.distributed (2 CPU processes, gloo).

Only one rank sees the non-finite values; both must stop in the same
iteration (a rank that raised alone would leave the other blocked in its
next collective). Workers are forked and report through files.
"""
from pathlib import Path
from types import SimpleNamespace

import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper

from mmgen_ada.engine.hooks.divergence_guard_hook import (
    DivergenceGuardHook, TrainingDivergedError)
from .forked_ranks import run_forked_ranks

WORLD_SIZE = 2
NUM_ITERS = 6
NAN = float('nan')
# Loss of each rank per iteration: rank 1 alone has an isolated NaN at
# iteration 2 and NaNs from iteration 4 on (1-based); with patience 2 both
# ranks stop after iteration 5, the second consecutive bad one.
LOSSES = {0: [1.0] * NUM_ITERS, 1: [1.0, NAN, 1.0, NAN, NAN, NAN]}


def _run_rank(rank: int, out_dir: str, case: str) -> None:
    model = nn.Linear(2, 1)
    runner = SimpleNamespace(
        model=model,
        optim_wrapper=OptimWrapper(torch.optim.Adam(model.parameters())),
        work_dir=out_dir,
        iter=0,
        logger=MMLogger.get_instance(f'guard_dist_{case}_{rank}'))
    hook = DivergenceGuardHook(patience=2)
    stopped = None
    for it in range(NUM_ITERS):
        runner.iter = it
        loss = LOSSES[rank][it] if case == 'loss' else 1.0
        if case == 'weight' and rank == 0 and it == 2:
            with torch.no_grad():
                model.weight[0, 0] = float('inf')
        try:
            hook.after_train_iter(
                runner, it, outputs=dict(loss_G=torch.tensor(loss)))
        except TrainingDivergedError as err:
            stopped = (it, str(err))
            break
        dist.barrier()  # the next iteration's collectives
    (Path(out_dir) / f'rank{rank}.txt').write_text(
        'none' if stopped is None else f'{stopped[0]}\n{stopped[1]}')


def _run(tmp_path, case):
    run_forked_ranks(_run_rank, tmp_path, case, world_size=WORLD_SIZE,
                     timeout=120)
    return [(tmp_path / f'rank{r}.txt').read_text().split('\n', 1)
            for r in range(WORLD_SIZE)]


def test_nonfinite_losses_on_one_rank_stop_every_rank(tmp_path):
    (it0, msg0), (it1, msg1) = _run(tmp_path, 'loss')
    # Iterations 4 and 5 (1-based; index 4) are the two consecutive bad ones.
    assert it0 == it1 == '4'
    for msg in (msg0, msg1):
        assert ('non-finite losses for 2 consecutive iteration(s) from '
                'iteration 4') in msg
    assert 'loss_G' in msg1 and 'loss_G' not in msg0  # named where seen


def test_nonfinite_weights_on_one_rank_stop_every_rank_at_once(tmp_path):
    (it0, msg0), (it1, msg1) = _run(tmp_path, 'weight')
    assert it0 == it1 == '2'
    assert "non-finite weights/optimizer state (weight)" in msg0
    assert 'non-finite weights/optimizer state on another rank' in msg1
