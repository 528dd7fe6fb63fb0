# Copyright (c) mmgen-ada contributors. All rights reserved.
import json
import os
import os.path as osp
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from mmengine.dataset import DefaultSampler, InfiniteSampler
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from PIL import Image

from mmgen_ada.datasets import GANBatchSampler, ImageFolderDataset

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _make_folder(root, n, size=4):
    os.makedirs(root, exist_ok=True)
    for i in range(n):
        # Pixel value i identifies the image.
        Image.fromarray(np.full(
            (size, size, 3), i,
            np.uint8)).save(osp.join(root, f'{i:03d}.png'))
    return root


def _loader_cfg(root, batch_size, mirror=False):
    return dict(
        batch_size=batch_size,
        num_workers=0,
        sampler=dict(type='InfiniteSampler', shuffle=True),
        batch_sampler=dict(type='GANBatchSampler'),
        collate_fn=dict(type='default_collate'),
        dataset=dict(type='ImageFolderDataset', data_root=root, mirror=mirror))


def _build(cfg):
    # As a Runner does it with default_scope='mmgen_ada' in the config.
    with DefaultScope.overwrite_default_scope('mmgen_ada'):
        return Runner.build_dataloader(cfg, seed=0)


def test_runner_builds_batches(tmp_path):
    root = _make_folder(str(tmp_path / 'd'), 6)
    loader = _build(_loader_cfg(root, 4))
    assert isinstance(loader.batch_sampler, GANBatchSampler)
    it = iter(loader)
    seen = set()
    for _ in range(3):  # 12 draws from 6 images: one pass + half
        batch = next(it)
        assert batch['inputs'].shape == (4, 3, 4, 4)
        seen |= set(batch['inputs'][:, 0, 0, 0].tolist())
    assert seen == set(range(6))


def test_too_small_dataset_is_an_error(tmp_path):
    root = _make_folder(str(tmp_path / 'd'), 3)
    with pytest.raises(
            ValueError,
            match=r'has 3 images, fewer than one batch '
            r'of 4 \(4 per process x 1 processes\)'):
        _build(_loader_cfg(root, 4))
    # Mirrored copies count: 6 >= 4.
    _build(_loader_cfg(root, 4, mirror=True))
    # World size from the sampler: 2 ranks x 2 = 4 > 3.
    ds = ImageFolderDataset(root)
    sampler = InfiniteSampler(ds, shuffle=False)
    sampler.world_size = 2
    with pytest.raises(ValueError, match='2 per process x 2 processes'):
        GANBatchSampler(sampler, 2)


@pytest.mark.parametrize('sampler_type', ['DefaultSampler', 'InfiniteSampler'])
def test_sampler_indices_partition_two_ranks(tmp_path, monkeypatch,
                                             sampler_type):
    root = _make_folder(str(tmp_path / 'd'), 10)
    ds = ImageFolderDataset(root, mirror=True)
    n = len(ds)
    per_rank = []
    for rank in range(2):
        monkeypatch.setattr(
            'mmengine.dataset.sampler.get_dist_info', lambda r=rank: (r, 2))
        if sampler_type == 'DefaultSampler':
            sampler = DefaultSampler(ds, shuffle=True, seed=7)
            per_rank.append(list(sampler))
        else:
            sampler = InfiniteSampler(ds, shuffle=True, seed=7)
            it = iter(sampler)
            per_rank.append([next(it) for _ in range(n // 2)])
    a, b = per_rank
    assert len(a) == len(b) == n // 2
    assert not set(a) & set(b)
    assert sorted(a + b) == list(range(n))


WORKER = textwrap.dedent("""
    # Light worker (no Runner import): dataset, sampler, batch sampler.
    import json, sys
    import torch.distributed as dist
    from mmengine.dataset import DefaultSampler, default_collate
    from torch.utils.data import DataLoader
    from mmgen_ada.datasets import (GANBatchSampler, ImageFolderDataset,
                                    LoadGANImage, PackGANInputs)
    dist.init_process_group('gloo')
    ds = ImageFolderDataset(sys.argv[1], pipeline=[
        LoadGANImage(), PackGANInputs(meta_keys=['img_path'])])
    sampler = DefaultSampler(ds, shuffle=True, seed=0)
    loader = DataLoader(ds, batch_sampler=GANBatchSampler(sampler, 3),
                        collate_fn=default_collate)
    names = [n for b in loader for n in b['data_samples']['img_path']]
    out = [None, None]
    dist.all_gather_object(out, names)
    if dist.get_rank() == 0:
        with open(sys.argv[2], 'w') as f:
            json.dump(out, f)
    dist.destroy_process_group()
""")


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_process_gloo_partition(tmp_path):
    root = _make_folder(str(tmp_path / 'd'), 12)
    script = tmp_path / 'worker.py'
    script.write_text(WORKER)
    out = tmp_path / 'names.json'
    env = dict(
        os.environ,
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(_free_port()),
        WORLD_SIZE='2',
        OMP_NUM_THREADS='1',
        PYTHONPATH=REPO_ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), root,
             str(out)],
            env=dict(env, RANK=str(r), LOCAL_RANK=str(r)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT) for r in range(2)
    ]
    logs = [p.communicate(timeout=120)[0].decode() for p in procs]
    assert all(p.returncode == 0 for p in procs), logs
    a, b = json.loads(out.read_text())
    assert len(a) == len(b) == 6
    assert sorted(a + b) == [f'{i:03d}.png' for i in range(12)]
