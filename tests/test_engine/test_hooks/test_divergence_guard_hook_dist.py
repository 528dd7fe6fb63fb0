# Copyright (c) mmgen-ada contributors. All rights reserved.
"""DivergenceGuardHook under torch.distributed (2 CPU processes, gloo).

Only one rank sees the non-finite values; both must stop in the same
iteration (a rank that raised alone would leave the other blocked in its
next collective). Workers are forked and report through files.
"""
import multiprocessing
import socket
import traceback
from pathlib import Path
from types import SimpleNamespace

import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper

from mmgen_ada.engine.hooks.divergence_guard_hook import (
    DivergenceGuardHook, TrainingDivergedError)

WORLD_SIZE = 2
NUM_ITERS = 6
NAN = float('nan')
# Loss of each rank per iteration: rank 1 alone diverges from iteration 3
# (index 2) on; with patience 2 both ranks stop after iteration 4.
LOSSES = {0: [1.0] * NUM_ITERS, 1: [1.0, NAN, 1.0, NAN, NAN, NAN]}


def _worker(rank: int, port: int, out_dir: str, case: str) -> None:
    try:
        _run_rank(rank, port, out_dir, case)
    except BaseException:  # report to the parent, then fail the process
        (Path(out_dir) / f'rank{rank}.err').write_text(traceback.format_exc())
        raise


def _run_rank(rank: int, port: int, out_dir: str, case: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group(
        'gloo',
        init_method=f'tcp://127.0.0.1:{port}',
        rank=rank,
        world_size=WORLD_SIZE)
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
    dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _run(tmp_path, case):
    port = _free_port()
    ctx = multiprocessing.get_context('fork')
    procs = [
        ctx.Process(target=_worker, args=(rank, port, str(tmp_path), case))
        for rank in range(WORLD_SIZE)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
    for rank, proc in enumerate(procs):
        if proc.is_alive():
            proc.kill()
        err = tmp_path / f'rank{rank}.err'
        assert proc.exitcode == 0, (
            f'rank {rank} exit code {proc.exitcode}:\n'
            f'{err.read_text() if err.exists() else ""}')
    return [(tmp_path / f'rank{r}.txt').read_text().split('\n', 1)
            for r in range(WORLD_SIZE)]


def test_nonfinite_losses_on_one_rank_stop_every_rank(tmp_path):
    (it0, msg0), (it1, msg1) = _run(tmp_path, 'loss')
    # Iterations 4 and 5 (1-based) are the two consecutive bad ones.
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
