# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The short-path flags of tools/train.py write the documented config keys."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmgen_ada.testing import load_tool_module

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = str(REPO / 'configs' / 'stylegan2' /
                 'stylegan2-ada_quickstart_1xb16_twemoji-32x32.py')
PLAIN_256 = str(REPO / 'configs' / 'stylegan2' /
                'stylegan2_paper256_8xb8_ffhq-256x256.py')


@pytest.fixture(scope='module')
def train_tool():
    module = load_tool_module(
        REPO / 'tools' / 'train.py', 'train_tool_under_test')
    return module


@pytest.fixture(scope='module')
def labelled(tmp_path_factory):
    """8 RGB 16x16 images with class labels 0..2 (label_dim 3)."""
    root = tmp_path_factory.mktemp('labelled')
    rng = np.random.RandomState(0)
    labels = []
    for i in range(8):
        Image.fromarray(rng.randint(0, 256, (16, 16, 3), np.uint8)).save(
            root / f'{i}.png')
        labels.append([f'{i}.png', i % 3])
    (root / 'dataset.json').write_text(json.dumps(dict(labels=labels)))
    return str(root)


def _config(train_tool, monkeypatch, *argv):
    monkeypatch.setattr(sys, 'argv', ['train.py', *argv])
    args = train_tool.parse_args()
    from mmgen_ada.apis.train_options import load_train_config
    return train_tool.merge_args(load_train_config(args), args)


def _hooks(cfg):
    return [h['type'] for h in cfg.custom_hooks]


def test_data_kimg_snap_mirror_write_keys(train_tool, monkeypatch, labelled):
    cfg = _config(train_tool, monkeypatch, QUICKSTART, '--data', labelled,
                  '--batch', '8', '--kimg', '0.032', '--snap', '0.016',
                  '--mirror')
    assert cfg.global_batch_size == 8
    assert cfg.train_dataloader.batch_size == 8
    assert cfg.train_cfg.max_iters == 4
    assert cfg.default_hooks.checkpoint.interval == 2
    assert cfg.default_hooks.visualization.type == 'GenVisualizationHook'
    assert cfg.default_hooks.visualization.interval == 2
    for key in ('train_dataloader', 'test_dataloader'):
        assert cfg[key].dataset.data_root == labelled
        assert cfg[key].dataset.mirror is True


def test_cond_reads_the_label_dimension(train_tool, monkeypatch, labelled):
    cfg = _config(train_tool, monkeypatch, QUICKSTART, '--data', labelled,
                  '--cond', '--batch', '8')
    assert cfg.model.generator.cond_size == 3
    assert cfg.model.discriminator.cond_size == 3


def test_cond_without_labels_is_an_error(train_tool, monkeypatch, tmp_path):
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / 'a.png')
    with pytest.raises(ValueError, match='has no labels'):
        _config(train_tool, monkeypatch, QUICKSTART, '--data',
                str(tmp_path), '--cond')


def test_aug_modes(train_tool, monkeypatch):
    cfg = _config(train_tool, monkeypatch, QUICKSTART, '--aug', 'noaug')
    assert cfg.model.discriminator.data_aug is None
    assert 'ADAHook' not in _hooks(cfg)
    cfg = _config(train_tool, monkeypatch, QUICKSTART, '--aug', 'fixed',
                  '--p', '0.3', '--augpipe', 'bg')
    assert cfg.model.discriminator.data_aug.augment_initial_p == 0.3
    assert cfg.model.discriminator.data_aug.aug_pipeline == dict(preset='bg')
    assert 'ADAHook' not in _hooks(cfg)
    # A plain StyleGAN2 config becomes its ADA twin.
    cfg = _config(train_tool, monkeypatch, PLAIN_256, '--aug', 'ada',
                  '--target', '0.7')
    disc = cfg.model.discriminator
    assert disc.type == 'ADAStyleGAN2Discriminator'
    assert disc.data_aug.ada_target == 0.7
    assert _hooks(cfg).index('ADAHook') == _hooks(cfg).index(
        'GeneratorEMAHook') + 1
    # ADA flags on a DiffAugment config are refused, naming the type;
    # --aug noaug still removes the augmentation.
    diffaug = QUICKSTART.replace('stylegan2-ada_', 'stylegan2-diffaugment_')
    with pytest.raises(ValueError, match="data_aug.type='DiffAugment'"):
        _config(train_tool, monkeypatch, diffaug, '--aug', 'ada')
    cfg = _config(train_tool, monkeypatch, diffaug, '--aug', 'noaug')
    assert cfg.model.discriminator.data_aug is None


