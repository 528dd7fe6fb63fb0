# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Every shipped config, shrunk to 16x16 (16x32 if rectangular), trains 2 iterations under 2-process
CPU DDP (gloo) through ``tools/train.py --launcher pytorch``.

One torchrun (2 processes) runs all configs one after the other, calling
``tools/train.py``'s ``main()`` as ``tools/dist_train.sh`` does (the shell
script's own launch is covered by ``test_dist_train.py``): 18 launches would
spend most of the time starting processes. Some configs also train on
micro-batches (``batch_gpu``).
"""
import glob
import json
import os
import os.path as osp
import re
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import REPO_ROOT, write_image_folder

CONFIGS = sorted(
    p for p in glob.glob(str(REPO_ROOT / 'configs' / 'stylegan*' / '*.py')))
NAMES = [osp.splitext(osp.basename(p))[0] for p in CONFIGS]
# Trained with batch 4 per rank in micro-batches of 2 (the others: batch 2).
MICRO_BATCHED = {
    'stylegan2-ada_quickstart_1xb16_twemoji-32x32',
    'stylegan2-ada-lecam_quickstart_1xb16_twemoji-32x32',
    'stylegan2_paper256_8xb8_ffhq-256x256',
    'stylegan2-ada_cifar_2xb32_cifar10-32x32',
    'stylegan3-t_ada-fp16-gamma6.6_8xb4_metfaces-1024x1024',
    'stylegan3-r_noaug-gamma1_8xb8_ffhqu-256x256',
}


def _is_ada(name: str) -> bool:
    return re.search(r'(^|[-_])ada([-_]|$)', name) is not None


PROBE_HOOK = '''
import hashlib, json, os.path as osp
import torch

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


def _digest(module):
    # Parameters only: buffers such as w_avg are rank-local, as in NVlabs.
    flat = torch.cat([p.detach().flatten().double()
                      for p in module.parameters()])
    return hashlib.sha256(flat.numpy().tobytes()).hexdigest()


@HOOKS.register_module()
class DistProbeHook(Hook):
    """Writes what each rank saw and ended with, for the test to compare."""

    def before_train(self, runner):
        model = runner.model.module
        self.g_init = _digest(model.generator.module)
        self.fakes = None
        run_G = model.run_G

        def spy(*args, **kwargs):
            img, ws = run_G(*args, **kwargs)
            if self.fakes is None:  # the first fakes of this rank
                self.fakes = hashlib.sha256(
                    img.detach().double().numpy().tobytes()).hexdigest()
            return img, ws

        model.run_G = spy

    def after_run(self, runner):
        model = runner.model.module
        d = model.discriminator.module
        aug = getattr(d, 'data_aug', None)
        out = dict(
            world=torch.distributed.get_world_size(),
            backend=torch.distributed.get_backend(),
            wrapper=type(runner.model).__name__,
            optim=sorted({type(w).__name__
                          for w in runner.optim_wrapper.values()}),
            counts=sorted({w.accumulative_counts
                           for w in runner.optim_wrapper.values()}),
            num_batches=int(model.num_batches),
            cur_nimg=int(model.cur_nimg),
            p=float(aug.p) if hasattr(aug, 'p') else None,
            aug=type(aug).__name__,
            lecam=[float(model.lecam_anchor_real),
                   float(model.lecam_anchor_fake)]
            if hasattr(model, 'lecam_anchor_real') else None,
            g_init=self.g_init, fakes=self.fakes,
            g=_digest(model.generator.module), d=_digest(d),
            g_ema=_digest(model.generator_ema.module))
        with open(osp.join(runner.work_dir,
                           f'probe_rank{get_rank()}.json'), 'w') as f:
            json.dump(out, f)
'''

DRIVER = '''
import gc, importlib.util, json, sys

spec = importlib.util.spec_from_file_location('train_tool', sys.argv[1])
train_tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train_tool)
for config, work_dir in json.load(open(sys.argv[2])):
    sys.argv = ['train.py', config, '--launcher', 'pytorch',
                '--work-dir', work_dir]
    train_tool.main()
    gc.collect()  # free this run's DDP wrappers before the next one
'''


def _tiny_hw(name: str):
    """16 on the shorter side, the aspect of the name's HxW field."""
    height, width = map(int, re.search(r'-(\d+)x(\d+)$', name).groups())
    short = min(height, width)
    return 16 * height // short, 16 * width // short


