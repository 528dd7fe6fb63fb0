# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Input side of ``tools/dataset_tool.py``: images from a folder, a zip, or
numpy arrays, each with a name for messages and an optional label."""
import io
import os.path as osp
import warnings
from dataclasses import dataclass
from typing import List, Optional, Union

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..dataset_json import check_finite_vector, read_dataset_json
from ..decode_image import ImageDecodeError
from ..image_archive import ImageArchive

Label = Union[int, List[float]]


@dataclass
class SourceItem:
    """One input image.

    Attributes:
        name (str): Relative path in the folder/zip, or ``[i]`` for arrays.
        display (str): Full name used in messages (``src.zip:a/b.png``).
        label (int | list[float] | None): Its label, if the source has any.
    """
    name: str
    display: str
    label: Optional[Label] = None


class ImageSource:
    """Images to convert, from a folder, a ``.zip``, a ``.npy`` or a ``.npz``.

    * Folder / zip: every image file, recursively, sorted by relative path
      (see :func:`~mmgen_ada.datasets.image_archive.is_image_name`). Labels
      come from the source's ``dataset.json`` when present, or with
      ``labels_from_subdirs=True`` from the first path component: the sorted
      sub-folder names are the classes ``0, 1, ...``.
    * ``.npy``: a uint8 array ``(N, H, W, C)`` (``C`` in 1, 3, 4) or
      ``(N, H, W)``; no labels.
    * ``.npz``: the same array under key ``images`` (or the only array in
      the file) and optional labels under key ``labels``: ints ``(N,)``
      (class indices) or floats ``(N, K)``.

    Args:
        path (str): The source.
        labels_from_subdirs (bool): Derive class labels from top-level
            sub-folders. Defaults to False.

    Raises:
        ValueError: Unusable source or labels; the message names the file.
    """

    def __init__(self, path: str, labels_from_subdirs: bool = False) -> None:
        self.path = path
        self.class_names: Optional[List[str]] = None
        self._array: Optional[np.ndarray] = None
        self._archive: Optional[ImageArchive] = None
        ext = osp.splitext(path)[1].lower()
        if osp.isfile(path) and ext in ('.npy', '.npz'):
            if labels_from_subdirs:
                raise ValueError(f'{path}: --labels-from-subdirs needs a '
                                 'folder or zip source, not numpy arrays')
            self.kind = 'numpy'
            self.items = self._numpy_items(path, ext)
        else:
            self._archive = ImageArchive(path)
            self.kind = self._archive.kind
            self.items = self._archive_items(labels_from_subdirs)
        if not self.items:
            raise ValueError(f'{path}: no images found')

    @property
    def has_labels(self) -> bool:
        """Whether every item has a label."""
        return self.items[0].label is not None

    def _archive_items(self, labels_from_subdirs: bool) -> List[SourceItem]:
        archive = self._archive
        names = archive.image_names()
        items = [SourceItem(n, archive.display_name(n)) for n in names]
        meta = read_dataset_json(archive)
        if labels_from_subdirs:
            if meta is not None:
                raise ValueError(f'{self.path}: the source has dataset.json '
                                 'labels; drop --labels-from-subdirs to keep '
                                 'them')
            for item in items:
                if '/' not in item.name:
                    raise ValueError(
                        f'{item.display}: --labels-from-subdirs needs every '
                        'image inside a class sub-folder')
            self.class_names = sorted({i.name.split('/')[0] for i in items})
            index = {c: k for k, c in enumerate(self.class_names)}
            for item in items:
                item.label = index[item.name.split('/')[0]]
        elif meta is not None:
            for item in items:
                if item.name not in meta.labels:
                    raise ValueError(f'{item.display}: image has no label in '
                                     f'{meta.source}')
                item.label = meta.labels[item.name]
            self.class_names = meta.class_names
        return items

    def _numpy_items(self, path: str, ext: str) -> List[SourceItem]:
        labels = None
        try:
            if ext == '.npy':
                array = np.load(path, mmap_mode='r', allow_pickle=False)
            else:
                with np.load(path, allow_pickle=False) as npz:
                    keys = list(npz.keys())
                    if 'images' in npz:
                        array = npz['images']
                    elif len(keys) == 1:
                        array = npz[keys[0]]
                    else:
                        raise ValueError(
                            f'{path}: expected an "images" array (and '
                            f'optional "labels"), found keys {keys}')
                    if 'labels' in npz:
                        labels = npz['labels']
        except (OSError, EOFError) as e:
            raise ValueError(f'{path}: cannot read numpy file ({e})') from e
        if array.dtype != np.uint8:
            raise ValueError(f'{path}: images must be uint8 (N, H, W[, C]), '
                             f'got dtype {array.dtype}')
        if array.ndim == 3:
            array = array[..., None]
        if array.ndim != 4 or array.shape[-1] not in (1, 3, 4):
            raise ValueError(f'{path}: images must have shape (N, H, W) or '
                             f'(N, H, W, C) with C in 1, 3, 4 (NHWC), got '
                             f'{tuple(array.shape)}')
        self._array = array
        items = [
            SourceItem(f'[{i}]', f'{path}[{i}]') for i in range(len(array))
        ]
        if labels is not None:
            if len(labels) != len(array):
                raise ValueError(f'{path}: {len(labels)} labels for '
                                 f'{len(array)} images')
            if labels.ndim == 1 and np.issubdtype(labels.dtype, np.integer):
                if labels.size and labels.min() < 0:
                    raise ValueError(f'{path}: class labels must be >= 0')
                values = [int(x) for x in labels]
            elif labels.ndim == 2:
                values = [[float(x) for x in row] for row in labels]
                for i, row in enumerate(values):
                    check_finite_vector(row, f'{path}: labels[{i}]')
            else:
                raise ValueError(f'{path}: labels must be ints (N,) or '
                                 f'floats (N, K), got {labels.dtype} '
                                 f'{tuple(labels.shape)}')
            for item, value in zip(items, values):
                item.label = value
        return items

    def load(self, item: SourceItem) -> Image.Image:
        """Open and fully decode one image.

        Raises:
            ImageDecodeError: Empty, corrupt or truncated file; the message
                names it.
        """
        if self._array is not None:
            arr = np.asarray(self._array[int(item.name[1:-1])])
            # Mode from the shape: (H, W) -> L, (H, W, 3) -> RGB, 4 -> RGBA.
            return Image.fromarray(arr[..., 0] if arr.shape[-1] == 1 else arr)
        try:
            data = self._archive.read_bytes(item.name)
        except (OSError, ValueError) as e:
            raise ImageDecodeError(f'{item.display}: cannot read ({e})') \
                from e
        if not data:
            raise ImageDecodeError(f'{item.display}: empty file (0 bytes)')
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore', Image.DecompressionBombWarning)
                img = Image.open(io.BytesIO(data))
                img.load()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
                EOFError, Image.DecompressionBombError) as e:
            raise ImageDecodeError(f'{item.display}: cannot decode image '
                                   f'({type(e).__name__}: {e})') from e
        return img

    def close(self) -> None:
        """Release the zip handle."""
        if self._archive is not None:
            self._archive.close()
