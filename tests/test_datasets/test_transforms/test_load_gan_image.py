# Copyright (c) mmgen-ada contributors. All rights reserved.
import pickle
import zipfile

import numpy as np
import pytest
from PIL import Image

from mmgen_ada.datasets import ImageDecodeError
from mmgen_ada.registry import TRANSFORMS


def _png_bytes(arr):
    import io
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format='png')
    return buf.getvalue()


def test_load_from_zip_with_flip_and_checks(tmp_path):
    rng = np.random.RandomState(1)
    arr = rng.randint(0, 256, (4, 4, 3), dtype=np.uint8)
    zpath = str(tmp_path / 'd.zip')
    with zipfile.ZipFile(zpath, 'w') as zf:
        zf.writestr('sub/a.png', _png_bytes(arr))
        zf.writestr('gray.png', _png_bytes(arr[:, :, 0]))
    load = TRANSFORMS.build(dict(type='LoadGANImage'))

    out = load(dict(img_path='sub/a.png', source=zpath))
    np.testing.assert_array_equal(out['img'], arr)
    assert out['img_shape'] == out['ori_shape'] == (4, 4)
    out = load(dict(img_path='sub/a.png', source=zpath, flip=True))
    np.testing.assert_array_equal(out['img'], arr[:, ::-1])
    assert out['img'].flags['C_CONTIGUOUS']

    with pytest.raises(
            ImageDecodeError,
            match='d.zip:sub/a.png: image is 4x4'
            ' but the dataset resolution is 8x8'):
        load(dict(img_path='sub/a.png', source=zpath, resolution=8))
    with pytest.raises(
            ImageDecodeError, match='gray.png: image has 1 '
            'channel'):
        load(dict(img_path='gray.png', source=zpath, num_channels=3))
    with pytest.raises(FileNotFoundError, match='d.zip:nope.png'):
        load(dict(img_path='nope.png', source=zpath))

    # The cached zip handle is not pickled (spawned workers reopen it).
    clone = pickle.loads(pickle.dumps(load))
    np.testing.assert_array_equal(
        clone(dict(img_path='sub/a.png', source=zpath))['img'], arr)
