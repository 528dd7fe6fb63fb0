# Copyright (c) mmgen-ada contributors. All rights reserved.
import json
import os
import zipfile

import numpy as np
import pytest
from PIL import Image

from mmgen_ada.datasets import ImageDecodeError, ImageFolderDataset
from mmgen_ada.datasets.conversion import ImageSource, convert_dataset


def _save(path, arr):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(arr).save(path)


def test_zip_source_keeps_dataset_json_labels(tmp_path):
    rng = np.random.RandomState(0)
    arrs = rng.randint(0, 256, (3, 4, 4, 3), np.uint8)
    src = str(tmp_path / 'src.zip')
    with zipfile.ZipFile(src, 'w') as zf:
        for i, a in enumerate(arrs):
            p = str(tmp_path / f'{i}.png')
            Image.fromarray(a).save(p)
            zf.write(p, f'imgs/{i}.png')
        zf.writestr(
            'dataset.json',
            json.dumps(
                dict(labels=[[f'imgs/{i}.png', [i, -i]] for i in range(3)])))
    summary = convert_dataset(src, str(tmp_path / 'out.zip'))
    assert summary.label_dim == 2 and summary.num_images == 3
    ds = ImageFolderDataset(str(tmp_path / 'out.zip'))
    assert ds.image_names[0] == '00000/img00000000.png'
    np.testing.assert_array_equal(ds[2]['data_samples']['label'].numpy(),
                                  [2, -2])
    np.testing.assert_array_equal(ds[2]['inputs'].permute(1, 2, 0).numpy(),
                                  arrs[2])


def test_source_errors_name_the_file(tmp_path):
    _save(str(tmp_path / 'flat' / 'a.png'), np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match='a.png: --labels-from-subdirs needs'):
        ImageSource(str(tmp_path / 'flat'), labels_from_subdirs=True)
    np.save(tmp_path / 'f.npy', np.zeros((2, 4, 4, 3), np.float32))
    with pytest.raises(ValueError, match='f.npy: images must be uint8'):
        ImageSource(str(tmp_path / 'f.npy'))
    np.save(tmp_path / 'c.npy', np.zeros((2, 3, 8, 8), np.uint8))  # NCHW
    with pytest.raises(ValueError, match='c.npy: images must have shape'):
        ImageSource(str(tmp_path / 'c.npy'))
    np.savez(
        tmp_path / 'l.npz',
        images=np.zeros((2, 4, 4, 3), np.uint8),
        labels=np.zeros(3, np.int64))
    with pytest.raises(ValueError, match='l.npz: 3 labels for 2 images'):
        ImageSource(str(tmp_path / 'l.npz'))
    with pytest.raises(ValueError, match='same'):
        convert_dataset(str(tmp_path / 'x.zip'), str(tmp_path / 'x.zip'))


def test_failure_leaves_no_output(tmp_path):
    _save(str(tmp_path / 's' / 'a.png'), np.zeros((4, 4, 3), np.uint8))
    (tmp_path / 's' / 'b.png').write_bytes(b'')
    dest = tmp_path / 'o.zip'
    with pytest.raises(ImageDecodeError, match='b.png: empty file'):
        convert_dataset(str(tmp_path / 's'), str(dest))
    assert not dest.exists() and not (tmp_path / 'o.zip.tmp').exists()


def test_same_input_same_zip_bytes(tmp_path):
    rng = np.random.RandomState(4)
    for i in range(3):
        _save(
            str(tmp_path / 's' / f'{i}.png'),
            rng.randint(0, 256, (4, 4, 3), np.uint8))
    a, b = str(tmp_path / 'a.zip'), str(tmp_path / 'b.zip')
    convert_dataset(str(tmp_path / 's'), a, extra_files={'NOTE': 'x'})
    convert_dataset(str(tmp_path / 's'), b, extra_files={'NOTE': 'x'})
    assert open(a, 'rb').read() == open(b, 'rb').read()
    with zipfile.ZipFile(a) as zf:
        assert zf.namelist() == [
            '00000/img00000000.png', '00000/img00000001.png',
            '00000/img00000002.png', 'NOTE', 'dataset.json'
        ]
        assert zf.read('NOTE') == b'x'
