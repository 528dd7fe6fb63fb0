# Copyright (c) mmgen-ada contributors. All rights reserved.
"""generate.py, style_mixing.py, projector.py and test.py (FID) on a
rectangular (16 high x 32 wide) checkpoint of the shipped 32x64 config."""
import runpy
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from mmgen_ada.apis import build_checkpoint, init_model, sample
from mmgen_ada.apis.projector import load_target_image
from mmgen_ada.visualization import save_image

REPO = Path(__file__).resolve().parents[2]
CONFIG = (
    REPO / 'configs' / 'stylegan2' /
    'stylegan2-ada_quickstart_1xb16_twemoji-32x64.py')
H, W = 16, 32


def tool_main(name):
    return runpy.run_path(str(REPO / 'tools' / name))['main']


@pytest.fixture(scope='module')
def rect(tmp_path_factory):
    """(config path, checkpoint path, data folder) at 16x32."""
    root = tmp_path_factory.mktemp('rect')
    data = root / 'data'
    data.mkdir()
    rng = np.random.RandomState(0)
    for i in range(8):
        Image.fromarray(rng.randint(0, 256, (H, W, 3),
                                    np.uint8)).save(data / f'{i}.png')
    cfg = Config.fromfile(str(CONFIG))
    small = dict(style_channels=16, channel_base=256, channel_max=16)
    cfg.model.generator.update(out_size=(H, W), **small)
    cfg.model.discriminator.update(
        in_size=(H, W), channel_base=256, channel_max=16, mbstd_group_size=2)
    cfg.test_dataloader.update(
        batch_size=4,
        num_workers=0,
        persistent_workers=False,
        dataset=dict(data_root=str(data), resolution=(H, W)))
    cfg.test_evaluator.metrics[0].update(
        fake_nums=8,
        feature_extractor=dict(type='TinyTestFeatureExtractor'),
        real_cache_dir=str(root / 'stats'))
    cfg.work_dir = str(root / 'work')
    cfg_path = root / 'rect.py'
    cfg.dump(str(cfg_path))
    torch.manual_seed(0)
    ckpt = root / 'rect.pth'
    torch.save(build_checkpoint(cfg.model.to_dict(), None), ckpt)
    return str(cfg_path), str(ckpt), data


def test_generate_rectangular(rect, tmp_path):
    _, ckpt, _ = rect
    tool_main('generate.py')([
        ckpt, '--seeds', '0-2', '--trunc', '0.7', '--outdir',
        str(tmp_path), '--grid'
    ])
    expected = sample(
        init_model(checkpoint=ckpt), seeds=[0, 1, 2], truncation_psi=0.7)
    assert expected.shape == (3, H, W, 3)
    for i, ref in enumerate(expected):
        np.testing.assert_array_equal(
            np.array(Image.open(tmp_path / f'seed{i:04d}.png')), ref)
    grid = np.array(Image.open(tmp_path / 'grid.png'))
    assert grid.shape == (2 * H, 2 * W, 3)  # 2 x 2 cells of 16 x 32
    np.testing.assert_array_equal(grid[H:, :W], expected[2])


def test_style_mixing_rectangular(rect, tmp_path):
    _, ckpt, _ = rect
    tool_main('style_mixing.py')([
        ckpt, '--rows', '1,2', '--cols', '7-9', '--styles', '0-2', '--outdir',
        str(tmp_path)
    ])
    grid = np.array(Image.open(tmp_path / 'grid.png'))
    assert grid.shape == (3 * H, 4 * W, 3)
    np.testing.assert_array_equal(grid[2 * H:, 3 * W:],
                                  np.array(Image.open(tmp_path / '2-9.png')))


def test_project_rectangular(rect, tmp_path, capsys):
    _, ckpt, _ = rect
    model = init_model(checkpoint=ckpt)
    target = tmp_path / 'target_in.png'
    save_image(sample(model, seeds=[4])[0], str(target))
    out = tmp_path / 'out'
    tool_main('projector.py')([
        ckpt, '--target',
        str(target), '--num-steps', '5', '--w-avg-samples', '100',
        '--distance', 'pixel', '--save-progress', '2', '--outdir',
        str(out)
    ])
    assert 'step     5/5' in capsys.readouterr().out
    assert np.array(Image.open(out / 'proj.png')).shape == (H, W, 3)
    np.testing.assert_array_equal(
        np.array(Image.open(out / 'target.png')), np.array(Image.open(target)))
    assert np.array(Image.open(out / 'proj_progress.png')).shape == (H, 3 * W,
                                                                     3)


def test_load_target_image_crops_to_the_aspect_ratio(tmp_path):
    # 40 x 40 source: the centred 2:1 crop is rows 10..29, all columns.
    rng = np.random.RandomState(1)
    src = rng.randint(0, 256, (40, 40, 3), np.uint8)
    Image.fromarray(src).save(tmp_path / 's.png')
    got = load_target_image(str(tmp_path / 's.png'), (H, W))
    ref = Image.fromarray(src[10:30]).resize((W, H), Image.LANCZOS)
    np.testing.assert_array_equal(got, np.asarray(ref))
    tall = load_target_image(str(tmp_path / 's.png'), (W, H))
    ref = Image.fromarray(src[:, 10:30]).resize((H, W), Image.LANCZOS)
    np.testing.assert_array_equal(tall, np.asarray(ref))


def test_fid_of_rectangular_checkpoint(rect):
    cfg, ckpt, _ = rect
    metrics = tool_main('test.py')([cfg, ckpt])
    fid = metrics['FID-Full/fid']
    assert np.isfinite(fid) and fid > 0
    stats = list((Path(cfg).parent / 'stats').iterdir())
    assert len(stats) == 1 and '-16x32px-' in stats[0].name
