# Copyright (c) mmgen-ada contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmgen_ada.registry import TRANSFORMS


def test_pack_layout_and_label():
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)  # H, W, C
    pack = TRANSFORMS.build(dict(type='PackGANInputs', meta_keys=['img_path']))
    out = pack(
        dict(img=img, label=np.array([0, 1], np.float64), img_path='a.png'))
    assert set(out) == {'inputs', 'data_samples'}
    assert out['inputs'].dtype == torch.uint8
    assert out['inputs'].shape == (3, 2, 3)
    for c in range(3):
        np.testing.assert_array_equal(out['inputs'][c].numpy(), img[:, :, c])
    assert out['data_samples']['label'].dtype == torch.float32
    assert out['data_samples']['label'].tolist() == [0.0, 1.0]
    assert out['data_samples']['img_path'] == 'a.png'


def test_pack_without_label_and_errors():
    pack = TRANSFORMS.build(dict(type='PackGANInputs'))
    out = pack(dict(img=np.zeros((2, 2, 1), np.uint8)))
    assert out['data_samples']['label'].shape == (0, )
    assert out['inputs'].shape == (1, 2, 2)
    with pytest.raises(KeyError, match='LoadGANImage'):
        pack(dict(label=None))
    with pytest.raises(TypeError, match='uint8'):
        pack(dict(img=np.zeros((2, 2, 3), np.float32)))
    with pytest.raises(KeyError, match="'sample_idx'"):
        TRANSFORMS.build(dict(type='PackGANInputs', meta_keys=['sample_idx']))(
            dict(img=np.zeros((2, 2, 3), np.uint8)))
    with pytest.raises(TypeError, match='meta_keys'):
        TRANSFORMS.build(dict(type='PackGANInputs', meta_keys='img_path'))
