# Copyright (c) mmgen-ada contributors. All rights reserved.
import hashlib
import json
import os
import os.path as osp
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from mmgen_ada.datasets import ImageDecodeError, ImageFolderDataset
from mmgen_ada.registry import DATASETS


def _rand_images(n, size=8, channels=3, seed=0):
    rng = np.random.RandomState(seed)
    shape = (n, size, size, channels) if channels > 1 else (n, size, size)
    return rng.randint(0, 256, size=shape, dtype=np.uint8)


def _write_folder(root, arrays, names=None, labels=None):
    os.makedirs(root, exist_ok=True)
    names = names or [f'img{i:03d}.png' for i in range(len(arrays))]
    for name, arr in zip(names, arrays):
        path = osp.join(root, name)
        os.makedirs(osp.dirname(path), exist_ok=True)
        Image.fromarray(arr).save(path)
    if labels is not None:
        with open(osp.join(root, 'dataset.json'), 'w') as f:
            json.dump(
                dict(labels=[[n, lab] for n, lab in zip(names, labels)]), f)
    return names


def _zip_folder(folder, zip_path):
    with zipfile.ZipFile(zip_path, 'w') as zf:
        for root, _, files in os.walk(folder):
            for fname in files:
                full = osp.join(root, fname)
                zf.write(full, osp.relpath(full, folder).replace(os.sep, '/'))
    return zip_path


def _hwc(item):
    return item['inputs'].permute(1, 2, 0).numpy()


@pytest.mark.parametrize('as_zip', [False, True])
def test_folder_and_zip_without_labels(tmp_path, as_zip):
    arrays = _rand_images(5)
    # Sub-folders and unsorted names: the order is sorted relative paths.
    names = ['b/x.png', 'a/z.png', 'c.png', 'a/y.png', 'a/b/w.png']
    folder = str(tmp_path / 'data')
    _write_folder(folder, arrays, names)
    (tmp_path / 'data' / 'notes.txt').write_text('not an image')
    (tmp_path / 'data' / '.hidden.png').write_bytes(b'junk')
    root = _zip_folder(folder, str(tmp_path / 'd.zip')) if as_zip else folder

    ds = ImageFolderDataset(root)
    order = sorted(range(5), key=lambda i: names[i])
    assert ds.image_names == [names[i] for i in order]
    assert len(ds) == 5
    assert (ds.resolution, ds.num_channels, ds.label_dim) == (8, 3, 0)
    assert ds.cond_size == 0 and not ds.has_labels
    for k, i in enumerate(order):
        item = ds[k]
        assert item['inputs'].dtype == torch.uint8
        assert item['inputs'].shape == (3, 8, 8)
        np.testing.assert_array_equal(_hwc(item), arrays[i])
        assert item['data_samples']['label'].dtype == torch.float32
        assert item['data_samples']['label'].shape == (0, )
    assert ds.metainfo['resolution'] == 8


def test_labels_one_hot_and_registry(tmp_path):
    arrays = _rand_images(4)
    labels = [2, 0, 1, 2]
    _write_folder(str(tmp_path), arrays, labels=labels)
    ds = DATASETS.build(
        dict(type='ImageFolderDataset', data_root=str(tmp_path)))
    assert ds.label_dim == 3 and ds.has_labels
    for i in range(4):
        np.testing.assert_array_equal(ds[i]['data_samples']['label'].numpy(),
                                      np.eye(3, dtype=np.float32)[labels[i]])
    # num_classes widens the one-hot vectors; use_labels=False drops them.
    ds10 = ImageFolderDataset(str(tmp_path), num_classes=10)
    assert ds10.label_dim == 10
    np.testing.assert_array_equal(ds10[3]['data_samples']['label'].numpy(),
                                  np.eye(10, dtype=np.float32)[2])
    assert ImageFolderDataset(str(tmp_path), use_labels=False).label_dim == 0
    with pytest.raises(ValueError, match=r'img000\.png: class index 2 is out'):
        ImageFolderDataset(str(tmp_path), num_classes=2)


