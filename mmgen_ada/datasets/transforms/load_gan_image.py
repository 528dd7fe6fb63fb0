# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Load one dataset image from its folder or zip, checked and x-flipped."""
from typing import Dict, Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmgen_ada.registry import TRANSFORMS
from ..decode_image import ImageDecodeError, decode_image
from ..image_archive import ImageArchive


@TRANSFORMS.register_module()
class LoadGANImage(BaseTransform):
    """Read and decode ``results['img_path']`` from ``results['source']``.

    ``source`` is the dataset's folder or ``.zip``; zip handles are cached
    per source and reopened in each dataloader worker. Decoding is
    :func:`~mmgen_ada.datasets.decode_image.decode_image` (8-bit RGB or
    grayscale only; errors name the file). When the data info carries
    ``resolution`` (an int, or ``(H, W)``) / ``num_channels`` (as
    :class:`~mmgen_ada.datasets.ImageFolderDataset` infos do), an image of
    another size or channel count is an error naming the file. When
    ``results['flip']`` is true the image is flipped left-right; this is
    how the dataset's ``mirror`` copies are made, so it lives here and not
    in an optional transform that a custom pipeline could leave out.

    Required keys: ``img_path``, ``source``. Optional: ``flip``,
    ``resolution``, ``num_channels``.

    Added keys: ``img`` (uint8 ndarray ``(H, W, C)``, RGB or grayscale,
    ``[0, 255]``), ``img_shape`` and ``ori_shape`` (``(H, W)``).
    """

    def __init__(self) -> None:
        self._archives: Dict[str, ImageArchive] = {}

    def _archive(self, source: str) -> ImageArchive:
        archive = self._archives.get(source)
        if archive is None:
            archive = ImageArchive(source)
            self._archives[source] = archive
        return archive

    def transform(self, results: dict) -> Optional[dict]:
        """Load the image of one data info.

        Args:
            results (dict): Data info with ``img_path`` and ``source``.

        Returns:
            dict: ``results`` with ``img``, ``img_shape``, ``ori_shape``.
        """
        archive = self._archive(results['source'])
        name = results['img_path']
        shown = archive.display_name(name)
        img = decode_image(archive.read_bytes(name), shown)
        height, width, channels = img.shape
        resolution = results.get('resolution')
        if resolution is not None:
            # An int n (square) or (H, W), as ImageFolderDataset.resolution.
            exp_h, exp_w = ((resolution, resolution) if isinstance(
                resolution, int) else resolution)
            if (height, width) != (exp_h, exp_w):
                raise ImageDecodeError(
                    f'{shown}: image is {width}x{height} but the dataset '
                    f'resolution is {exp_w}x{exp_h} (width x height); all '
                    'images must have the same size (resize them with '
                    'tools/dataset_tool.py)')
        num_channels = results.get('num_channels')
        if num_channels is not None and channels != num_channels:
            raise ImageDecodeError(
                f'{shown}: image has {channels} channel(s) but the dataset '
                f'has {num_channels}; mixed RGB and grayscale images must be '
                'converted to one mode (tools/dataset_tool.py)')
        if results.get('flip', False):
            img = np.ascontiguousarray(img[:, ::-1])
        results['img'] = img
        results['img_shape'] = (height, width)
        results['ori_shape'] = (height, width)
        return results

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state['_archives'] = {}
        return state

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'
