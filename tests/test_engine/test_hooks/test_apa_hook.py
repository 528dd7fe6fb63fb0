# Copyright (c) mmgen-ada contributors. All rights reserved.
"""APAHook in one process (the all-reduce path at world size 1) and under
torch.distributed with 2 CPU processes (gloo): p_apa identical on every rank
and equal to the update from the pooled statistics."""
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub

from mmgen_ada.engine.hooks import APAHook
from mmgen_ada.models.apa import APA
from .forked_ranks import run_forked_ranks

WORLD_SIZE, P0, KIMG, TARGET, INTERVAL = 2, 0.5, 0.1, 0.6, 2
SIGNS = {  # per-iteration signs of D's real-labelled logits on each rank
    0: [[1, 1, 1, 1]] * 4 + [[-1, -1, 1, 1]] * 2,
    1: [[1, -1, -1, -1, -1, -1]] * 2 + [[1, 1, 1, 1, 1, -1]] * 2 +
    [[-1, -1, -1, -1, -1, 1]] * 2,
}


def _pooled(ranks):
    """Closed-form p_apa after each update from the signs of ``ranks``."""
    p, out = P0, []
    for start in range(0, 6, INTERVAL):
        signs = [
            s for r in ranks for it in range(start, start + INTERVAL)
            for s in SIGNS[r][it]
        ]
        rt = sum(signs) / len(signs)
        step = (1 if rt > TARGET else -1 if rt < TARGET else 0) * len(signs)
        p = min(1., max(0., p + step / (KIMG * 1000)))
        out.append((p, rt))
    return out


class _Model(nn.Module):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 1)
        self.apa = APA(
            target=TARGET, kimg=KIMG, update_interval=INTERVAL, initial_p=P0)


def _drive(rank, hub_name):
    model = _Model()
    runner = SimpleNamespace(
        model=model, iter=0, message_hub=MessageHub.get_instance(hub_name))
    hook = APAHook()
    hook.before_train(runner)
    history = []
    for it in range(6):
        runner.iter = it
        model.apa.record(
            torch.tensor(SIGNS[rank][it], dtype=torch.float)[:, None])
        hook.after_train_iter(runner, batch_idx=it)
        if (it + 1) % INTERVAL == 0:
            hub = runner.message_hub
            assert hub.get_scalar('train/apa_p').current() == model.apa.p
            history.append(
                (model.apa.p, float(hub.get_scalar('train/apa_rt').current())))
    return history


def test_single_process_follows_closed_form_and_logs():
    got = _drive(0, 'apa_hook_single')
    expected = _pooled([0])
    assert [round(p, 6) for p, _ in expected] == [0.58, 0.66, 0.58]
    for (p, rt), (exp_p, exp_rt) in zip(got, expected):
        assert p == pytest.approx(exp_p, abs=1e-6)
        assert rt == pytest.approx(exp_rt, abs=1e-12)


def test_missing_apa_module_is_an_error():
    runner = SimpleNamespace(model=nn.Linear(1, 1))
    with pytest.raises(ValueError, match='no APA module'):
        APAHook().before_train(runner)


def _run_rank(rank, out_dir):
    history = _drive(rank, f'apa_hook_dist_{rank}')
    torch.save(dict(history=history), Path(out_dir) / f'rank{rank}.pt')


def test_p_apa_identical_on_two_ranks_and_equal_to_pooled(tmp_path):
    run_forked_ranks(_run_rank, tmp_path, world_size=WORLD_SIZE)
    results = [
        torch.load(tmp_path / f'rank{r}.pt')['history']
        for r in range(WORLD_SIZE)
    ]
    assert results[0] == results[1]
    expected = _pooled([0, 1])
    assert [round(p, 6) for p, _ in expected] == [0.3, 0.5, 0.3]
    for (p, rt), (exp_p, exp_rt) in zip(results[0], expected):
        assert p == pytest.approx(exp_p, abs=1e-6)
        assert rt == pytest.approx(exp_rt, abs=1e-12)