def test_vector_labels_and_class_names(tmp_path):
    arrays = _rand_images(2)
    names = _write_folder(str(tmp_path), arrays)
    (tmp_path / 'dataset.json').write_text(
        json.dumps(dict(labels=[[names[0], [0.5, -1]], [names[1], [2, 3]]])))
    ds = ImageFolderDataset(str(tmp_path))
    assert ds.label_dim == 2
    np.testing.assert_array_equal(ds[1]['data_samples']['label'].numpy(),
                                  np.array([2, 3], np.float32))
    (tmp_path / 'dataset.json').write_text(
        json.dumps(
            dict(
                labels=[[names[0], 1], [names[1], 0]],
                class_names=['cat', 'dog', 'fox'])))
    ds = ImageFolderDataset(str(tmp_path))
    assert ds.label_dim == 3 and ds.class_names == ['cat', 'dog', 'fox']
    assert ds.metainfo['classes'] == ['cat', 'dog', 'fox']


def test_null_labels_and_missing_label(tmp_path):
    names = _write_folder(str(tmp_path), _rand_images(2))
    (tmp_path / 'dataset.json').write_text('{"labels": null}')
    assert ImageFolderDataset(str(tmp_path)).label_dim == 0
    with pytest.raises(ValueError, match='no labels'):
        ImageFolderDataset(str(tmp_path), num_classes=3)
    (tmp_path / 'dataset.json').write_text(
        json.dumps(dict(labels=[[names[0], 1]])))
    with pytest.raises(ValueError, match=f'{names[1]}: image has no label'):
        ImageFolderDataset(str(tmp_path))


def test_mirror_doubles_and_flips(tmp_path):
    arrays = _rand_images(3)
    _write_folder(str(tmp_path), arrays, labels=[0, 1, 1])
    ds = ImageFolderDataset(str(tmp_path), mirror=True)
    assert len(ds) == 6 and ds.num_images == 3
    for k in range(3):
        np.testing.assert_array_equal(_hwc(ds[k]), arrays[k])
        # Item n + k is item k flipped left-right, with the same label.
        np.testing.assert_array_equal(_hwc(ds[3 + k]), arrays[k][:, ::-1])
        assert torch.equal(ds[3 + k]['data_samples']['label'],
                           ds[k]['data_samples']['label'])


def test_grayscale_and_palette(tmp_path):
    gray = _rand_images(2, channels=1)
    _write_folder(str(tmp_path / 'g'), gray)
    ds = ImageFolderDataset(str(tmp_path / 'g'))
    assert ds.num_channels == 1
    assert ds[1]['inputs'].shape == (1, 8, 8)
    np.testing.assert_array_equal(ds[1]['inputs'][0].numpy(), gray[1])

    # A palette image is read as RGB (its palette colours).
    rgb = _rand_images(1)[0]
    pal = Image.fromarray(rgb).quantize(colors=16)
    os.makedirs(tmp_path / 'p')
    pal.save(tmp_path / 'p' / 'a.png')
    expected = np.asarray(pal.convert('RGB'))
    ds = ImageFolderDataset(str(tmp_path / 'p'))
    assert ds.num_channels == 3
    np.testing.assert_array_equal(_hwc(ds[0]), expected)


