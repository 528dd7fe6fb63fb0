# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The image dataset of StyleGAN2-ADA: a folder or zip of same-size images."""
import hashlib
import os
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset, force_full_init

from mmgen_ada.image_size import SizeArg, compact_size, parse_image_size
from mmgen_ada.registry import DATASETS, TRANSFORMS
from .dataset_json import read_dataset_json
from .decode_image import ImageDecodeError, decode_image
from .image_archive import IMAGE_EXTENSIONS, ImageArchive

DEFAULT_PIPELINE = (dict(type='LoadGANImage'), dict(type='PackGANInputs'))


@DATASETS.register_module()
class ImageFolderDataset(BaseDataset):
    """Images of one size in a folder or a ``.zip``, with optional labels.

    The layout is NVlabs' (``dataset_tool.py`` output, or any folder): every
    image file found recursively (sorted by relative path; hidden files and
    ``__MACOSX/`` skipped; extensions in
    :data:`~mmgen_ada.datasets.image_archive.IMAGE_EXTENSIONS`) is one image,
    and an optional root ``dataset.json`` holds the labels
    (``{"labels": [["a/b.png", 3], ...]}`` or ``{"labels": null}``). Class
    indices become one-hot vectors of length :attr:`label_dim`.

    All images must be 8-bit RGB or grayscale (palette images are read as
    RGB), with the same size and channel count as the first image. Both
    sides are powers of two, square or rectangular with an aspect ratio of
    at most 4:1 (e.g. 64 wide x 32 high, ``resolution=(32, 64)``: sizes
    are ``(H, W)``, height first, see :mod:`mmgen_ada.image_size`). Files
    that break this (transparent, 16-bit, corrupt, empty, wrong size or
    channels) raise an error naming the file when they are loaded (see
    :func:`~mmgen_ada.datasets.decode_image.decode_image`);
    ``tools/dataset_tool.py`` converts such data once.

    Each item after the default pipeline
    (``[LoadGANImage, PackGANInputs]``) is::

        dict(inputs=uint8 tensor (C, H, W) in [0, 255], RGB or grayscale,
             data_samples=dict(label=float32 tensor (label_dim,)))

    and :class:`~mmgen_ada.models.data_preprocessors.GANDataPreprocessor`
    maps a batch of them to ``[-1, 1]``. Before the pipeline, an item is
    the data info ``dict(img_path, source, flip, label, raw_idx,
    resolution, num_channels, sample_idx)``, ``resolution`` as
    :attr:`resolution`.

    The check that the dataset holds at least one batch is done by
    :class:`~mmgen_ada.datasets.GANBatchSampler`, which knows the batch size.

    Args:
        data_root (str): Folder or ``.zip`` file with the images.
        pipeline (Sequence[dict | Callable], optional): Transforms; dicts are
            built from the ``TRANSFORMS`` registry. Defaults to None, meaning
            ``[LoadGANImage, PackGANInputs]``.
        mirror (bool): Append an x-flipped copy of every image (NVlabs
            ``--mirror``): item ``n + k`` is item ``k`` flipped left-right,
            where ``n`` is the number of images. Defaults to False.
        use_labels (bool): Read labels from ``dataset.json``. When False, or
            when the dataset has no labels, :attr:`label_dim` is 0 and every
            label is an empty vector. Defaults to True.
        num_classes (int, optional): Length of the one-hot labels. Defaults to
            None: ``len(class_names)`` from ``dataset.json`` if present, else
            the largest class index + 1 (as NVlabs).
        max_size (int, optional): Use a random subset of at most this many
            images, chosen as NVlabs does (``RandomState(random_seed)``
            shuffle, keep the first ``max_size``, sort), before mirroring.
            Defaults to None (all images).
        random_seed (int): Seed of the ``max_size`` subset. Defaults to 0.
        resolution (int | tuple[int, int], optional): Expected image size,
            a side ``n`` (square) or ``(H, W)``; an error names the first
            image when it differs. Defaults to None (take the first image's
            size).
        test_mode (bool): mmengine test mode (a pipeline returning None is an
            error instead of a refetch). Defaults to False.
        lazy_init (bool): Defer listing the files to :meth:`full_init`.
            Defaults to False.
        serialize_data (bool): Keep the data infos serialised (shared by
            dataloader workers). Defaults to True.
    """

    def __init__(self,
                 data_root: str,
                 pipeline: Optional[Sequence[Union[dict, Callable]]] = None,
                 mirror: bool = False,
                 use_labels: bool = True,
                 num_classes: Optional[int] = None,
                 max_size: Optional[int] = None,
                 random_seed: int = 0,
                 resolution: Optional[SizeArg] = None,
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 serialize_data: bool = True) -> None:
        if not isinstance(data_root, (str, os.PathLike)) or not str(data_root):
            raise ValueError('data_root must be a folder or .zip path, got '
                             f'{data_root!r}')
        if max_size is not None and (not isinstance(max_size, int)
                                     or max_size < 1):
            raise ValueError(f'max_size must be a positive int or None, got '
                             f'{max_size!r}')
        if num_classes is not None and (not isinstance(num_classes, int)
                                        or num_classes < 1):
            raise ValueError('num_classes must be a positive int or None, '
                             f'got {num_classes!r}')
        if resolution is not None:
            resolution = parse_image_size(resolution, 'resolution', 1)
        self.mirror = bool(mirror)
        self.use_labels = bool(use_labels)
        self.num_classes = num_classes
        self.max_size = max_size
        self.random_seed = int(random_seed)
        self._expected_resolution = resolution
        self._image_names: List[str] = []
        self._labels: Optional[np.ndarray] = None
        self._class_names: Optional[List[str]] = None
        self._image_hw: Optional[Tuple[int, int]] = None
        self._num_channels: Optional[int] = None
        self._content_hash: Optional[str] = None
        if pipeline is None:
            pipeline = DEFAULT_PIPELINE
        pipeline = [
            TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline
        ]
        super().__init__(
            ann_file='',
            data_root=os.fspath(data_root),
            data_prefix=dict(),
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init,
            serialize_data=serialize_data)

    def load_data_list(self) -> List[dict]:
        """List the images, read the labels and the first image's shape."""
        archive = ImageArchive(self.data_root)
        names = archive.image_names()
        if not names:
            raise ValueError(f'{self.data_root}: no image files found (looked '
                             'recursively for extensions '
                             f'{list(IMAGE_EXTENSIONS)})')
        raw_idx = np.arange(len(names))
        if self.max_size is not None and len(names) > self.max_size:
            rng = np.random.RandomState(self.random_seed % (1 << 31))
            rng.shuffle(raw_idx)
            raw_idx = np.sort(raw_idx[:self.max_size])
        selected = [names[i] for i in raw_idx]

        labels = np.zeros((len(selected), 0), dtype=np.float32)
        meta = read_dataset_json(archive) if self.use_labels else None
        if meta is not None:
            labels = meta.vectors(selected, self.num_classes,
                                  archive.display_name)
            self._class_names = meta.class_names
        elif self.use_labels and self.num_classes is not None:
            raise ValueError(f'num_classes={self.num_classes} but '
                             f'{self.data_root} has no labels (no '
                             'dataset.json or "labels": null)')

        first = decode_image(
            archive.read_bytes(selected[0]), archive.display_name(selected[0]))
        height, width, channels = first.shape
        first_name = archive.display_name(selected[0])
        try:
            image_hw = parse_image_size((height, width), 'the image size', 1)
        except ValueError as exc:
            raise ImageDecodeError(
                f'{first_name}: images must have power-of-two sides (square, '
                'or rectangular up to 4:1), got '
                f'{width}x{height} (width x height); convert them with '
                'tools/dataset_tool.py --resolution WxH') from exc
        expected = self._expected_resolution
        if expected is not None and image_hw != expected:
            exp_h, exp_w = expected
            raise ImageDecodeError(
                f'{first_name}: expected resolution '
                f'{compact_size(expected)!r} ({exp_w}x{exp_h}, width x '
                f'height), got {width}x{height}')
        archive.close()

        resolution = compact_size(image_hw)
        self._image_names = selected
        self._labels = labels
        self._image_hw = image_hw
        self._num_channels = channels
        self._metainfo.update(
            resolution=resolution,
            num_channels=channels,
            label_dim=labels.shape[1],
            classes=self._class_names)

        data_list = []
        for flip in ((False, True) if self.mirror else (False, )):
            for i, name in enumerate(selected):
                data_list.append(
                    dict(
                        img_path=name,
                        source=self.data_root,
                        flip=flip,
                        label=labels[i],
                        raw_idx=int(raw_idx[i]),
                        resolution=resolution,
                        num_channels=channels))
        return data_list

    @property
    @force_full_init
    def resolution(self) -> SizeArg:
        """Image size: the side ``n`` if square, else ``(H, W)``."""
        return compact_size(self._image_hw)

    @property
    @force_full_init
    def image_hw(self) -> Tuple[int, int]:
        """Image size ``(H, W)`` in pixels (``(n, n)`` if square)."""
        return self._image_hw

    @property
    @force_full_init
    def num_channels(self) -> int:
        """Channels per image: 3 (RGB) or 1 (grayscale)."""
        return self._num_channels

    @property
    @force_full_init
    def label_dim(self) -> int:
        """Length of a label vector; 0 without labels."""
        return int(self._labels.shape[1])

    @property
    def cond_size(self) -> int:
        """Alias of :attr:`label_dim`, the generator's ``cond_size``."""
        return self.label_dim

    @property
    def has_labels(self) -> bool:
        """Whether items carry non-empty labels."""
        return self.label_dim > 0

    @property
    @force_full_init
    def class_names(self) -> Optional[List[str]]:
        """Class names from ``dataset.json``, or None."""
        return self._class_names

    @property
    @force_full_init
    def image_names(self) -> List[str]:
        """Relative names of the images used, without mirrored copies."""
        return list(self._image_names)

    @property
    @force_full_init
    def num_images(self) -> int:
        """Number of distinct image files used (before mirroring)."""
        return len(self._image_names)

    @force_full_init
    def content_hash(self) -> str:
        """A stable SHA-1 of what the dataset yields, for caching.

        Hashes, for every image used in order, its relative name and its
        bytes, then the mirror flag. Same files and options give the same
        hex digest on any machine; any change of an image, of the subset or
        of ``mirror`` changes it. Computed once (reads every file) and
        cached.

        Returns:
            str: 40 hexadecimal characters.
        """
        if self._content_hash is None:
            archive = ImageArchive(self.data_root)
            sha = hashlib.sha1(b'mmgen-ada ImageFolderDataset v1\0')
            for name in self._image_names:
                data = archive.read_bytes(name)
                sha.update(name.encode('utf-8') + b'\0')
                sha.update(len(data).to_bytes(8, 'little'))
                sha.update(data)
            sha.update(b'mirror=%d' % int(self.mirror))
            archive.close()
            self._content_hash = sha.hexdigest()
        return self._content_hash
