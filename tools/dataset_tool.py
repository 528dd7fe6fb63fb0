# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Convert images into a dataset zip for ``ImageFolderDataset``.

Examples::

    python tools/dataset_tool.py --source ~/metfaces/images \\
        --dest data/metfaces-1024x1024.zip
    python tools/dataset_tool.py --source ~/afhq/train --labels-from-subdirs \\
        --resolution 512 --dest data/afhq-512x512.zip
    python tools/dataset_tool.py --source cifar10.npz \\
        --dest data/cifar10-32x32.zip
    python tools/dataset_tool.py --source ~/landscapes \\
        --resolution 512x256 --transform center-crop \\
        --dest data/landscapes-256x512.zip   # 512 wide, 256 high

``--resolution`` is ``N`` (square) or ``WxH``, width first as in NVlabs'
``dataset_tool.py``; configs and the rest of the package give sizes as
``(H, W)``, height first (``resolution=(256, 512)`` for the example).

See docs/datasets.md for the formats; the work is done by
:func:`mmgen_ada.datasets.conversion.convert_dataset`.
"""
import argparse
import sys
from typing import List, Optional

from mmgen_ada.datasets import ImageDecodeError
from mmgen_ada.datasets.conversion import convert_dataset
from mmgen_ada.datasets.conversion.image_preparer import (RESIZE_FILTERS,
                                                          TRANSFORMS)
from mmgen_ada.image_size import SizeArg, compact_size, parse_wxh


def _resolution(text: str) -> SizeArg:
    """``--resolution N`` or ``WxH`` -> ``N`` or ``(H, W)``."""
    try:
        return compact_size(parse_wxh(text))
    except (TypeError, ValueError) as e:
        raise argparse.ArgumentTypeError(str(e)) from e


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a folder, zip, .npy or .npz of images into a '
        'dataset zip (NVlabs layout, dataset.json labels).')
    parser.add_argument(
        '--source',
        required=True,
        help='folder or .zip of images (recursive), or .npy/.npz of uint8 '
        'NHWC images (.npz: "images" and optional "labels")')
    parser.add_argument('--dest', required=True, help='output .zip')
    parser.add_argument(
        '--resolution',
        type=_resolution,
        metavar='N|WxH',
        help='output size in pixels: N for N x N, or WxH (width first, as '
        'NVlabs; e.g. 512x256 is 512 wide and 256 high, resolution=(256, '
        '512) in a config); powers of two, aspect at most 4:1; default: '
        'the size of the first image')
    parser.add_argument(
        '--transform',
        choices=TRANSFORMS,
        help='crop before resizing (needs --resolution): center-crop takes '
        "the largest centred crop of the output's aspect ratio; default: "
        "images must already have the output's aspect ratio")
    parser.add_argument(
        '--wide-height',
        type=int,
        help='content height for center-crop-wide (default: 3/4 of '
        '--resolution)')
    parser.add_argument(
        '--resize-filter',
        choices=sorted(RESIZE_FILTERS),
        default='lanczos',
        help='resampling filter (default: lanczos)')
    parser.add_argument(
        '--max-images', type=int, help='write at most this many images')
    channels = parser.add_mutually_exclusive_group()
    channels.add_argument(
        '--grayscale',
        dest='grayscale',
        action='store_const',
        const=True,
        help='write 1-channel grayscale images (default: the channel count '
        'of the source, 1 for grayscale, else 3)')
    channels.add_argument(
        '--rgb',
        dest='grayscale',
        action='store_const',
        const=False,
        help='write RGB images, also from a grayscale source')
    parser.add_argument(
        '--labels-from-subdirs',
        action='store_true',
        help='class labels from the top-level sub-folder names (sorted)')
    parser.add_argument(
        '--skip-bad',
        action='store_true',
        help='report and skip unreadable or unusable files (default: stop '
        'with an error naming the file)')
    parser.add_argument(
        '--compress-level',
        type=int,
        default=0,
        help='PNG compression 0-9 (default 0: fastest to decode, as NVlabs)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        summary = convert_dataset(
            args.source,
            args.dest,
            resolution=args.resolution,
            transform=args.transform,
            max_images=args.max_images,
            grayscale=args.grayscale,
            labels_from_subdirs=args.labels_from_subdirs,
            skip_bad=args.skip_bad,
            resize_filter=args.resize_filter,
            wide_height=args.wide_height,
            compress_level=args.compress_level)
    except (ImageDecodeError, ValueError, FileNotFoundError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    print(summary.format())
    return 0


if __name__ == '__main__':
    sys.exit(main())
