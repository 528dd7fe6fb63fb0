# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Label vectors must be finite: the error names the file and the entry."""
import json

import numpy as np
import pytest
from PIL import Image

from mmgen_ada.datasets import (ImageFolderDataset, dump_dataset_json,
                                parse_dataset_json)
from mmgen_ada.datasets.conversion.image_source import ImageSource

# Python's json reads NaN/Infinity, and 1e39 overflows float32 to inf.
BAD_VALUES = ['NaN', 'Infinity', '-Infinity', '1e39']


def _folder(root, labels_text):
    root.mkdir()
    for i in range(2):
        Image.fromarray(np.full((8, 8, 3), 40 * i,
                                np.uint8)).save(root / f'img{i}.png')
    (root / 'dataset.json').write_text(labels_text)
    return root


@pytest.mark.parametrize('bad', BAD_VALUES)
def test_parse_rejects_non_finite_vector(bad):
    text = ('{"labels": [["a.png", [0.5, 1.0]], ["b.png", [0.25, %s]]]}' % bad)
    with pytest.raises(ValueError) as err:
        parse_dataset_json(text, 'data/dataset.json')
    msg = str(err.value)
    assert 'data/dataset.json' in msg and 'b.png' in msg
    assert 'entry [1]' in msg and 'finite' in msg


def test_finite_vectors_still_parse():
    labels = parse_dataset_json(
        '{"labels": [["a.png", [0.5, -3e38]], ["b.png", [1, 2]]]}')
    assert labels.labels == {'a.png': [0.5, -3e38], 'b.png': [1.0, 2.0]}


def test_image_folder_dataset_names_file_and_entry(tmp_path):
    root = _folder(
        tmp_path / 'ds',
        '{"labels": [["img0.png", [0.0, 1.0]], ["img1.png", [NaN, 0.0]]]}')
    with pytest.raises(ValueError) as err:
        ImageFolderDataset(str(root))
    assert str(root / 'dataset.json') in str(err.value)
    assert 'img1.png' in str(err.value) and 'nan' in str(err.value)


def test_dataset_tool_source_rejects_non_finite(tmp_path):
    root = _folder(
        tmp_path / 'src',
        '{"labels": [["img0.png", [Infinity]], ["img1.png", [0.0]]]}')
    with pytest.raises(ValueError, match=r'img0\.png.*entry \[0\] is inf'):
        ImageSource(str(root))
    npz = tmp_path / 'arrays.npz'
    np.savez(
        npz,
        images=np.zeros((3, 8, 8, 3), np.uint8),
        labels=np.array([[0., 1.], [0., 1.], [np.nan, 0.]], np.float32))
    with pytest.raises(ValueError) as err:
        ImageSource(str(npz))
    assert f'{npz}: labels[2]' in str(err.value)


def test_dump_refuses_non_finite():
    with pytest.raises(ValueError, match=r'label of b\.png'):
        dump_dataset_json([('a.png', [1.0]), ('b.png', [float('inf')])])
    assert json.loads(dump_dataset_json([('a.png', [1.0])
                                         ]))['labels'] == [['a.png', [1.0]]]
