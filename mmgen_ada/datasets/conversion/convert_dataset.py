# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Convert a folder, zip or numpy arrays into an NVlabs-style dataset zip."""
import os.path as osp
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Tuple, Union

from mmgen_ada.image_size import SizeArg, compact_size

from ..decode_image import ImageDecodeError
from .dataset_zip_writer import DatasetZipWriter
from .image_preparer import ImagePreparer, ImageSkipped
from .image_source import ImageSource


@dataclass
class ConversionSummary:
    """What :func:`convert_dataset` wrote.

    Attributes:
        dest (str): Output zip.
        num_images (int): Images written.
        resolution (int | tuple[int, int]): Their side, or ``(H, W)`` if
            not square.
        num_channels (int): 3 (RGB) or 1 (grayscale).
        label_dim (int): Number of classes (class labels), vector length
            (vector labels) or 0.
        class_names (list[str] | None): Class names, if known.
        conversions (dict[str, list[str]]): Colour conversion note -> names
            of the source files it was applied to.
        skipped (list[tuple[str, str]]): ``(name, reason)`` of every source
            file left out.
    """
    dest: str
    num_images: int = 0
    resolution: SizeArg = 0
    num_channels: int = 0
    label_dim: int = 0
    class_names: Optional[List[str]] = None
    conversions: Dict[str, List[str]] = field(default_factory=OrderedDict)
    skipped: List[Tuple[str, str]] = field(default_factory=list)

    def format(self, max_names: int = 10) -> str:
        """Human-readable report, listing up to ``max_names`` names per
        conversion (all skipped files are listed)."""
        size = osp.getsize(self.dest) if osp.exists(self.dest) else 0
        mode = {3: 'RGB', 1: 'grayscale'}.get(self.num_channels, '?')
        lines = [
            f'Wrote {self.dest} ({size / 2**20:.1f} MiB)',
            f'  images:     {self.num_images}',
            f'  resolution: {_wxh(self.resolution)}',
            f'  channels:   {self.num_channels} ({mode})',
        ]
        if self.label_dim == 0:
            lines.append('  labels:     none')
        elif self.class_names is not None:
            lines.append(f'  labels:     {self.label_dim} classes '
                         f'{self.class_names}')
        else:
            lines.append(f'  labels:     dimension {self.label_dim}')
        for note, names in self.conversions.items():
            shown = ', '.join(names[:max_names])
            more = len(names) - max_names
            lines.append(f'  converted {note}: {len(names)} file(s): {shown}' +
                         (f', ... ({more} more)' if more > 0 else ''))
        if self.skipped:
            lines.append(f'  skipped {len(self.skipped)} file(s):')
            lines += [f'    {name}: {reason}' for name, reason in self.skipped]
        return '\n'.join(lines)


def convert_dataset(
    source: str,
    dest: str,
    resolution: Optional[SizeArg] = None,
    transform: Optional[str] = None,
    max_images: Optional[int] = None,
    grayscale: Optional[bool] = None,
    labels_from_subdirs: bool = False,
    skip_bad: bool = False,
    resize_filter: str = 'lanczos',
    wide_height: Optional[int] = None,
    compress_level: int = 0,
    extra_files: Optional[Mapping[str, Union[str, bytes]]] = None,
    progress: Optional[Callable[[int, int],
                                None]] = None) -> ConversionSummary:
    """Build a dataset zip that :class:`~mmgen_ada.datasets.
    ImageFolderDataset` loads.

    Sources are read by :class:`~.image_source.ImageSource` in sorted name
    order; each image is prepared by :class:`~.image_preparer.ImagePreparer`
    (colour conversion, crop, resize) and written by
    :class:`~.dataset_zip_writer.DatasetZipWriter` with its label.

    Args:
        source (str): Folder, ``.zip``, ``.npy`` or ``.npz``.
        dest (str): Output ``.zip``.
        resolution (int | tuple[int, int], optional): Output side (power of
            two) or ``(H, W)``, height first. Defaults to None (the first
            image's size).
        transform (str, optional): None, ``'center-crop'`` or
            ``'center-crop-wide'``. Defaults to None.
        max_images (int, optional): Stop after writing this many images.
            Defaults to None.
        grayscale (bool, optional): True: write 1-channel images; False:
            RGB; None: keep the channel count of the first source image (1
            for grayscale sources, else 3). Defaults to None.
        labels_from_subdirs (bool): Class labels from top-level folders.
            Defaults to False.
        skip_bad (bool): Report and skip unusable files instead of raising.
            Defaults to False.
        resize_filter (str): ``'lanczos'`` or ``'box'``. Defaults to
            ``'lanczos'``.
        wide_height (int, optional): Content height for
            ``center-crop-wide``. Defaults to None.
        compress_level (int): PNG compression level. Defaults to 0.
        extra_files (Mapping[str, str | bytes], optional): More files to
            store in the zip (e.g. a licence). Defaults to None.
        progress (Callable[[int, int], None], optional): Called with
            ``(done, total)`` after each source file. Defaults to None.

    Returns:
        ConversionSummary: What was written.

    Raises:
        ImageDecodeError: An unusable file without ``skip_bad``; the message
            names it.
        ValueError: Bad arguments, or no image could be written.
    """
    if max_images is not None and max_images < 1:
        raise ValueError(f'max_images must be >= 1, got {max_images}')
    if osp.abspath(source) == osp.abspath(dest):
        raise ValueError(f'source and destination are the same: {dest}')
    src = ImageSource(source, labels_from_subdirs=labels_from_subdirs)
    prepare = ImagePreparer(resolution, transform, grayscale, resize_filter,
                            wide_height)
    summary = ConversionSummary(dest=dest, class_names=src.class_names)
    labels = []
    try:
        with DatasetZipWriter(dest, compress_level) as writer:
            total = len(src.items)
            for done, item in enumerate(src.items, 1):
                try:
                    array, note = prepare(src.load(item), item.display)
                except ImageSkipped as e:
                    summary.skipped.append((item.display, str(e)))
                    continue
                except ImageDecodeError as e:
                    if not skip_bad:
                        raise
                    summary.skipped.append((item.display, str(e)))
                    continue
                if note is not None:
                    summary.conversions.setdefault(note,
                                                   []).append(item.display)
                name = writer.add_image(array)
                labels.append([name, item.label])
                summary.resolution = compact_size(array.shape[:2])
                summary.num_channels = array.shape[2]
                if progress is not None:
                    progress(done, total)
                if max_images is not None and writer.num_images >= max_images:
                    break
            if writer.num_images == 0:
                raise ValueError(f'{source}: no image could be converted; '
                                 f'{len(summary.skipped)} file(s) skipped')
            for name, data in (extra_files or {}).items():
                writer.add_file(name, data)
            summary.num_images = writer.num_images
            if src.has_labels:
                first = labels[0][1]
                if isinstance(first, int):
                    summary.label_dim = (
                        len(src.class_names) if src.class_names is not None
                        else max(lab for _, lab in labels) + 1)
                else:
                    summary.label_dim = len(first)
                writer.finish(labels, src.class_names)
            else:
                writer.finish(None)
    finally:
        src.close()
    return summary


def _wxh(resolution: SizeArg) -> str:
    """``'WxH'``, plus ``(width x height)`` when not square."""
    h, w = (resolution,
            resolution) if isinstance(resolution, int) else resolution
    return f'{w}x{h}' if h == w else f'{w}x{h} (width x height)'
