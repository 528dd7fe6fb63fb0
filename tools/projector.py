# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Project an image into the W space of a trained generator.

Example::

    python tools/projector.py ffhq.pth --target face.png --num-steps 1000 \\
        --outdir out [--lpips-weights vgg16.pt]

The distance is NVlabs' VGG16 LPIPS when ``--lpips-weights`` points at
NVlabs' ``vgg16.pt``; otherwise (``--distance auto``) pixel + FID Inception
features if those weights are installed, else a multi-scale pixel MSE. The
one used is printed. Writes ``target.png``, ``proj.png`` (the projection,
const noise), ``projected_w.npz`` (``w``: (1, num_ws, C), render it with
``tools/generate.py --projected-w``) and, with ``--save-progress``,
``proj_progress.png`` (target, then the image at evenly spaced steps).
"""
import argparse
import os
import os.path as osp
import time
from typing import List, Optional

import numpy as np
import torch

from mmgen_ada.apis import (build_projection_distance, get_generator,
                            init_model, load_target_image, project, synthesize)
from mmgen_ada.visualization import save_image


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Project an image into W')
    parser.add_argument(
        'checkpoint', help='mmgen-ada checkpoint or official NVlabs .pkl')
    parser.add_argument(
        '--config', help='model config (default: the one in the checkpoint)')
    parser.add_argument('--target', required=True, help='target image file')
    parser.add_argument('--num-steps', type=int, default=1000)
    parser.add_argument('--seed', type=int, default=303)
    parser.add_argument('--w-avg-samples', type=int, default=10000)
    parser.add_argument(
        '--distance',
        choices=['auto', 'lpips', 'inception', 'pixel'],
        default='auto')
    parser.add_argument('--lpips-weights', help="NVlabs' vgg16.pt")
    parser.add_argument(
        '--inception-weights', help='FID Inception TorchScript file')
    parser.add_argument(
        '--class',
        dest='class_idx',
        type=int,
        help='class index (conditional models)')
    parser.add_argument(
        '--save-progress',
        type=int,
        default=0,
        metavar='N',
        help='write proj_progress.png with N intermediate frames')
    parser.add_argument('--outdir', required=True, help='output folder')
    parser.add_argument(
        '--no-ema', action='store_true', help='use G instead of G_ema')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    model = init_model(args.config, args.checkpoint, args.device)
    generator = get_generator(model, not args.no_ema)
    target = load_target_image(args.target, generator.out_size,
                               generator.out_channels)
    distance = build_projection_distance(args.distance, args.lpips_weights,
                                         args.inception_weights)
    distance.to(args.device)
    print(f'Distance: {distance.name}')

    report_every = max(1, args.num_steps // 20)

    def report(step: int, dist: float, loss: float) -> None:
        if step % report_every == 0 or step == args.num_steps:
            print(
                f'step {step:>5d}/{args.num_steps}: dist {dist:<8.4f} '
                f'loss {loss:<8.4f}',
                flush=True)

    start = time.perf_counter()
    ws_steps = project(
        generator,
        torch.from_numpy(target.transpose(2, 0, 1).copy()).to(args.device),
        distance,
        num_steps=args.num_steps,
        w_avg_samples=args.w_avg_samples,
        labels=args.class_idx,
        callback=report)
    print(f'Elapsed: {time.perf_counter() - start:.1f} s')

    os.makedirs(args.outdir, exist_ok=True)
    save_image(target, osp.join(args.outdir, 'target.png'))
    projected_w = ws_steps[-1:].cpu().numpy()
    save_image(
        synthesize(generator, projected_w)[0],
        osp.join(args.outdir, 'proj.png'))
    np.savez(osp.join(args.outdir, 'projected_w.npz'), w=projected_w)
    if args.save_progress > 0:
        idx = np.linspace(0, args.num_steps - 1,
                          min(args.save_progress, args.num_steps)).round()
        frames = synthesize(generator, ws_steps[idx.astype(int)].cpu())
        strip = np.concatenate([target] + list(frames), axis=1)
        save_image(strip, osp.join(args.outdir, 'proj_progress.png'))
    print(f'Wrote target.png, proj.png, projected_w.npz to {args.outdir} '
          f'(distance: {distance.name})')


if __name__ == '__main__':
    main()
