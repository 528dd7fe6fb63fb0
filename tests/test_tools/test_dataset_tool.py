# Copyright (c) mmgen-ada contributors. All rights reserved.
import json
import os
import os.path as osp
import re
import zipfile

import numpy as np
import pytest
from PIL import Image

from mmgen_ada.datasets import ImageFolderDataset
from mmgen_ada.testing import load_tool_module

TOOL = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'tools',
    'dataset_tool.py')


def _tool():
    module = load_tool_module(TOOL, 'dataset_tool')
    return module


def _save(path, arr):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(arr).save(path)


def test_folder_with_subdir_labels_round_trip(tmp_path, capsys):
    rng = np.random.RandomState(0)
    arrs = {}
    for cls in ('dog', 'cat'):
        for i in range(2):
            arrs[f'{cls}/{i}.png'] = rng.randint(0, 256, (8, 8, 3), np.uint8)
            _save(
                str(tmp_path / 'src' / cls / f'{i}.png'),
                arrs[f'{cls}/{i}.png'])
    dest = str(tmp_path / 'out' / 'ds.zip')
    assert _tool().main([
        '--source',
        str(tmp_path / 'src'), '--dest', dest, '--labels-from-subdirs'
    ]) == 0
    out = capsys.readouterr().out
    assert 'images:     4' in out and '8x8' in out
    assert "2 classes ['cat', 'dog']" in out
    meta = json.loads(zipfile.ZipFile(dest).read('dataset.json'))
    assert meta['class_names'] == ['cat', 'dog']
    ds = ImageFolderDataset(dest)
    assert (len(ds), ds.label_dim, ds.resolution) == (4, 2, 8)
    # Sorted source order: cat/0, cat/1, dog/0, dog/1.
    for k, name in enumerate(sorted(arrs)):
        np.testing.assert_array_equal(ds[k]['inputs'].permute(1, 2, 0).numpy(),
                                      arrs[name])
        np.testing.assert_array_equal(ds[k]['data_samples']['label'].numpy(),
                                      np.eye(2)[int(name.startswith('dog'))])


def test_numpy_input_with_resize_and_grayscale(tmp_path, capsys):
    rng = np.random.RandomState(1)
    small = rng.randint(0, 256, (5, 4, 4), np.uint8)
    big = np.kron(small, np.ones((1, 2, 2), np.uint8))  # (5, 8, 8) gray
    labels = np.array([3, 0, 1, 3, 2])
    np.savez(tmp_path / 'a.npz', images=big, labels=labels)
    dest = str(tmp_path / 'g.zip')
    assert _tool().main([
        '--source',
        str(tmp_path / 'a.npz'), '--dest', dest, '--resolution', '4',
        '--resize-filter', 'box', '--grayscale', '--max-images', '4'
    ]) == 0
    assert '4 classes' not in capsys.readouterr().out  # only 0..3 written
    ds = ImageFolderDataset(dest)
    assert (len(ds), ds.num_channels, ds.resolution, ds.label_dim) == (4, 1, 4,
                                                                       4)
    for k in range(4):
        np.testing.assert_array_equal(ds[k]['inputs'][0].numpy(), small[k])
        np.testing.assert_array_equal(ds[k]['data_samples']['label'].numpy(),
                                      np.eye(4)[labels[k]])
    # .npy of RGB images, no labels.
    rgb = rng.randint(0, 256, (2, 4, 4, 3), np.uint8)
    np.save(tmp_path / 'b.npy', rgb)
    assert _tool().main([
        '--source',
        str(tmp_path / 'b.npy'), '--dest',
        str(tmp_path / 'b.zip')
    ]) == 0
    ds = ImageFolderDataset(str(tmp_path / 'b.zip'))
    assert ds.label_dim == 0
    np.testing.assert_array_equal(ds[1]['inputs'].permute(1, 2, 0).numpy(),
                                  rgb[1])


