# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Pack a loaded image and its label into the item the model receives."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmgen_ada.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackGANInputs(BaseTransform):
    """Turn ``results`` into ``dict(inputs=..., data_samples=dict(...))``.

    Output::

        dict(inputs=uint8 tensor (C, H, W), values [0, 255], RGB/grayscale,
             data_samples=dict(label=float32 tensor (label_dim,),
                               **{key: results[key] for key in meta_keys}))

    A missing ``label`` becomes an empty float32 vector ``(0,)``.

    Args:
        meta_keys (Sequence[str]): Extra keys of ``results`` copied into
            ``data_samples`` (e.g. ``('img_path', 'sample_idx')``); each
            must be present. Defaults to ``()``.
    """

    def __init__(self, meta_keys: Sequence[str] = ()) -> None:
        if isinstance(meta_keys,
                      str) or not all(isinstance(k, str) for k in meta_keys):
            raise TypeError('meta_keys must be a sequence of str, got '
                            f'{meta_keys!r}')
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        """Pack one item.

        Args:
            results (dict): With ``img`` (uint8 ndarray ``(H, W, C)``) and
                optionally ``label``.

        Returns:
            dict: ``inputs`` and ``data_samples`` as documented above.
        """
        if 'img' not in results:
            raise KeyError('PackGANInputs needs results["img"]; put '
                           'LoadGANImage before it in the pipeline')
        img = results['img']
        if not isinstance(img, np.ndarray) or img.dtype != np.uint8 \
                or img.ndim != 3:
            raise TypeError('results["img"] must be a uint8 ndarray (H, W, '
                            f'C), got {type(img).__name__} '
                            f'{getattr(img, "dtype", None)} '
                            f'{getattr(img, "shape", None)}')
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        label = results.get('label')
        if label is None:
            label = torch.zeros(0, dtype=torch.float32)
        else:
            label = torch.as_tensor(np.asarray(label,
                                               dtype=np.float32)).reshape(-1)
        data_samples = dict(label=label)
        for key in self.meta_keys:
            if key not in results:
                raise KeyError(f'meta key {key!r} is not in the results; '
                               f'available keys: {sorted(results)}')
            data_samples[key] = results[key]
        return dict(inputs=inputs, data_samples=data_samples)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