def test_gamma_freezed_resume_from(train_tool, monkeypatch):
    cfg = _config(train_tool, monkeypatch, QUICKSTART, '--gamma', '2.5',
                  '--freezed', '10', '--resume-from', 'https://x/ffhq.pkl')
    assert cfg.model.r1_gamma == 2.5
    assert cfg.model.discriminator.freeze_layers == 10
    assert cfg.load_from == 'https://x/ffhq.pkl' and cfg.resume is False
    # NVlabs' transfer settings.
    assert cfg.model.discriminator.data_aug.ada_kimg == 100
    assert cfg.model.ema_config.ema_rampup is None


def test_metrics_are_mapped_and_evaluated_every_snapshot(
        train_tool, monkeypatch):
    cfg = _config(train_tool, monkeypatch, QUICKSTART, '--metrics',
                  'fid50k_full,kid50k_full', '--snap', '1.6')
    types = [m['type'] for m in cfg.val_evaluator.metrics]
    assert types == ['FrechetInceptionDistance', 'KernelInceptionDistance']
    assert [m['type'] for m in cfg.test_evaluator.metrics] == types
    assert cfg.val_dataloader.dataset.test_mode is True
    assert cfg.val_dataloader.sampler == dict(
        type='DefaultSampler', shuffle=False)
    assert cfg.val_cfg.type == 'GenValLoop'
    assert cfg.train_cfg.val_interval == 100  # 1.6 kimg / 16
    cfg = _config(train_tool, monkeypatch, PLAIN_256, '--metrics', 'none')
    assert cfg.val_evaluator is None and cfg.val_dataloader is None


@pytest.mark.parametrize('argv, message', [
    (['--p', '0.2'], '--aug fixed'),
    (['--aug', 'fixed'], 'needs --p'),
    (['--aug', 'noaug', '--target', '0.5'], 'no effect'),
    (['--aug', 'noaug', '--augpipe', 'bgc'], 'no effect'),
    (['--resume', 'a.pth', '--resume-from', 'b.pkl'], 'Give one'),
    (['--gpus', '2'], 'tools/dist_train.sh CONFIG 2'),
    (['--batch', '24', '--cfg-options', 'train_dataloader.batch_size=4'],
     None),
    (['--cfg-options', 'train_dataloader.batch_size=4'], '--batch B'),
    (['--metrics', 'fid50k_full,is50k'], 'is50k'),
])
def test_contradictions_are_refused(train_tool, monkeypatch, argv, message):
    if message is None:  # --batch wins over the per-process key: allowed
        cfg = _config(train_tool, monkeypatch, QUICKSTART, *argv)
        assert cfg.train_dataloader.batch_size == 24
        return
    with pytest.raises(ValueError, match=message.replace('.', r'\.')):
        _config(train_tool, monkeypatch, QUICKSTART, *argv)


def test_gpus_must_match_the_launcher(train_tool, monkeypatch):
    monkeypatch.setenv('WORLD_SIZE', '2')
    monkeypatch.setattr(
        sys, 'argv',
        ['train.py', QUICKSTART, '--launcher', 'pytorch', '--gpus', '4'])
    args = train_tool.parse_args()
    with pytest.raises(ValueError, match='launcher started 2'):
        train_tool.world_size(args)
    monkeypatch.setattr(sys, 'argv', ['train.py', QUICKSTART, '--gpus', '4',
                                      '--dry-run'])
    assert train_tool.world_size(train_tool.parse_args()) == 4


def test_auto_needs_data(train_tool, monkeypatch):
    with pytest.raises(ValueError, match='--data PATH'):
        _config(train_tool, monkeypatch)
    with pytest.raises(ValueError, match='--data PATH'):
        _config(train_tool, monkeypatch, '')  # dist_train.sh '' N
    with pytest.raises(ValueError, match='alternatives'):
        _config(train_tool, monkeypatch, QUICKSTART, '--cfg', 'auto')


def test_auto_sizes_from_the_data(train_tool, monkeypatch, labelled):
    cfg = _config(train_tool, monkeypatch, '--data', labelled, '--gpus', '2',
                  '--dry-run')
    # res 16 on 2 GPUs: mb = max(min(2 * 32, 64), 2) = 64, 32 per process.
    assert cfg.model.generator.out_size == 16
    assert cfg.global_batch_size == 64
    assert cfg.train_dataloader.batch_size == 32
    assert cfg.train_cfg.max_iters == 390625  # 25000 kimg
    assert cfg.default_hooks.checkpoint.interval == 3125  # 200 kimg
    assert cfg.work_dir.endswith('stylegan2-ada_auto_labelled0')
