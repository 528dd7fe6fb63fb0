# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Rectangular (H != W) StyleGAN2-ADA trains and resumes bit for bit."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.runner import Runner
from PIL import Image

import mmgen_ada  # noqa: F401  (registers checkpoint safe globals)
from mmgen_ada.ops import grid_sample_gradfix
from .test_resume_exact import _assert_same, _state


@pytest.fixture
def deterministic_cpu():
    threads = torch.get_num_threads()
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    yield
    torch.use_deterministic_algorithms(was_deterministic)
    torch.set_num_threads(threads)


def _train(train_kit, data_root, work_dir, hw, max_iters, resume_from=None):
    cfg = train_kit.tiny_quickstart_cfg(
        data_root, work_dir, max_iters, size=hw)
    cfg.default_hooks.checkpoint.interval = 1
    cfg.default_hooks.visualization.interval = 1
    cfg.randomness = dict(seed=0, deterministic=False)
    if resume_from is not None:
        cfg.resume = True
        cfg.load_from = resume_from
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


@pytest.mark.parametrize('hw', [(16, 32), (32, 16)])
def test_rectangular_ada_trains_and_resumes_exactly(tmp_path, train_kit,
                                                    deterministic_cpu, hw):
    grid_sample_gradfix.grid_sample(  # same RNG history for every run
        torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 1, 2))
    data_root = train_kit.write_image_folder(tmp_path / 'data', 8, size=hw)
    straight = _train(train_kit, data_root, str(tmp_path / 'straight'), hw, 2)
    first = _train(train_kit, data_root, str(tmp_path / 'split'), hw, 1)
    ckpt = osp.join(str(tmp_path / 'split'), 'iter_1.pth')
    del first
    resumed = _train(
        train_kit, data_root, str(tmp_path / 'split'), hw, 2, resume_from=ckpt)
    _assert_same(_state(straight), _state(resumed), 'state')

    model = resumed.model
    assert int(model.num_batches) == 2
    # ADA ran: p moved from its initial 0.2 (ada_kimg is tiny in the kit).
    p = float(model.discriminator.data_aug.p)
    assert p != 0.2 and p == float(straight.model.discriminator.data_aug.p)
    h, w = hw
    G, D = model.generator, model.discriminator
    assert (G.out_size, G.out_hw, D.in_size, D.in_hw) == (hw, hw, hw, hw)
    assert tuple(G.synthesis.b4.const.shape[1:]) == (4 * h // 16, 4 * w // 16)
    assert G(torch.randn(2, G.noise_size)).shape == (2, 3, h, w)
    # The sample grid of the visualisation hook has (H, W) cells: 4 samples
    # in a row or a 2 x 2 grid, so its size is a multiple of (h, w).
    vis = [
        osp.join(root, f) for root, _, files in os.walk(tmp_path / 'split')
        for f in files if f.endswith('.png')
    ]
    assert vis, 'the visualisation hook wrote no sample grid'
    grid = np.asarray(Image.open(sorted(vis)[-1]))
    assert grid.shape[0] % h == 0 and grid.shape[1] % w == 0
    assert grid.shape[0] // h * (grid.shape[1] // w) >= 4
