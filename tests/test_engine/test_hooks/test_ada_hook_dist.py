# Copyright (c) mmgen-ada contributors. All rights reserved.
"""ADAHook under torch.distributed (2 CPU processes, gloo).

Each rank sees different sign statistics; after every update p must be the
same on both ranks and equal to the update computed from the pooled
statistics. The model is wrapped in DistributedDataParallel with
``broadcast_buffers=True`` (the torch default), which must not clobber the
per-rank accumulators.

The workers are forked from the test process (no re-import, no pickling of
the test module), and report through files in a temporary directory.
"""
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from torch.nn.parallel import DistributedDataParallel

from mmgen_ada.engine.hooks import ADAHook
from mmgen_ada.models.ada import ADAAug
from .forked_ranks import run_forked_ranks

WORLD_SIZE = 2
P0, ADA_KIMG, TARGET, INTERVAL = 0.5, 0.1, 0.6, 2
# Per-iteration signs recorded on each rank (different batch sizes, too).
SIGNS = {
    0: [[1, 1, 1, 1]] * 2 + [[1, 1, 1, 1]] * 2 + [[-1, -1, 1, 1]] * 2,
    1: [[1, -1, -1, -1, -1, -1]] * 2 + [[1, 1, 1, 1, 1, -1]] * 2 +
    [[-1, -1, -1, -1, -1, 1]] * 2,
}
NUM_ITERS = 6


def _pooled_trajectory():
    """Closed-form p after each update from the pooled statistics."""
    p, history = P0, []
    for start in range(0, NUM_ITERS, INTERVAL):
        signs = [
            s for rank in range(WORLD_SIZE)
            for it in range(start, start + INTERVAL) for s in SIGNS[rank][it]
        ]
        rt = sum(signs) / len(signs)
        step = len(signs) / (ADA_KIMG * 1000)
        p = max(0.0,
                p + (1 if rt > TARGET else -1 if rt < TARGET else 0) * step)
        history.append((p, rt))
    return history


class _Critic(nn.Module):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 1)
        self.data_aug = ADAAug(
            aug_pipeline='bgc',
            update_interval=INTERVAL,
            augment_initial_p=P0,
            ada_kimg=ADA_KIMG,
            ada_target=TARGET)

    def forward(self, x):
        return self.linear(self.data_aug(x).mean(dim=(2, 3)))


def _run_rank(rank: int, out_dir: str) -> None:
    torch.manual_seed(rank)
    model = _Critic()
    ddp = DistributedDataParallel(model, broadcast_buffers=True)
    runner = SimpleNamespace(
        model=ddp,
        iter=0,
        message_hub=MessageHub.get_instance(f'ada_dist_{rank}'))
    hook = ADAHook()
    hook.before_train(runner)
    history = []
    for it in range(NUM_ITERS):
        runner.iter = it
        signs = torch.tensor(SIGNS[rank][it], dtype=torch.float32)[:, None]
        model.data_aug.record(signs)
        # A DDP forward/backward after recording: DDP broadcasts rank 0's
        # buffers here, which must leave the accumulators alone.
        ddp(torch.rand(2, 3, 8, 8)).sum().backward()
        hook.after_train_iter(runner, batch_idx=it)
        if (it + 1) % INTERVAL == 0:
            hub = runner.message_hub
            history.append((float(model.data_aug.p),
                            float(hub.get_scalar('train/ada_rt').current())))
    torch.save(dict(history=history), Path(out_dir) / f'rank{rank}.pt')


def test_p_identical_on_all_ranks_and_equal_to_pooled_update(tmp_path):
    run_forked_ranks(_run_rank, tmp_path, world_size=WORLD_SIZE)

    expected = _pooled_trajectory()
    # The trajectory moves both ways, and differs from per-rank updates.
    assert [round(p, 6) for p, _ in expected] == [0.3, 0.5, 0.3]
    results = [
        torch.load(tmp_path / f'rank{r}.pt')['history']
        for r in range(WORLD_SIZE)
    ]
    assert results[0] == results[1]
    for (p, rt), (exp_p, exp_rt) in zip(results[0], expected):
        assert p == pytest.approx(exp_p, abs=1e-6)
        assert rt == pytest.approx(exp_rt, abs=1e-12)
