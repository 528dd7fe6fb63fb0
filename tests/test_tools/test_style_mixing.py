# Copyright (c) mmgen-ada contributors. All rights reserved.
import runpy
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from mmgen_ada.apis import build_checkpoint

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    model_cfg = dict(
        type='StyleGAN2',
        generator=dict(
            type='StyleGANv2Generator',
            out_size=16,
            style_channels=16,
            num_mlps=2,
            channel_base=256,
            channel_max=16),
        discriminator=dict(
            type='StyleGAN2Discriminator',
            in_size=16,
            channel_base=256,
            channel_max=16))
    path = tmp_path_factory.mktemp('ckpt') / 'tiny.pth'
    torch.save(build_checkpoint(model_cfg, None), path)
    return str(path)


def test_style_mixing_tool(checkpoint, tmp_path):
    main = runpy.run_path(str(REPO / 'tools' / 'style_mixing.py'))['main']
    main([
        checkpoint, '--rows', '1,2', '--cols', '7-9', '--styles', '0-2',
        '--outdir',
        str(tmp_path)
    ])
    names = {p.name for p in tmp_path.iterdir()}
    cells = {f'{r}-{c}.png' for r in (1, 2) for c in (7, 8, 9)}
    diag = {f'{s}-{s}.png' for s in (1, 2, 7, 8, 9)}
    assert names == cells | diag | {'grid.png'}
    grid = np.array(Image.open(tmp_path / 'grid.png'))
    assert grid.shape == (3 * 16, 4 * 16, 3)
    np.testing.assert_array_equal(grid[32:, 48:],
                                  np.array(Image.open(tmp_path / '2-9.png')))
    with pytest.raises(ValueError, match='style index 9 out of range'):
        main([
            checkpoint, '--rows', '1', '--cols', '2', '--styles', '9',
            '--outdir',
            str(tmp_path)
        ])
