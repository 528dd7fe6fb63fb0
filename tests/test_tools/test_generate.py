# Copyright (c) mmgen-ada contributors. All rights reserved.
import runpy
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from mmgen_ada.apis import build_checkpoint, init_model, sample

REPO = Path(__file__).resolve().parents[2]
G_CFG = dict(
    type='StyleGANv2Generator',
    out_size=16,
    style_channels=16,
    num_mlps=2,
    channel_base=256,
    channel_max=16)
D_CFG = dict(
    type='StyleGAN2Discriminator',
    in_size=16,
    channel_base=256,
    channel_max=16)


def tool_main(name):
    return runpy.run_path(str(REPO / 'tools' / name))['main']


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """A tiny StyleGAN2 checkpoint with its config in meta['cfg']."""
    torch.manual_seed(0)
    model_cfg = dict(type='StyleGAN2', generator=G_CFG, discriminator=D_CFG)
    ckpt = build_checkpoint(model_cfg, None)
    path = tmp_path_factory.mktemp('ckpt') / 'tiny.pth'
    torch.save(ckpt, path)
    return str(path)


def test_generate_seeds_and_grid(checkpoint, tmp_path):
    tool_main('generate.py')([
        checkpoint, '--seeds', '0-2,85', '--trunc', '0.7', '--outdir',
        str(tmp_path), '--grid', '--batch-size', '3'
    ])
    names = ['seed0000.png', 'seed0001.png', 'seed0002.png', 'seed0085.png']
    expected = sample(
        init_model(checkpoint=checkpoint),
        seeds=[0, 1, 2, 85],
        truncation_psi=0.7)
    for name, ref in zip(names, expected):
        np.testing.assert_array_equal(
            np.array(Image.open(tmp_path / name)), ref)
    grid = np.array(Image.open(tmp_path / 'grid.png'))
    assert grid.shape == (32, 32, 3)
    np.testing.assert_array_equal(grid[16:, :16], expected[2])


def test_generate_projected_w(checkpoint, tmp_path):
    G = init_model(checkpoint=checkpoint).generator_ema.module
    ws = G.mapping(torch.randn(2, 16)).detach().numpy()
    np.savez(tmp_path / 'w.npz', w=ws)
    tool_main('generate.py')([
        checkpoint, '--projected-w',
        str(tmp_path / 'w.npz'), '--outdir',
        str(tmp_path / 'out')
    ])
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == [
        'proj00.png', 'proj01.png'
    ]


def test_generate_needs_seeds(checkpoint, tmp_path):
    with pytest.raises(SystemExit):
        tool_main('generate.py')([checkpoint, '--outdir', str(tmp_path)])
    with pytest.raises(SystemExit):
        tool_main('generate.py')(
            [checkpoint, '--seeds', '3-1', '--outdir',
             str(tmp_path)])


def test_generate_class_on_unconditional_model_is_an_error(
        checkpoint, tmp_path):
    with pytest.raises(ValueError, match='unconditional'):
        tool_main('generate.py')([
            checkpoint, '--seeds', '0', '--class', '1', '--outdir',
            str(tmp_path)
        ])
    assert not list(tmp_path.glob('*.png'))
