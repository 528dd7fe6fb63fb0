# Copyright (c) mmgen-ada contributors. All rights reserved.
"""kill -9 at random moments of training never loses the last checkpoint.

For ``max_keep_ckpts`` 1 and 3, a chain of ten training processes shares one
work dir; each resumes from ``last_checkpoint`` and is killed with SIGKILL,
once it has begun saving: half of them in the middle of a (deliberately
slowed) checkpoint or ``last_checkpoint`` write, half at a random moment
after that. After every kill a loadable, finite checkpoint named by
``last_checkpoint`` must remain and training progress must never go back.
Finally a resumed run (``tools/train.py --resume`` for one chain, the same
runner built in a forked process for the other) continues the chain and
must match an uninterrupted run bit for bit.
"""
import multiprocessing
import os
import os.path as osp
import random
import re
import subprocess
import sys
import time

import pytest
import torch

from mmgen_ada.engine.checkpoint import read_checkpoint

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))
TRIALS = 10  # per max_keep_ckpts value: 20 kills in all
PAUSE = 0.01  # seconds between the pieces of a slowed write
CHAIN_ITERS = 10_000  # never reached: every chained run is killed


@pytest.fixture(scope='module')
def forkserver():
    """A forkserver context whose server has imported the training code.

    The server finds the module through PYTHONPATH (it does not inherit
    ``sys.path``, and a failed preload would silently make every child
    import torch and mmgen-ada anew).
    """
    old_pythonpath = os.environ.get('PYTHONPATH')
    os.environ['PYTHONPATH'] = os.pathsep.join(
        [HERE, REPO] + ([old_pythonpath] if old_pythonpath else []))
    sys.path.insert(0, HERE)
    try:
        ctx = multiprocessing.get_context('forkserver')
        ctx.set_forkserver_preload(['checkpoint_kill_worker'])
        import checkpoint_kill_worker
        yield ctx, checkpoint_kill_worker
    finally:
        sys.path.remove(HERE)
        if old_pythonpath is None:
            os.environ.pop('PYTHONPATH')
        else:
            os.environ['PYTHONPATH'] = old_pythonpath


def _checkpoints(work_dir):
    return sorted(
        n for n in os.listdir(work_dir) if re.fullmatch(r'iter_\d+\.pth', n))


def _check_work_dir(work_dir, max_keep, previous_iter):
    """The invariants after a kill; returns the iteration of the latest."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.exists(pointer):
        assert previous_iter is None, (
            f'last_checkpoint vanished after iteration {previous_iter}')
        return None
    with open(pointer) as f:
        path = f.read().strip()
    assert osp.isfile(path), f'last_checkpoint names a missing {path}'
    ckpt = read_checkpoint(path)
    iteration = ckpt['meta']['iter']
    assert osp.basename(path) == f'iter_{iteration}.pth'
    assert all(
        torch.isfinite(v).all() for v in ckpt['state_dict'].values()
        if v.is_floating_point())
    if previous_iter is not None:
        assert iteration >= previous_iter, 'training progress was lost'
    kept = _checkpoints(work_dir)
    # One more than max_keep if killed between saving and rotating.
    assert 1 <= len(kept) <= max_keep + 1, kept
    return iteration


def _tensors_equal(a, b):
    assert a.keys() == b.keys()
    return [
        k for k in a
        if isinstance(a[k], torch.Tensor) and not torch.equal(a[k], b[k])
    ]


def _resume_with_train_py(worker, work_dir, max_keep, max_iters):
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        PYTHONPATH=os.pathsep.join([REPO, HERE]))
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools',
                 'train.py'), worker.TOY_CONFIG, '--work-dir', work_dir,
        '--resume', '--cfg-options', f'train_cfg.max_iters={max_iters}',
        f'default_hooks.checkpoint.max_keep_ckpts={max_keep}'
    ],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.parametrize('max_keep', [1, 3])
def test_kill_anywhere_keeps_a_checkpoint_and_resume_is_exact(
        tmp_path, forkserver, max_keep):
    ctx, worker = forkserver
    rng = random.Random(max_keep)
    work_dir = str(tmp_path / 'chain')
    os.makedirs(work_dir)
    writing = ctx.Event()
    last_iter, killed_mid_write = None, 0
    for trial in range(TRIALS):
        writing.clear()
        proc = ctx.Process(
            target=worker.train,
            args=(work_dir, max_keep, CHAIN_ITERS, writing, PAUSE))
        proc.start()
        assert writing.wait(timeout=60), 'the run never saved'
        if trial % 2 == 0:  # in the middle of a write
            time.sleep(rng.uniform(0, 2 * PAUSE))
        else:  # anywhere: an iteration, a save, last_checkpoint, rotation
            time.sleep(rng.uniform(0, 0.5))
        proc.kill()
        proc.join()
        assert proc.exitcode == -9, f'trial {trial} ended by itself'
        killed_mid_write += any(
            n.endswith('.tmp') for n in os.listdir(work_dir))
        last_iter = _check_work_dir(work_dir, max_keep, last_iter)
    assert last_iter is not None, 'no checkpoint was ever written'
    assert killed_mid_write >= 1, 'no kill interrupted a write'

    # Continue the chain, and compare with a straight run.
    target = last_iter + 2
    if max_keep == 3:  # through the CLI, as a user resumes
        _resume_with_train_py(worker, work_dir, max_keep, target)
    else:  # the same runner, in a forked process (cheaper)
        resumed = ctx.Process(
            target=worker.train, args=(work_dir, max_keep, target))
        resumed.start()
        resumed.join(timeout=120)
        assert resumed.exitcode == 0
    assert not [n for n in os.listdir(work_dir) if n.endswith('.tmp')]
    assert len(_checkpoints(work_dir)) <= max_keep

    straight_dir = str(tmp_path / 'straight')
    straight = ctx.Process(
        target=worker.train,
        args=(straight_dir, max_keep, target),
        kwargs=dict(overrides={'default_hooks.checkpoint.interval': target}))
    straight.start()
    straight.join(timeout=120)
    assert straight.exitcode == 0

    a = read_checkpoint(osp.join(work_dir, f'iter_{target}.pth'))
    b = read_checkpoint(osp.join(straight_dir, f'iter_{target}.pth'))
    assert a['meta']['iter'] == b['meta']['iter'] == target
    assert not _tensors_equal(a['state_dict'], b['state_dict'])
    state_a = a['optimizer']['state']
    state_b = b['optimizer']['state']
    for pid in state_b:
        assert not _tensors_equal(state_a[pid], state_b[pid]), pid
