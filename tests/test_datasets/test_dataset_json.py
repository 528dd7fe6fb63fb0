# Copyright (c) mmgen-ada contributors. All rights reserved.
import json

import numpy as np
import pytest

from mmgen_ada.datasets import dump_dataset_json, parse_dataset_json


def test_round_trip_and_one_hot():
    text = dump_dataset_json([['a.png', 1], ['b\\c.png', 0]], ['x', 'y', 'z'])
    meta = parse_dataset_json(text)
    assert meta.labels == {'a.png': 1, 'b/c.png': 0}  # '\\' -> '/'
    np.testing.assert_array_equal(
        meta.vectors(['b/c.png', 'a.png']), [[1, 0, 0], [0, 1, 0]])
    assert parse_dataset_json(dump_dataset_json(None)) is None


@pytest.mark.parametrize('text, message', [
    ('{bad json', 'invalid JSON'),
    ('[]', 'expected an object with a "labels" key'),
    ('{"labels": 3}', 'must be a list'),
    ('{"labels": [["a.png"]]}', r'labels\[0\] must be a \[file name, label\]'),
    ('{"labels": [["a.png", -1]]}', 'must be >= 0'),
    ('{"labels": [["a.png", true]]}', 'class index or a list of numbers'),
    ('{"labels": [["a.png", "cat"]]}', 'class index or a list of numbers'),
    ('{"labels": [["a.png", 1], ["b.png", [1.0]]]}', 'mix class indices'),
    ('{"labels": [["a.png", [1]], ["b.png", [1, 2]]]}', 'different lengths'),
    ('{"labels": [], "class_names": "cat"}', 'class_names'),
])
def test_malformed_names_the_file(text, message):
    with pytest.raises(ValueError, match=message) as info:
        parse_dataset_json(text, source='x/dataset.json')
    assert str(info.value).startswith('x/dataset.json')


def test_class_count_checks():
    meta = parse_dataset_json(
        json.dumps(dict(labels=[['a.png', 0]], class_names=['p', 'q'])))
    with pytest.raises(ValueError, match='num_classes=3 but'):
        meta.vectors(['a.png'], num_classes=3)
    vec = parse_dataset_json('{"labels": [["a.png", [1, 2]]]}')
    with pytest.raises(ValueError, match='only valid for class-index'):
        vec.vectors(['a.png'], num_classes=2)
