# Copyright (c) mmgen-ada contributors. All rights reserved.
"""2-process CPU DDP through tools/dist_train.sh (torchrun, gloo)."""
import json
import os
import socket
import subprocess
import sys
import textwrap

import torch
from mmengine.config import Config

import mmgen_ada  # noqa: F401  (registers checkpoint safe globals)

PROBE_HOOK = '''
import json, os.path as osp
import torch

import mmgen_ada  # noqa: F401  (registers checkpoint safe globals)
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


def _flat(module):
    # Parameters only: buffers such as w_avg are rank-local, as in NVlabs.
    return torch.cat([t.detach().flatten().double()
                      for t in module.parameters()])


@HOOKS.register_module()
class DistProbeHook(Hook):
    """Writes what each rank ended with, for the test to compare."""

    def after_run(self, runner):
        model = runner.model.module
        g = model.generator.module
        d = model.discriminator.module
        out = dict(
            rank=get_rank(),
            batch=runner.train_dataloader.batch_sampler.batch_size,
            p=float(d.data_aug.p),
            world=torch.distributed.get_world_size(),
            backend=torch.distributed.get_backend(),
            wrapper=type(runner.model).__name__,
            num_batches=int(model.num_batches),
            cur_nimg=int(model.cur_nimg),
            g=_flat(g).tolist(), d=_flat(d).tolist(),
            g_ema=_flat(model.generator_ema.module).tolist())
        with open(osp.join(runner.work_dir,
                           f'probe_rank{get_rank()}.json'), 'w') as f:
            json.dump(out, f)
'''


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_dist_train_two_cpu_processes(tmp_path, train_kit):
    data_root = train_kit.write_image_folder(tmp_path / 'data', num=16)
    (tmp_path / 'dist_probe_hook.py').write_text(PROBE_HOOK)
    config = tmp_path / 'tiny_dist.py'
    config.write_text(
        textwrap.dedent(f'''
        _base_ = [{str(train_kit.quickstart)!r}]
        custom_imports = dict(imports=['dist_probe_hook'],
                              allow_failed_imports=False)
        model = dict(
            generator=dict(out_size=16, style_channels=16, channel_base=128,
                           channel_max=16),
            discriminator=dict(in_size=16, channel_base=128, channel_max=16,
                               mbstd_group_size=2,
                               data_aug=dict(update_interval=1,
                                             ada_kimg=0.01,
                                             augment_initial_p=0.2)),
            r1_interval=2, pl_interval=2)
        train_dataloader = dict(dataset=dict(data_root={data_root!r}))
        train_cfg = dict(max_iters=3, val_interval=10000)
        val_dataloader = None
        val_cfg = None
        val_evaluator = None
        test_dataloader = None
        test_cfg = None
        test_evaluator = None
        default_hooks = dict(logger=dict(interval=1),
                             checkpoint=dict(interval=3))
        custom_hooks = [
            dict(type='GeneratorEMAHook'),
            dict(type='ADAHook'),
            dict(type='RNGStateHook'),
            dict(type='DistProbeHook'),
        ]
        '''))
    work_dir = tmp_path / 'work'
    env = dict(os.environ)
    env.update(
        PORT=str(_free_port()),
        OMP_NUM_THREADS='1',
        PYTHONPATH=os.pathsep.join([
            str(tmp_path),
            str(train_kit.repo_root),
            env.get('PYTHONPATH', '')
        ]))
    # dist_train.sh calls `python`: make it this interpreter.
    env['PATH'] = os.path.dirname(sys.executable) + os.pathsep + env['PATH']
    proc = subprocess.run([
        'bash',
        str(train_kit.repo_root / 'tools' / 'dist_train.sh'),
        str(config), '2', '--work-dir',
        str(work_dir), '--batch', '8'
    ],
                          cwd=str(train_kit.repo_root),
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)
    errors = [
        line for line in (proc.stdout + proc.stderr).splitlines()
        if 'Error' in line or 'error' in line
    ]
    assert proc.returncode == 0, '\n'.join(errors[-20:]) or proc.stderr[-3000:]

    probes = []
    for rank in (0, 1):
        with open(work_dir / f'probe_rank{rank}.json') as f:
            probes.append(json.load(f))
    r0, r1 = probes
    assert r0['world'] == r1['world'] == 2
    assert r0['backend'] == 'gloo'
    assert r0['wrapper'] == 'MMSeparateDistributedDataParallel'
    assert r0['num_batches'] == 3
    # --batch is the global batch: 8 = 2 ranks x 4, and kimg after N
    # iterations is 8 N / 1000.
    assert r0['batch'] == r1['batch'] == 4
    assert r0['cur_nimg'] == r1['cur_nimg'] == 8 * 3
    saved = Config.fromfile(
        str(work_dir / 'tiny_dist.py'), import_custom_modules=False)
    assert saved.global_batch_size == 8
    assert saved.train_dataloader.batch_size == 4
    with open(work_dir / 'tiny_dist.py') as f:
        assert 'global_batch_size = 8' in f.read()
    # ADA: p pooled over ranks, identical everywhere, and it moved.
    assert r0['p'] == r1['p']
    assert r0['p'] != 0.2
    # Gradients averaged across ranks -> identical weights everywhere
    # (with different latents per rank: randomness.diff_rank_seed=True).
    for key in ('g', 'd', 'g_ema'):
        assert torch.equal(torch.tensor(r0[key]), torch.tensor(r1[key])), key
    # The checkpoint written by rank 0 holds both ranks' RNG states.
    ckpt = torch.load(work_dir / 'iter_3.pth', weights_only=True)
    assert len(ckpt['rng_states']) == 2
    assert not torch.equal(ckpt['rng_states'][0]['torch'],
                           ckpt['rng_states'][1]['torch'])