def _bad_file(kind, path):
    if kind == 'rgba':
        Image.new('RGBA', (8, 8), (1, 2, 3, 100)).save(path)
    elif kind == 'palette-transparent':
        img = Image.new('P', (8, 8), 0)
        img.putpalette([0, 0, 0, 255, 255, 255] * 128)
        img.save(path, transparency=0)
    elif kind == '16-bit':
        Image.fromarray(np.full((8, 8), 40000, np.uint16)).save(path)
        assert Image.open(path).mode.startswith('I')
    elif kind == 'corrupt':
        with open(path, 'wb') as f:
            f.write(b'\x89PNG\r\n\x1a\n' + b'garbage' * 10)
    elif kind == 'truncated':
        Image.fromarray(_rand_images(1, size=8)[0]).save(path)
        data = open(path, 'rb').read()
        with open(path, 'wb') as f:
            f.write(data[:len(data) // 2])
    elif kind == 'zero-byte':
        open(path, 'wb').close()
    elif kind == 'wrong-size':
        Image.fromarray(_rand_images(1, size=16)[0]).save(path)
    elif kind == 'wrong-channels':
        Image.fromarray(_rand_images(1, channels=1)[0]).save(path)
    elif kind == 'cmyk':
        Image.new('CMYK', (8, 8)).save(path.replace('.png', '.tif'))
        return path.replace('.png', '.tif')
    return path


@pytest.mark.parametrize(
    'kind, message',
    [('rgba', 'transparency'), ('palette-transparent', 'transparency'),
     ('16-bit', 'more than 8 bits'), ('corrupt', 'cannot decode'),
     ('truncated', 'cannot decode'), ('zero-byte', r'empty file \(0 bytes\)'),
     ('wrong-size', 'is 16x16 but the dataset resolution is 8x8'),
     ('wrong-channels', '1 channel'), ('cmyk', 'unsupported image mode')])
@pytest.mark.parametrize('as_zip', [False, True])
def test_bad_image_error_names_file(tmp_path, kind, message, as_zip):
    folder = tmp_path / 'data'
    _write_folder(str(folder), _rand_images(1))  # img000.png is fine
    bad = _bad_file(kind, str(folder / 'zz_bad.png'))
    bad_name = osp.basename(bad)
    root = str(folder)
    if as_zip:
        root = _zip_folder(root, str(tmp_path / 'd.zip'))
    ds = ImageFolderDataset(root)
    ds[0]  # the good image loads
    with pytest.raises(ImageDecodeError, match=message) as info:
        ds[1]
    shown = f'{root}:{bad_name}' if as_zip else osp.join(root, bad_name)
    assert str(info.value).startswith(shown)


def test_bad_first_image_and_resolution(tmp_path):
    os.makedirs(tmp_path / 'a')
    Image.fromarray(np.zeros((8, 12, 3), np.uint8)).save(tmp_path / 'a/x.png')
    with pytest.raises(
            ImageDecodeError, match=r'x\.png: .*power-of-two.*12x8'):
        ImageFolderDataset(str(tmp_path / 'a'))
    os.makedirs(tmp_path / 'b')
    Image.fromarray(np.zeros((12, 12, 3), np.uint8)).save(tmp_path / 'b/x.png')
    with pytest.raises(ImageDecodeError, match='power-of-two'):
        ImageFolderDataset(str(tmp_path / 'b'))
    _write_folder(str(tmp_path / 'c'), _rand_images(1))
    with pytest.raises(ImageDecodeError, match='expected resolution 16'):
        ImageFolderDataset(str(tmp_path / 'c'), resolution=16)
    assert ImageFolderDataset(
        str(tmp_path / 'c'), resolution=8).resolution == 8


def test_bad_roots(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.zip'):
        ImageFolderDataset(str(tmp_path / 'missing.zip'))
    (tmp_path / 'x.zip').write_bytes(b'not a zip')
    with pytest.raises(ValueError, match='x.zip: not a valid zip'):
        ImageFolderDataset(str(tmp_path / 'x.zip'))
    (tmp_path / 'x.tar').write_bytes(b'')
    with pytest.raises(ValueError, match='folder or a .zip'):
        ImageFolderDataset(str(tmp_path / 'x.tar'))
    os.makedirs(tmp_path / 'empty')
    with pytest.raises(ValueError, match='no image files found'):
        ImageFolderDataset(str(tmp_path / 'empty'))
    with pytest.raises(ValueError, match='max_size'):
        ImageFolderDataset(str(tmp_path), max_size=0)


def test_max_size_subset_matches_nvlabs_rule(tmp_path):
    arrays = _rand_images(10)
    names = _write_folder(str(tmp_path), arrays)
    ds = ImageFolderDataset(str(tmp_path), max_size=4, random_seed=3)
    # NVlabs: RandomState(seed).shuffle(indices), keep max_size, sort.
    idx = np.arange(10)
    np.random.RandomState(3).shuffle(idx)
    expected = sorted(idx[:4])
    assert ds.image_names == [names[i] for i in expected]
    np.testing.assert_array_equal(_hwc(ds[1]), arrays[expected[1]])
    assert len(ImageFolderDataset(str(tmp_path), max_size=4, mirror=True)) == 8
    assert len(ImageFolderDataset(str(tmp_path), max_size=50)) == 10


def test_content_hash(tmp_path):
    arrays = _rand_images(3)
    folder = str(tmp_path / 'data')
    names = _write_folder(folder, arrays)
    zip_path = _zip_folder(folder, str(tmp_path / 'd.zip'))
    h = ImageFolderDataset(folder).content_hash()
    assert len(h) == 40
    # The documented recipe, computed here from the files.
    sha = hashlib.sha1(b'mmgen-ada ImageFolderDataset v1\0')
    for name in names:
        data = open(osp.join(folder, name), 'rb').read()
        sha.update(name.encode() + b'\0' + len(data).to_bytes(8, 'little'))
        sha.update(data)
    sha.update(b'mirror=0')
    assert h == sha.hexdigest()
    # Same names and bytes in a zip: same hash; mirror or changes: different.
    assert ImageFolderDataset(zip_path).content_hash() == h
    assert ImageFolderDataset(folder, mirror=True).content_hash() != h
    Image.fromarray(arrays[0] ^ 1).save(osp.join(folder, names[0]))
    assert ImageFolderDataset(folder).content_hash() != h


def test_lazy_init_and_workers_read_zip(tmp_path):
    arrays = _rand_images(6)
    folder = str(tmp_path / 'data')
    _write_folder(folder, arrays)
    zip_path = _zip_folder(folder, str(tmp_path / 'd.zip'))
    ds = ImageFolderDataset(zip_path, lazy_init=True)
    assert ds.resolution == 8  # properties trigger full_init
    ds[0]  # opens the zip in this process before the workers fork
    loader = DataLoader(ds, batch_size=2, num_workers=2, shuffle=False)
    batches = list(loader)
    got = torch.cat([b['inputs'] for b in batches]).permute(0, 2, 3, 1)
    np.testing.assert_array_equal(got.numpy(), arrays)


@pytest.mark.parametrize('as_zip', [False, True])
def test_rectangular_images_with_labels(tmp_path, as_zip):
    # 3 images 16 wide x 8 high (arrays are (H, W, C)), with labels.
    rng = np.random.RandomState(1)
    arrays = rng.randint(0, 256, (3, 8, 16, 3), dtype=np.uint8)
    root = str(tmp_path / 'rect')
    _write_folder(root, arrays, labels=[0, 1, 1])
    if as_zip:
        root = _zip_folder(root, str(tmp_path / 'rect.zip'))
    for resolution in (None, (8, 16), [8, 16]):
        ds = ImageFolderDataset(root, mirror=True, resolution=resolution)
        assert (ds.resolution, ds.image_hw) == ((8, 16), (8, 16))
        assert ds.metainfo['resolution'] == (8, 16)
        assert (len(ds), ds.label_dim) == (6, 2)
        np.testing.assert_array_equal(_hwc(ds[1]), arrays[1])
        np.testing.assert_array_equal(_hwc(ds[4]), arrays[1][:, ::-1])
        assert ds[2]['data_samples']['label'].tolist() == [0., 1.]
    with pytest.raises(
            ImageDecodeError,
            match=r'expected resolution '
            r'\(16, 8\) \(8x16, width x height\), got 16x8'):
        ImageFolderDataset(root, resolution=(16, 8))
    with pytest.raises(ImageDecodeError, match='expected resolution 16'):
        ImageFolderDataset(root, resolution=16)


def test_rectangular_errors(tmp_path):
    # A different size later in the folder names the file and both sizes.
    root = str(tmp_path / 'mixed')
    _write_folder(root, [np.zeros(
        (8, 16, 3), np.uint8)] + [np.zeros((16, 8, 3), np.uint8)])
    ds = ImageFolderDataset(root)
    ds[0]
    with pytest.raises(
            ImageDecodeError,
            match=r'img001\.png: image is 8x16 '
            r'but the dataset resolution is 16x8 \(width x '
            r'height\)'):
        ds[1]
    for shape, match in (((8, 24, 3), r'power-of-two.*24x8'),
                         ((4, 32, 3), r'power-of-two .*up to 4:1.*32x4')):
        bad = str(tmp_path / f'bad{shape[1]}')
        _write_folder(bad, [np.zeros(shape, np.uint8)])
        with pytest.raises(ImageDecodeError, match=match):
            ImageFolderDataset(bad)
    for resolution, error, match in (
        ((8, 24), ValueError, 'resolution must be a power of two'),
        ((8, 16, 3), TypeError, r'pair \(H, W\)'),
        ('8x16', TypeError, r'pair \(H, W\)'),
    ):
        with pytest.raises(error, match=match):
            ImageFolderDataset(root, resolution=resolution)
