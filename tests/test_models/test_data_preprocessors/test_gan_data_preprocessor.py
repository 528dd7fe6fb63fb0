# Copyright (c) mmgen-ada contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmengine.dataset import default_collate, pseudo_collate

from mmgen_ada.registry import MODELS


def _items(n=3, labels=True):
    rng = np.random.RandomState(0)
    items = []
    for i in range(n):
        img = torch.from_numpy(rng.randint(0, 256, (3, 4, 4), dtype=np.uint8))
        img[0, 0, 0], img[0, 0, 1] = 0, 255  # the two ends of the range
        label = torch.eye(5)[i] if labels else torch.zeros(0)
        items.append(dict(inputs=img, data_samples=dict(label=label)))
    return items


@pytest.mark.parametrize('collate', [pseudo_collate, default_collate])
def test_value_mapping_and_labels(collate):
    pre = MODELS.build(dict(type='GANDataPreprocessor'))
    items = _items()
    out = pre(collate(items), training=True)
    assert set(out) == {'inputs', 'labels'}
    x = out['inputs']
    assert x.dtype == torch.float32 and x.shape == (3, 3, 4, 4)
    # Independent float64 computation of x / 127.5 - 1.
    ref = np.stack([it['inputs'].numpy() for it in items]).astype(np.float64)
    np.testing.assert_allclose(x.numpy(), ref / 127.5 - 1, rtol=0, atol=1e-6)
    assert x[:, 0, 0, 0].eq(-1).all() and x[:, 0, 0, 1].eq(1).all()
    assert x.min() >= -1 and x.max() <= 1
    assert out['labels'].dtype == torch.float32
    np.testing.assert_array_equal(out['labels'].numpy(), np.eye(5)[:3])


@pytest.mark.parametrize('collate', [pseudo_collate, default_collate])
def test_no_labels_gives_none(collate):
    pre = MODELS.build(dict(type='GANDataPreprocessor'))
    out = pre(collate(_items(labels=False)))
    assert out['labels'] is None
    out = pre(dict(inputs=torch.zeros(2, 1, 4, 4, dtype=torch.uint8)))
    assert out['labels'] is None and out['inputs'].eq(-1).all()


def test_list_of_dict_samples_and_errors():
    pre = MODELS.build(dict(type='GANDataPreprocessor'))
    items = _items(2)
    data = dict(
        inputs=[it['inputs'] for it in items],
        data_samples=[it['data_samples'] for it in items])
    np.testing.assert_array_equal(pre(data)['labels'].numpy(), np.eye(5)[:2])
    with pytest.raises(TypeError, match='uint8'):
        pre(dict(inputs=torch.zeros(2, 3, 4, 4)))
    with pytest.raises(ValueError, match='different shapes'):
        pre(
            dict(inputs=[
                torch.zeros(3, 4, 4, dtype=torch.uint8),
                torch.zeros(3, 8, 8, dtype=torch.uint8)
            ]))
    with pytest.raises(ValueError, match='3 labels for 2 images'):
        pre(
            dict(
                inputs=torch.zeros(2, 3, 4, 4, dtype=torch.uint8),
                data_samples=dict(label=torch.zeros(3, 5))))
    with pytest.raises(KeyError, match='inputs'):
        pre(dict(data_samples=None))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_moves_to_cuda():
    pre = MODELS.build(dict(type='GANDataPreprocessor')).cuda()
    out = pre(default_collate(_items()))
    assert out['inputs'].is_cuda and out['labels'].is_cuda
    assert out['inputs'][:, 0, 0, 0].eq(-1).all()
