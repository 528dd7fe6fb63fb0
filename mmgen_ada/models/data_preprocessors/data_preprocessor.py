# Copyright (c) mmgen-ada contributors. All rights reserved.
"""MMagic's GAN data preprocessor name and arguments."""
from typing import List, Optional, Sequence, Union

import torch

from mmgen_ada.models.mmagic_compat import refuse_unless
from mmgen_ada.registry import MODELS
from .gan_data_preprocessor import GANDataPreprocessor

Number = Union[int, float]


def _per_channel(name: str, value: Union[Number, Sequence[Number]]) -> tuple:
    values = tuple(value) if isinstance(value, (list, tuple)) else (value, )
    if not values or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool)
            for v in values):
        raise ValueError(f'DataPreprocessor({name}={value!r}): expected a '
                         'number or a list of numbers, one per channel')
    return tuple(float(v) for v in values)


@MODELS.register_module(name=['DataPreprocessor', 'GenDataPreprocessor'])
class DataPreprocessor(GANDataPreprocessor):
    """:class:`GANDataPreprocessor` under MMagic's names and arguments.

    MMagic's GAN configs write ``data_preprocessor=dict(type=
    'DataPreprocessor')`` (MMGeneration 1.x: ``'GenDataPreprocessor'``),
    whose defaults ``mean=std=127.5`` map uint8 images to ``[-1, 1]``
    exactly as :class:`GANDataPreprocessor`. Other ``mean``/``std`` give
    ``(x - mean) / std`` per channel, as in MMagic. Images stay in the
    data's (RGB) channel order.

    Args:
        mean (float | Sequence[float]): Per-channel (or one) mean. Defaults
            to 127.5.
        std (float | Sequence[float]): Per-channel (or one) std, > 0.
            Defaults to 127.5.
        pad_size_divisor (int): 1 only (GAN images are not padded).
        pad_value (float): Accepted; unused without padding.
        pad_mode (str): Accepted; unused without padding.
        non_image_keys (str | list, optional): Accepted; the batches here
            hold only images and labels.
        non_concentate_keys (str | list, optional): As ``non_image_keys``.
        output_channel_order (str, optional): None or ``'RGB'`` (the data
            order here); ``'BGR'`` is refused.
        data_keys (str | list): Accepted; the images are the batch's
            ``inputs``. Defaults to ``'gt_img'``.
        input_view (tuple, optional): None only (MMagic's LIIF option).
        output_view (tuple, optional): None only.
        stack_data_sample (bool): Accepted (labels are always stacked).
        bgr_to_rgb (bool): MMGeneration's flag; False only (data is RGB).
        rgb_to_bgr (bool): MMGeneration's flag; False only.
        non_blocking (bool): Copy to the device asynchronously.
    """

    def __init__(self,
                 mean: Union[Number, Sequence[Number]] = 127.5,
                 std: Union[Number, Sequence[Number]] = 127.5,
                 pad_size_divisor: int = 1,
                 pad_value: Number = 0,
                 pad_mode: str = 'constant',
                 non_image_keys: Optional[Union[str, List[str]]] = None,
                 non_concentate_keys: Optional[Union[str, List[str]]] = None,
                 output_channel_order: Optional[str] = None,
                 data_keys: Union[str, List[str]] = 'gt_img',
                 input_view: Optional[tuple] = None,
                 output_view: Optional[tuple] = None,
                 stack_data_sample: bool = True,
                 bgr_to_rgb: bool = False,
                 rgb_to_bgr: bool = False,
                 non_blocking: bool = False) -> None:
        super().__init__(non_blocking=non_blocking)
        name = type(self).__name__
        refuse_unless(name, 'pad_size_divisor', pad_size_divisor, (1, ),
                      'GAN images are used at their size, not padded')
        refuse_unless(
            name, 'output_channel_order', output_channel_order, (None, 'RGB'),
            'the data, G and D are RGB here; MMagic writes '
            'BGR only to match its BGR-loaded data')
        for key, value in (('bgr_to_rgb', bgr_to_rgb), ('rgb_to_bgr',
                                                        rgb_to_bgr)):
            refuse_unless(name, key, value, (False, ),
                          'images are decoded as RGB and stay RGB here')
        for key, value in (('input_view', input_view), ('output_view',
                                                        output_view)):
            refuse_unless(name, key, value, (None, ),
                          'GAN images are (N, C, H, W) tensors')
        mean, std = _per_channel('mean', mean), _per_channel('std', std)
        if not all(s > 0 for s in std):
            raise ValueError(f'{name}(std={std}): must be > 0')
        self._mmagic_norm = None
        if (mean, std) != ((127.5, ), (127.5, )):
            self._mmagic_norm = (torch.tensor(mean).view(-1, 1, 1),
                                 torch.tensor(std).view(-1, 1, 1))

    def normalize(self, inputs: torch.Tensor) -> torch.Tensor:
        """uint8 ``(N, C, H, W)`` -> float32 ``(x - mean) / std`` (the
        parent's ``x / 127.5 - 1`` for the default 127.5)."""
        if self._mmagic_norm is None:
            return super().normalize(inputs)
        mean, std = (t.to(inputs.device) for t in self._mmagic_norm)
        channels = inputs.shape[1]
        if mean.shape[0] not in (1,
                                 channels) or std.shape[0] not in (1,
                                                                   channels):
            raise ValueError(
                f'DataPreprocessor: mean/std have {mean.shape[0]}/'
                f'{std.shape[0]} values for {channels}-channel images')
        return (inputs.float() - mean) / std
