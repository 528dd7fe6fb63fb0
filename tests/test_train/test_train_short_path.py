# Copyright (c) mmgen-ada contributors. All rights reserved.
"""tools/train.py --data D ... (no CONFIG, --cfg auto): dry run and 4 real
iterations, in this process (a fresh interpreter costs more than the run)."""
import glob
import json
import os.path as osp
import sys
import uuid

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

import mmgen_ada  # noqa: F401  (registers checkpoint safe globals)
from mmgen_ada.testing import load_tool_module

# CPU-test widths; everything else is what --cfg auto derives.
TINY = [
    'model.generator.style_channels=16', 'model.generator.channel_base=128',
    'model.generator.channel_max=16', 'model.discriminator.channel_base=128',
    'model.discriminator.channel_max=16', 'model.pl_interval=2',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'default_hooks.logger.interval=1'
]


@pytest.fixture
def labelled(tmp_path):
    """8 RGB 16x16 images with class labels 0..2 (label_dim 3)."""
    root = tmp_path / 'data'
    root.mkdir()
    rng = np.random.RandomState(0)
    labels = []
    for i in range(8):
        Image.fromarray(rng.randint(0, 256, (16, 16, 3), np.uint8)).save(
            root / f'{i}.png')
        labels.append([f'{i}.png', i % 3])
    (root / 'dataset.json').write_text(json.dumps(dict(labels=labels)))
    return str(root)


def _train(monkeypatch, train_kit, work_dir, *argv):
    tool = load_tool_module(
        train_kit.repo_root / 'tools' / 'train.py', 'train_tool_main')
    monkeypatch.setenv('LOCAL_RANK', '0')
    monkeypatch.setattr(sys, 'argv', [
        'train.py', *argv, '--work-dir', work_dir, '--cfg-options', *TINY,
        f'experiment_name=short-{uuid.uuid4().hex[:8]}'
    ])
    torch.set_num_threads(1)
    tool.main()
    (log, ) = glob.glob(osp.join(work_dir, '*', '*.log'))
    with open(log) as f:
        return f.read()


def test_dry_run_prints_the_summary_and_trains_nothing(
        tmp_path, monkeypatch, train_kit, labelled):
    work_dir = str(tmp_path / 'dry')
    log = _train(monkeypatch, train_kit, work_dir, '--data', labelled,
                 '--gpus', '1', '--batch', '8', '--kimg', '0.032',
                 '--dry-run')
    assert 'run summary' in log
    assert 'resolution  : 16x16' in log
    assert 'batch       : global 8 = 8 per process x 1 process' in log
    assert 'length      : 0.032 kimg = 4 iterations' in log
    assert 'labels      : 3-dim, model UNCONDITIONAL' in log
    # R1 gamma and EMA from the auto batch 32 at 16x16 (NVlabs: --batch
    # changes neither).
    assert 'gamma = 0.0016' in log and 'half-life 10 kimg' in log
    assert 'WARNING - dataset' in log and 'labels are ignored' in log
    assert 'dry run' in log
    # the run's checkpoint hook (AtomicCheckpointHook) is reported
    assert f'checkpoints : {osp.abspath(work_dir)} every' in log
    assert not glob.glob(osp.join(work_dir, '*.pth'))
    assert not osp.exists(osp.join(work_dir, 'samples'))


def test_short_path_trains_a_conditional_model(tmp_path, monkeypatch,
                                               train_kit, labelled):
    work_dir = str(tmp_path / 'run')
    log = _train(monkeypatch, train_kit, work_dir, '--data', labelled,
                 '--gpus', '1', '--batch', '8', '--kimg', '0.032', '--cond')
    assert 'labels      : 3-dim, model conditional' in log
    assert 'labels are ignored' not in log
    assert 'Iter(train) [4/4]' in log

    saved = Config.fromfile(osp.join(work_dir, 'stylegan2-ada_auto.py'))
    assert saved.global_batch_size == 8
    assert saved.train_dataloader.batch_size == 8
    assert saved.train_cfg.max_iters == 4
    assert saved.model.generator.out_size == 16
    assert saved.model.generator.cond_size == 3
    assert saved.model.discriminator.cond_size == 3
    assert saved.train_dataloader.dataset.data_root == labelled

    ckpt = torch.load(
        osp.join(work_dir, 'iter_4.pth'), map_location='cpu',
        weights_only=True)
    assert ckpt['meta']['iter'] == 4
    assert int(ckpt['state_dict']['cur_nimg']) == 32  # 4 x 8 = 0.032 kimg
    # The label embedding of G takes the dataset's 3-dim labels.
    embed = [
        v for k, v in ckpt['state_dict'].items()
        if k.startswith('generator.mapping.embed') and k.endswith('weight')
    ]
    assert embed and embed[0].shape[1] == 3


def test_label_mismatch_stops_before_training(tmp_path, monkeypatch,
                                              train_kit, labelled):
    work_dir = str(tmp_path / 'bad')
    with pytest.raises(ValueError) as err:
        _train(monkeypatch, train_kit, work_dir, '--data', labelled,
               '--batch', '8', '--kimg', '0.032', '--cfg-options',
               'model.generator.cond_size=5',
               'model.discriminator.cond_size=5')
    msg = str(err.value)
    assert 'label dimension 5' in msg and 'labels of dimension 3' in msg
    assert 'cond_size=3' in msg
    assert not glob.glob(osp.join(work_dir, '*.pth'))


def test_dry_run_on_rectangular_data_picks_h_w(tmp_path, monkeypatch,
                                               train_kit):
    # --cfg auto on a zip of 16-high, 32-wide images builds (16, 32) nets.
    data = train_kit.write_image_folder(tmp_path / 'rect', 8, size=(16, 32))
    work_dir = str(tmp_path / 'dry')
    log = _train(monkeypatch, train_kit, work_dir, '--data', data, '--gpus',
                 '1', '--batch', '8', '--kimg', '0.032', '--dry-run')
    assert 'resolution  : 32x16 (width x height)' in log
    # NVlabs' auto batch for the longer side 32 is 32: gamma 0.0002*16*32/32.
    assert 'gamma = 0.0032' in log
    (cfg_file, ) = glob.glob(osp.join(work_dir, '*.py'))
    cfg = Config.fromfile(cfg_file)
    assert tuple(cfg.model.generator.out_size) == (16, 32)
    assert tuple(cfg.model.discriminator.in_size) == (16, 32)