def _tiny_config(path: str, data: str, labelled: str, name: str,
                 rect_data: str) -> str:
    """Override text that shrinks the shipped config ``path``."""
    sg3 = name.startswith('stylegan3')
    ada = _is_ada(name)
    micro = name in MICRO_BATCHED
    hw = _tiny_hw(name)
    size = 16 if hw == (16, 16) else hw
    if sg3:
        gen = ('dict(out_size=16, style_channels=8, noise_size=8, '
               'synthesis_cfg=dict(channel_base=128, channel_max=8, '
               'num_layers=4))')
        disc = ('in_size=16, channel_base=64, channel_max=16, '
                'mbstd_group_size=2')
    else:
        gen = (f'dict(out_size={size!r}, style_channels=16, noise_size=16, '
               'num_mlps=1, channel_base=128, channel_max=16, '
               'num_fp16_scales=0)')
        disc = (f'in_size={size!r}, channel_base=128, channel_max=16, '
                'mbstd_group_size=2, num_fp16_scales=0')
    if ada:
        disc += (', data_aug=dict(update_interval=1, ada_kimg=0.01, '
                 'augment_initial_p=0.2)')
    root = labelled if 'cifar' in name else data
    if size != 16:
        root = rect_data
    return textwrap.dedent(f'''
        _base_ = [{path!r}]
        custom_imports = dict(imports=['dist_probe_hook'],
                              allow_failed_imports=False)
        experiment_name = {name!r}
        load_from = None
        model = dict(generator={gen}, discriminator=dict({disc}),
                     batch_gpu={2 if micro else None})
        # 2 ranks: 4 (micro-batched: 2 x 2) or 2 images per rank.
        global_batch_size = {8 if micro else 4}
        train_dataloader = dict(
            num_workers=0,
            persistent_workers=False, pin_memory=False,
            dataset=dict(data_root={root!r}, resolution={size!r}))
        train_cfg = dict(max_iters=2, val_interval=100000)
        val_dataloader = None
        val_cfg = None
        val_evaluator = None
        test_dataloader = None
        test_cfg = None
        test_evaluator = None
        default_hooks = dict(
            logger=dict(interval=1),
            checkpoint=dict(interval=100000, save_last=False),
            visualization=dict(num_samples=4),
            probe=dict(type='DistProbeHook'))
        ''')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='module')
def dist_runs(tmp_path_factory):
    """Train every config once under 2-process DDP; the probes per name."""
    tmp = tmp_path_factory.mktemp('dist_configs')
    data = write_image_folder(tmp / 'data', num=8)
    labelled = write_image_folder(tmp / 'labelled', num=8, seed=1)
    rect = write_image_folder(tmp / 'rect', num=8, size=(16, 32))
    (Path(labelled) / 'dataset.json').write_text(
        json.dumps(
            dict(labels=[[f'img{i:03d}.png', i % 10] for i in range(8)])))
    (tmp / 'dist_probe_hook.py').write_text(PROBE_HOOK)
    (tmp / 'driver.py').write_text(DRIVER)
    jobs = []
    for path, name in zip(CONFIGS, NAMES):
        config = tmp / f'tiny_{name}.py'
        config.write_text(_tiny_config(path, data, labelled, name, rect))
        jobs.append((str(config), str(tmp / 'work' / name)))
    (tmp / 'jobs.json').write_text(json.dumps(jobs))
    env = dict(os.environ)
    env.update(
        OMP_NUM_THREADS='1',
        PYTHONPATH=os.pathsep.join(
            [str(tmp), str(REPO_ROOT),
             env.get('PYTHONPATH', '')]))
    proc = subprocess.run([
        sys.executable, '-m', 'torch.distributed.run', '--nnodes=1',
        '--nproc_per_node=2', '--master_addr=127.0.0.1',
        f'--master_port={_free_port()}',
        str(tmp / 'driver.py'),
        str(REPO_ROOT / 'tools' / 'train.py'),
        str(tmp / 'jobs.json')
    ],
                          cwd=str(REPO_ROOT),
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=900)
    probes = {}
    for name in NAMES:
        files = [tmp / 'work' / name / f'probe_rank{r}.json' for r in (0, 1)]
        if all(f.is_file() for f in files):
            probes[name] = [json.loads(f.read_text()) for f in files]
    return proc, probes


def test_all_shipped_configs_found():
    assert len(NAMES) == 25
    assert sum(n.startswith('stylegan3') for n in NAMES) == 4


@pytest.mark.parametrize('name', NAMES)
def test_config_trains_under_two_process_ddp(name, dist_runs):
    proc, probes = dist_runs
    assert name in probes, (
        f'{name} did not finish (rc {proc.returncode}):\n' +
        proc.stderr[-4000:])
    r0, r1 = probes[name]
    assert r0['world'] == r1['world'] == 2 and r0['backend'] == 'gloo'
    assert r0['wrapper'] == 'MMSeparateDistributedDataParallel'
    assert r0['optim'] == ['GANOptimWrapper']
    micro = name in MICRO_BATCHED
    assert r0['counts'] == [2 if micro else 1]
    assert r0['num_batches'] == r1['num_batches'] == 2
    # cur_nimg counts the global batch: 2 iterations x 2 ranks x batch.
    assert r0['cur_nimg'] == r1['cur_nimg'] == 2 * 2 * (4 if micro else 2)
    # Identical weights everywhere (gradients averaged over ranks), and
    # training moved them.
    for key in ('g', 'd', 'g_ema'):
        assert r0[key] == r1[key], key
    assert r0['g'] != r0['g_init']
    # Per-rank seeds (randomness.diff_rank_seed from default_runtime.py):
    # the ranks drew different latents, hence different fakes.
    assert r0['fakes'] is not None and r0['fakes'] != r1['fakes']
    if _is_ada(name):
        # ADA: p pooled over ranks, identical everywhere, and it moved.
        assert r0['p'] == r1['p'] != 0.2
    else:
        assert r0['p'] is None
    if 'diffaugment' in name:
        assert r0['aug'] == r1['aug'] == 'DiffAugment'
    if 'lecam' in name:
        # LeCam anchors: rank-averaged logit means, identical everywhere.
        assert r0['lecam'] == r1['lecam'] and 0 not in r0['lecam']
    else:
        assert r0['lecam'] is None