def _mixed_source(root):
    _save(osp.join(root, 'a_rgb.png'), np.full((8, 8, 3), 10, np.uint8))
    _save(osp.join(root, 'b_gray.png'), np.full((8, 8), 20, np.uint8))
    _save(osp.join(root, 'c_rgba.png'), np.full((8, 8, 4), 30, np.uint8))
    with open(osp.join(root, 'd_corrupt.png'), 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\nnot really')
    open(osp.join(root, 'e_empty.jpg'), 'wb').close()


def test_corrupt_input_is_an_error_naming_the_file(tmp_path, capsys):
    _mixed_source(str(tmp_path / 'src'))
    dest = tmp_path / 'o.zip'
    assert _tool().main(
        ['--source', str(tmp_path / 'src'), '--dest',
         str(dest)]) == 1
    err = capsys.readouterr().err
    assert 'd_corrupt.png: cannot decode image' in err
    assert not dest.exists()


def test_skip_bad_reports_mixed_and_bad_files(tmp_path, capsys):
    _mixed_source(str(tmp_path / 'src'))
    dest = str(tmp_path / 'o.zip')
    assert _tool().main(
        ['--source',
         str(tmp_path / 'src'), '--dest', dest, '--skip-bad']) == 0
    out = capsys.readouterr().out
    assert 'images:     3' in out
    assert 'L -> RGB: 1 file(s): ' in out and 'b_gray.png' in out
    assert ('RGBA -> RGB (transparency composited on white): 1 file(s)'
            in out) and 'c_rgba.png' in out
    assert 'skipped 2 file(s)' in out
    assert 'd_corrupt.png: cannot decode' in out
    assert 'e_empty.jpg: empty file (0 bytes)' in out
    ds = ImageFolderDataset(dest)
    assert ds.num_channels == 3
    assert ds[1]['inputs'].eq(20).all()  # gray 20 -> RGB (20, 20, 20)
    # Colour 30 with alpha 30/255 over white: 30 * a + 255 * (1 - a).
    a = 30 / 255
    ref = 30 * a + 255 * (1 - a)
    assert (ds[2]['inputs'].float() - ref).abs().max() <= 1


def test_center_crop_transform_and_bad_args(tmp_path, capsys):
    arr = np.random.RandomState(3).randint(0, 256, (8, 12, 3), np.uint8)
    _save(str(tmp_path / 'src' / 'x.png'), arr)
    dest = str(tmp_path / 'c.zip')
    tool = _tool()
    assert tool.main(['--source', str(tmp_path / 'src'), '--dest', dest]) == 1
    assert ('12x8 (width x height) does not have power-of-two sides'
            in capsys.readouterr().err)
    assert tool.main([
        '--source',
        str(tmp_path / 'src'), '--dest', dest, '--transform', 'center-crop',
        '--resolution', '8'
    ]) == 0
    ds = ImageFolderDataset(dest)
    np.testing.assert_array_equal(ds[0]['inputs'].permute(1, 2, 0).numpy(),
                                  arr[:, 2:10])
    assert tool.main(
        ['--source',
         str(tmp_path / 'src'), '--dest',
         str(tmp_path / 'c.tar')]) == 1
    assert 'must be a .zip' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.main(['--source', 'x', '--dest', dest, '--transform', 'crop'])


def test_one_channel_npy_keeps_one_channel(tmp_path, capsys):
    import zipfile

    from PIL import Image
    gray = np.random.RandomState(2).randint(0, 256, (3, 8, 8, 1), np.uint8)
    np.save(tmp_path / 'fashion.npy', gray)
    dest = tmp_path / 'gray.zip'
    assert _tool().main(
        ['--source', str(tmp_path / 'fashion.npy'), '--dest', str(dest)]) == 0
    with zipfile.ZipFile(dest) as zf:
        names = sorted(n for n in zf.namelist() if n.endswith('.png'))
        assert len(names) == 3
        for name, ref in zip(names, gray):
            with zf.open(name) as f:
                img = Image.open(f)
                assert img.mode == 'L'
                np.testing.assert_array_equal(np.asarray(img), ref[:, :, 0])
    # --rgb asks for 3 channels: the gray value in each.
    assert _tool().main([
        '--source',
        str(tmp_path / 'fashion.npy'), '--dest',
        str(tmp_path / 'rgb.zip'), '--rgb'
    ]) == 0
    ds = ImageFolderDataset(str(tmp_path / 'rgb.zip'))
    assert ds.num_channels == 3
    np.testing.assert_array_equal(ds[0]['inputs'].numpy(),
                                  np.repeat(gray[0].transpose(2, 0, 1), 3, 0))


def test_rectangular_resolution_is_width_x_height(tmp_path, capsys):
    arr = np.random.RandomState(4).randint(0, 256, (8, 12, 3), np.uint8)
    _save(str(tmp_path / 'src' / 'x.png'), arr)
    dest = str(tmp_path / 'wide.zip')
    assert _tool().main([
        '--source',
        str(tmp_path / 'src'), '--dest', dest, '--resolution', '8x4',
        '--transform', 'center-crop', '--resize-filter', 'box'
    ]) == 0
    assert 'resolution: 8x4 (width x height)' in capsys.readouterr().out
    ds = ImageFolderDataset(dest, resolution=(4, 8))
    assert ds.resolution == (4, 8)
    # The largest centred 2:1 crop of 12 x 8 is 12 x 6 (rows 1..6), then
    # box-resized to 8 wide x 4 high.
    ref = np.asarray(Image.fromarray(arr[1:7]).resize((8, 4), Image.BOX))
    np.testing.assert_array_equal(ds[0]['inputs'].permute(1, 2, 0).numpy(),
                                  ref)
    for bad, message in (('8x3', 'power of two'), ('8x64', 'aspect ratio'),
                         ('8by4', 'N \\(square\\) or WxH')):
        with pytest.raises(SystemExit):
            _tool().main(
                ['--source', 'x', '--dest', dest, '--resolution', bad])
        assert re.search(message, capsys.readouterr().err), bad
