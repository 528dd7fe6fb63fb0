# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Fixtures of the tests in tests/test_train: tiny data and configs."""
import os.path as osp
import uuid
from pathlib import Path
from typing import Tuple, Union

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = (
    REPO_ROOT / 'configs' / 'stylegan2' /
    'stylegan2-ada_quickstart_1xb16_twemoji-32x32.py')


def write_image_folder(root: Path,
                       num: int = 8,
                       size: Union[int, Tuple[int, int]] = 16,
                       seed: int = 0) -> str:
    """Write ``num`` random RGB PNGs of ``size`` (a side or ``(H, W)``)."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(seed)
    height, width = (size, size) if isinstance(size, int) else size
    for i in range(num):
        pixels = rng.randint(0, 256, (height, width, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / f'img{i:03d}.png')
    return str(root)


def tiny_quickstart_cfg(data_root: str,
                        work_dir: str,
                        max_iters: int = 3,
                        size: Union[int, Tuple[int, int]] = 16,
                        batch_size: int = 4) -> Config:
    """The shipped quickstart config shrunk to a CPU-test size (``size``:
    a side or ``(H, W)``)."""
    cfg = Config.fromfile(str(QUICKSTART))
    cfg.merge_from_dict({
        'model.generator.out_size': size,
        'model.generator.style_channels': 16,
        'model.generator.channel_base': 128,
        'model.generator.channel_max': 16,
        'model.discriminator.in_size': size,
        'model.discriminator.channel_base': 128,
        'model.discriminator.channel_max': 16,
        'model.discriminator.mbstd_group_size': 2,
        'model.r1_interval': 2,
        'model.pl_interval': 2,
        'model.discriminator.data_aug.update_interval': 1,
        'model.discriminator.data_aug.ada_kimg': 0.01,
        'model.discriminator.data_aug.augment_initial_p': 0.2,
        'train_dataloader.batch_size': batch_size,
        # tools/train.py derives the per-process batch from this one.
        'global_batch_size': batch_size,
        'train_dataloader.dataset.data_root': data_root,
        'train_cfg.max_iters': max_iters,
        'train_cfg.val_interval': 10000,
        'default_hooks.logger.interval': 1,
        'default_hooks.checkpoint.interval': 2,
        'default_hooks.checkpoint.max_keep_ckpts': -1,
    })
    cfg.default_hooks.visualization.interval = 2  # GenVisualizationHook
    cfg.default_hooks.visualization.num_samples = 4
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator',
                'test_dataloader', 'test_cfg', 'test_evaluator'):
        cfg.pop(key, None)
    cfg.work_dir = work_dir
    # mmengine names the logger, message hub and visualizer instances after
    # the experiment (by default the timestamp, to the second); a second
    # runner built in the same second would reuse the first one's and write
    # its scalars into the first one's work dir.
    cfg.experiment_name = f'{osp.basename(work_dir)}-{uuid.uuid4().hex[:8]}'
    cfg.launcher = 'none'
    cfg.env_cfg.dist_cfg.backend = 'gloo'
    return cfg


def latest_checkpoint(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


class TrainTestKit:
    """Namespace handed to the tests by the ``train_kit`` fixture."""
    write_image_folder = staticmethod(write_image_folder)
    tiny_quickstart_cfg = staticmethod(tiny_quickstart_cfg)
    latest_checkpoint = staticmethod(latest_checkpoint)
    repo_root = REPO_ROOT
    quickstart = QUICKSTART


@pytest.fixture
def train_kit():
    return TrainTestKit
