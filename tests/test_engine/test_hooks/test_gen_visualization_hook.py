# Copyright (c) mmgen-ada contributors. All rights reserved.
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn as nn
from PIL import Image

from mmgen_ada.engine.hooks import GenVisualizationHook


class _Aug(nn.Module):
    p = 0.0625

    def forward(self, x):
        return -x + 0 * torch.rand(())  # draws: must not leak to training


class _Model(nn.Module):
    noise_size = 4
    label_dim = 0

    def __init__(self):
        super().__init__()
        self.pl_mean = torch.zeros(())
        self.cur_nimg = torch.tensor(32)
        self.discriminator = nn.Module()
        self.discriminator.data_aug = _Aug()
        self.calls = []

    def data_preprocessor(self, data, training=False):
        return dict(inputs=data['inputs'].float() / 127.5 - 1)

    def generate(self, z, c=None, truncation_psi=1.0, noise_mode='const'):
        self.calls.append((z.clone(), noise_mode))
        return torch.tanh(z[:, :3, None, None].expand(-1, 3, 2, 2))


def test_hook_writes_grids_with_fixed_latents(tmp_path):
    model = _Model()
    added = []
    runner = SimpleNamespace(
        model=model,
        work_dir=str(tmp_path),
        iter=0,
        max_iters=10,
        visualizer=SimpleNamespace(
            add_image=lambda name, img, step: added.append((name, step))),
        logger=SimpleNamespace(info=lambda msg: None))
    hook = GenVisualizationHook(interval=2, num_samples=6, batch_size=4)
    hook.before_train(runner)
    data = dict(inputs=torch.full((4, 3, 2, 2), 255, dtype=torch.uint8))
    hook.before_train_iter(runner, 0, data)
    runner.iter = 1
    torch.manual_seed(0)
    expected_next = torch.rand(())
    torch.manual_seed(0)
    hook.after_train_iter(runner, 1, data)
    assert torch.equal(torch.rand(()), expected_next)  # RNG untouched

    out = osp.join(str(tmp_path), 'samples')
    # Grids are named after the kimg and the ADA p they were drawn at.
    note = 'kimg0.032_p0.062'
    for name in ('fakes_init', 'reals', f'fakes_000002_{note}',
                 f'reals_aug_000002_{note}'):
        assert osp.isfile(osp.join(out, f'{name}.png')), name
    fakes = np.asarray(
        Image.open(osp.join(out, f'fakes_000002_{note}.png')))
    assert fakes.shape == (2 * 2, 3 * 2, 3)  # 3 columns x 2 rows of 2x2
    aug = np.asarray(Image.open(osp.join(out, f'reals_aug_000002_{note}.png')))
    assert (aug == 0).all()  # reals were 255 -> +1, the aug negates
    assert [n for n, _ in added] == [
        'fakes', 'reals', f'fakes/{note}', f'reals_augmented/{note}'
    ]
    # Same latents every time, generated in chunks of batch_size.
    z_first = torch.cat([z for z, _ in model.calls[:2]])
    z_second = torch.cat([z for z, _ in model.calls[2:4]])
    assert torch.equal(z_first, z_second) and z_first.shape == (6, 4)
    assert all(mode == 'const' for _, mode in model.calls)

    runner.iter = 2  # not a multiple of interval, not last: nothing new
    hook.after_train_iter(runner, 2, data)
    assert len(added) == 4


def test_bad_interval():
    with pytest.raises(ValueError, match='interval'):
        GenVisualizationHook(interval=0)
