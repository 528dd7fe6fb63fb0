# Copyright (c) mmgen-ada contributors. All rights reserved.
import runpy
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from mmgen_ada.apis import build_checkpoint, init_model, sample
from mmgen_ada.visualization import save_image

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


def test_projector_tool_outputs(checkpoint, tmp_path, capsys):
    model = init_model(checkpoint=checkpoint)
    target = tmp_path / 'target_in.png'
    save_image(sample(model, seeds=[4])[0], str(target))
    out = tmp_path / 'out'
    runpy.run_path(str(REPO / 'tools' / 'projector.py'))['main']([
        checkpoint, '--target',
        str(target), '--num-steps', '20', '--w-avg-samples', '200',
        '--distance', 'pixel', '--save-progress', '3', '--outdir',
        str(out)
    ])
    printed = capsys.readouterr().out
    assert 'Distance: pixel: multi-scale pixel MSE' in printed
    assert 'step    20/20' in printed
    assert {p.name
            for p in out.iterdir()} == {
                'target.png', 'proj.png', 'projected_w.npz',
                'proj_progress.png'
            }
    w = np.load(out / 'projected_w.npz')['w']
    G = model.generator_ema.module
    assert w.shape == (1, G.num_ws, 16)
    assert np.array(Image.open(out / 'proj_progress.png')).shape == (16, 64, 3)
    # generate.py --projected-w renders exactly proj.png
    runpy.run_path(str(REPO / 'tools' / 'generate.py'))['main']([
        checkpoint, '--projected-w',
        str(out / 'projected_w.npz'), '--outdir',
        str(tmp_path / 'render')
    ])
    np.testing.assert_array_equal(
        np.array(Image.open(tmp_path / 'render' / 'proj00.png')),
        np.array(Image.open(out / 'proj.png')))


def test_projector_rejects_missing_lpips_weights(checkpoint, tmp_path):
    save_image(np.zeros((16, 16, 3), np.uint8), str(tmp_path / 't.png'))
    with pytest.raises(FileNotFoundError, match='vgg16'):
        runpy.run_path(str(REPO / 'tools' / 'projector.py'))['main']([
            checkpoint, '--target',
            str(tmp_path / 't.png'), '--lpips-weights',
            str(tmp_path / 'vgg16.pt'), '--outdir',
            str(tmp_path)
        ])
