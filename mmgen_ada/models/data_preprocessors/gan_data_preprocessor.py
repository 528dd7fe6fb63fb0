# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Collated uint8 batches -> float images in [-1, 1] and label matrices."""
from typing import Optional, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor

from mmgen_ada.registry import MODELS


@MODELS.register_module()
class GANDataPreprocessor(BaseDataPreprocessor):
    """Data preprocessor of the GAN models.

    Input: a batch collated from
    :class:`~mmgen_ada.datasets.ImageFolderDataset` items by mmengine's
    ``pseudo_collate`` (``inputs`` a list of ``(C, H, W)`` tensors,
    ``data_samples=dict(label=[...])``) or ``default_collate`` (``inputs`` a
    ``(N, C, H, W)`` tensor, ``data_samples=dict(label=(N, K) tensor)``); a
    list of per-sample ``dict(label=...)`` is also accepted.

    Output, on the model's device::

        dict(inputs=float32 (N, C, H, W) = uint8 / 127.5 - 1, in [-1, 1],
             labels=float32 (N, label_dim), or None when label_dim is 0 or
                    the batch has no labels)

    so 0 maps to -1, 255 to 1 and 127.5 to 0, exactly as NVlabs'
    ``img / 127.5 - 1``. Channels stay in file order (RGB or grayscale).
    The uint8 tensor is moved to the device before the conversion, which
    moves a quarter of the bytes.

    Args:
        non_blocking (bool): Copy to the device asynchronously. Defaults to
            False.
    """

    def __init__(self, non_blocking: bool = False) -> None:
        super().__init__(non_blocking=non_blocking)

    def forward(self, data: dict, training: bool = False) -> dict:
        """Stack, move and scale one batch.

        Args:
            data (dict): Collated batch with ``inputs`` and optional
                ``data_samples``.
            training (bool): Unused; the mapping is the same in training
                and evaluation. Defaults to False.

        Returns:
            dict: ``inputs`` float32 ``(N, C, H, W)`` in ``[-1, 1]`` and
            ``labels`` float32 ``(N, label_dim)`` or None.
        """
        if not isinstance(data, dict) or 'inputs' not in data:
            raise KeyError('GANDataPreprocessor expects a dict with an '
                           f'"inputs" key, got {type(data).__name__} '
                           f'{sorted(data) if isinstance(data, dict) else ""}')
        inputs = self._stack(data['inputs'], 'inputs')
        if inputs.dtype != torch.uint8 or inputs.dim() != 4:
            raise TypeError('GANDataPreprocessor expects uint8 images (N, C, '
                            f'H, W) in [0, 255], got {inputs.dtype} of shape '
                            f'{tuple(inputs.shape)}')
        inputs = inputs.to(self.device, non_blocking=self._non_blocking)
        inputs = self.normalize(inputs)
        labels = self._labels(data.get('data_samples'), inputs.shape[0])
        return dict(inputs=inputs, labels=labels)

    def normalize(self, inputs: torch.Tensor) -> torch.Tensor:
        """uint8 ``(N, C, H, W)`` -> float32 ``uint8 / 127.5 - 1``."""
        return inputs.float() / 127.5 - 1

    @staticmethod
    def _stack(items: Union[torch.Tensor, Sequence[torch.Tensor]],
               what: str) -> torch.Tensor:
        if isinstance(items, torch.Tensor):
            return items
        if not isinstance(items, (list, tuple)) or not items or not all(
                isinstance(t, torch.Tensor) for t in items):
            raise TypeError(f'{what} must be a tensor or a non-empty list of '
                            f'tensors, got {type(items).__name__}')
        shapes = {tuple(t.shape) for t in items}
        if len(shapes) > 1:
            raise ValueError(f'cannot stack {what} of different shapes '
                             f'{sorted(shapes)}')
        return torch.stack(list(items))

    def _labels(self, data_samples, batch_size: int) -> Optional[torch.Tensor]:
        if data_samples is None:
            return None
        if isinstance(data_samples, (list, tuple)):
            if not all(isinstance(s, dict) for s in data_samples):
                raise TypeError('data_samples must be a dict or a list of '
                                'dicts')
            if not all('label' in s for s in data_samples):
                return None
            label = [s['label'] for s in data_samples]
        elif isinstance(data_samples, dict):
            label = data_samples.get('label')
            if label is None:
                return None
        else:
            raise TypeError('data_samples must be a dict or a list of dicts, '
                            f'got {type(data_samples).__name__}')
        if isinstance(label, (list, tuple)):
            label = [torch.as_tensor(x, dtype=torch.float32) for x in label]
        labels = self._stack(label, 'labels').to(torch.float32)
        labels = labels.reshape(labels.shape[0], -1)
        if labels.shape[0] != batch_size:
            raise ValueError(f'{labels.shape[0]} labels for {batch_size} '
                             'images')
        if labels.shape[1] == 0:
            return None
        return labels.to(self.device, non_blocking=self._non_blocking)
