# Copyright (c) mmgen-ada contributors. All rights reserved.
import copy
import glob
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from PIL import Image

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    glob.glob(osp.join(REPO_ROOT, 'configs', '_base_', 'datasets', '*.py')))


def test_all_expected_configs_exist():
    names = {osp.basename(c) for c in CONFIGS}
    assert {
        'twemoji_32x32.py', 'ffhq_256x256.py', 'metfaces_1024x1024.py',
        'cifar10_32x32.py', 'afhq_512x512.py', 'brecahad_512x512.py'
    } <= names


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_on_tiny_data(tmp_path, path):
    cfg = Config.fromfile(path)
    # Names end in HxW (height first, as (H, W) sizes).
    height, width = map(int,
                        osp.basename(path)[:-3].split('_')[-1].split('x'))
    assert cfg.train_dataloader.dataset.data_root.startswith('data/')
    assert cfg.train_dataloader.sampler.type == 'InfiniteSampler'
    assert cfg.val_dataloader.sampler.type == 'DefaultSampler'
    # Stand-in data: 4 flat images at the config's resolution (flat images
    # encode and decode fast even at 1024x1024).
    root = tmp_path / 'data'
    os.makedirs(root)
    num_classes = cfg.train_dataloader.dataset.get('num_classes')
    for i in range(4):
        Image.fromarray(np.full((height, width, 3), 60 * i,
                                np.uint8)).save(root / f'{i}.png')
    if num_classes:
        (root / 'dataset.json').write_text(
            json.dumps(dict(labels=[[f'{i}.png', i] for i in range(4)])))
    with DefaultScope.overwrite_default_scope('mmgen_ada'):
        for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            loader_cfg = copy.deepcopy(cfg[key].to_dict())
            loader_cfg['dataset']['data_root'] = str(root)
            loader_cfg.update(
                num_workers=0,
                persistent_workers=False,
                pin_memory=False,
                batch_size=2)
            loader = Runner.build_dataloader(loader_cfg, seed=0)
            batch = next(iter(loader))
            assert batch['inputs'].shape == (2, 3, height, width)
            assert batch['inputs'].dtype == torch.uint8
            label = batch['data_samples']['label']
            assert label.shape == (2, num_classes or 0)
