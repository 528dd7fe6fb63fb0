# Copyright (c) mmgen-ada contributors. All rights reserved.
"""DiffAugment + LeCam + APA (without ADA) resume exactly: 4 iterations ==
2 + resume + 2."""
import os.path as osp

import torch
from mmengine.config import ConfigDict
from mmengine.runner import Runner

import mmgen_ada  # noqa: F401  (registers checkpoint safe globals)
from mmgen_ada.models.diffaugment import DiffAugment
from .test_resume_exact import _assert_same, _state, deterministic_cpu  # noqa


def _train(train_kit, data_root, work_dir, max_iters, resume_from=None):
    cfg = train_kit.tiny_quickstart_cfg(data_root, work_dir, max_iters)
    cfg.model.discriminator.data_aug = ConfigDict(
        type='DiffAugment', policy='color,translation,cutout')
    cfg.model.lecam_weight = 0.3
    # p_apa starts at 0.5 (pseudo reals drawn from the first iteration) and
    # moves at every iteration (kimg 0.01: 1 per 10 images).
    cfg.model.apa = ConfigDict(kimg=0.01, update_interval=1, initial_p=0.5)
    cfg.custom_hooks = [
        hook for hook in cfg.custom_hooks if hook.type != 'ADAHook'
    ] + [ConfigDict(type='APAHook')]
    cfg.randomness = dict(seed=0, deterministic=False)
    if resume_from is not None:
        cfg.resume = True
        cfg.load_from = resume_from
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def test_diffaugment_lecam_resume_is_exact(tmp_path, train_kit,
                                           deterministic_cpu):  # noqa: F811
    data_root = train_kit.write_image_folder(tmp_path / 'data', num=8)
    straight = _train(train_kit, data_root, str(tmp_path / 'straight'), 4)
    _train(train_kit, data_root, str(tmp_path / 'split'), 2)
    ckpt = osp.join(str(tmp_path / 'split'), 'iter_2.pth')
    saved = torch.load(ckpt, map_location='cpu', weights_only=False)
    assert 'lecam_anchor_real' in saved['state_dict']
    assert float(saved['state_dict']['apa.p_apa']) != 0.5
    resumed = _train(
        train_kit, data_root, str(tmp_path / 'split'), 4, resume_from=ckpt)
    a, b = _state(straight), _state(resumed)
    _assert_same(a['model'], b['model'], 'model')
    _assert_same(a['optim'], b['optim'], 'optim')
    model = resumed.model
    assert isinstance(model.discriminator.data_aug, DiffAugment)
    assert int(model.num_batches) == 4
    assert float(model.lecam_anchor_real) != 0
    assert float(model.lecam_anchor_fake) != 0
    assert model.apa.p == straight.model.apa.p
