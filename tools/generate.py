# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Generate images from a trained (or converted) model.

Examples::

    # seeds 0-35 and 85 with truncation 0.7, plus a grid of all of them
    python tools/generate.py work_dirs/x/iter_10000.pth --seeds 0-35,85 \\
        --trunc 0.7 --outdir out --grid
    # class 1 of a conditional model; the config is read from the checkpoint
    python tools/generate.py cifar10.pth --seeds 0-7 --class 1 --outdir out
    # render a projection result
    python tools/generate.py ffhq.pth --projected-w out/projected_w.npz \\
        --outdir out

Writes ``seed0000.png`` per seed (``proj00.png`` per projected w), and
``grid.png`` with ``--grid``. Seeds give the same z as NVlabs generate.py.
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

import numpy as np

from mmgen_ada.apis import init_model, parse_num_range, sample, synthesize
from mmgen_ada.visualization import make_image_grid, save_image


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Generate images')
    parser.add_argument(
        'checkpoint', help='mmgen-ada checkpoint or official NVlabs .pkl')
    parser.add_argument(
        '--config', help='model config (default: the one in the checkpoint)')
    parser.add_argument(
        '--seeds', type=parse_num_range, help='seeds, e.g. 0-35,85')
    parser.add_argument(
        '--trunc', type=float, default=1.0, help='truncation psi')
    parser.add_argument(
        '--class',
        dest='class_idx',
        type=int,
        help='class index (conditional models)')
    parser.add_argument(
        '--noise-mode', choices=['const', 'random', 'none'], default='const')
    parser.add_argument(
        '--projected-w', help='projected_w.npz to render instead of seeds')
    parser.add_argument('--outdir', required=True, help='output folder')
    parser.add_argument(
        '--grid', action='store_true', help='also write grid.png')
    parser.add_argument(
        '--no-ema', action='store_true', help='use G instead of G_ema')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    args = parser.parse_args(argv)
    if args.seeds is None and args.projected_w is None:
        parser.error('give --seeds or --projected-w')
    return args


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    model = init_model(args.config, args.checkpoint, args.device)
    os.makedirs(args.outdir, exist_ok=True)
    use_ema = not args.no_ema
    if args.projected_w is not None:
        if args.seeds is not None:
            print('--seeds is ignored with --projected-w')
        ws = np.load(args.projected_w)['w']
        images = synthesize(model, ws, args.noise_mode, use_ema,
                            args.batch_size)
        names = [f'proj{i:02d}.png' for i in range(len(images))]
    else:
        print(f'Generating {len(args.seeds)} images...')
        images = sample(
            model,
            seeds=args.seeds,
            labels=args.class_idx,
            truncation_psi=args.trunc,
            noise_mode=args.noise_mode,
            use_ema=use_ema,
            batch_size=args.batch_size,
            progress=True)
        names = [f'seed{seed:04d}.png' for seed in args.seeds]
    for name, image in zip(names, images):
        save_image(image, osp.join(args.outdir, name))
    if args.grid:
        save_image(make_image_grid(images), osp.join(args.outdir, 'grid.png'))
    print(f'\nWrote {len(names)} images to {args.outdir}')


if __name__ == '__main__':
    main()
