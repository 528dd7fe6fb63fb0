# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Style-mixing matrix, as NVlabs style_mixing.py.

Example::

    python tools/style_mixing.py metfaces.pth --rows 85,100,75,458,1500 \\
        --cols 55,821,1789,293 --styles 0-6 --outdir out

Writes ``{row}-{col}.png`` for every cell (``{s}-{s}.png`` = seed s
unmixed) and ``grid.png`` (column seeds on top, row seeds on the left).
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

from mmgen_ada.apis import init_model, parse_num_range, style_mixing
from mmgen_ada.visualization import save_image


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Style mixing matrix')
    parser.add_argument(
        'checkpoint', help='mmgen-ada checkpoint or official NVlabs .pkl')
    parser.add_argument(
        '--config', help='model config (default: the one in the checkpoint)')
    parser.add_argument(
        '--rows', type=parse_num_range, required=True, help='row seeds')
    parser.add_argument(
        '--cols', type=parse_num_range, required=True, help='column seeds')
    parser.add_argument(
        '--styles',
        type=parse_num_range,
        default='0-6',
        help='indices of the styles copied from the columns (default 0-6)')
    parser.add_argument(
        '--trunc', type=float, default=1.0, help='truncation psi')
    parser.add_argument(
        '--class',
        dest='class_idx',
        type=int,
        help='class index (conditional models)')
    parser.add_argument(
        '--noise-mode', choices=['const', 'random', 'none'], default='const')
    parser.add_argument('--outdir', required=True, help='output folder')
    parser.add_argument(
        '--no-ema', action='store_true', help='use G instead of G_ema')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    model = init_model(args.config, args.checkpoint, args.device)
    print(f'Mixing {len(args.rows)} x {len(args.cols)} seeds...')
    images, grid = style_mixing(
        model,
        args.rows,
        args.cols,
        args.styles,
        truncation_psi=args.trunc,
        noise_mode=args.noise_mode,
        labels=args.class_idx,
        use_ema=not args.no_ema)
    os.makedirs(args.outdir, exist_ok=True)
    for (row, col), image in images.items():
        save_image(image, osp.join(args.outdir, f'{row}-{col}.png'))
    save_image(grid, osp.join(args.outdir, 'grid.png'))
    print(f'Wrote {len(images)} images and grid.png to {args.outdir}')


if __name__ == '__main__':
    main()
