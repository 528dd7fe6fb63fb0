# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Throughput of the ADA augmentation pipe, with and without identity skipping.

For each batch shape and strength ``p`` the pipe (preset ``bgc`` by default)
runs forward and forward+backward (gradient w.r.t. the images, as for the
discriminator loss), once with ``skip_identity=True`` (only samples whose
drawn transform is not the identity are processed) and once with
``skip_identity=False`` (every sample goes through every enabled stage, like
the reference implementation), on the same inputs in the same run. Prints
images/s (median of ``--repeats`` timed runs, the two modes alternating
and drawing the same random parameters) and the speed-up ratio skip / full
as a Markdown table.

Usage::

    python tools/analysis/benchmark_augment.py              # CPU, defaults
    python tools/analysis/benchmark_augment.py --quick      # < 1 min
    python tools/analysis/benchmark_augment.py --device cuda --repeats 20
"""
import argparse
import platform
import statistics
import time
from typing import Callable, Dict, Tuple

import torch

from mmgen_ada.models.ada import AugmentPipe, preset_multipliers

Shape = Tuple[int, int, int, int]
DEFAULT_SHAPES = ['32x3x64x64', '8x3x256x256']
QUICK_SHAPES = ['8x3x32x32']
DEFAULT_PS = [0.0, 0.2, 0.6, 1.0]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--shapes',
        nargs='+',
        default=None,
        help=f'NxCxHxW batch shapes (default {DEFAULT_SHAPES})')
    parser.add_argument(
        '--ps',
        nargs='+',
        type=float,
        default=DEFAULT_PS,
        help='augmentation strengths p')
    parser.add_argument(
        '--preset', default='bgc', help='augmentation preset (e.g. bgcfnc)')
    parser.add_argument(
        '--quick', action='store_true', help=f'use shapes {QUICK_SHAPES}')
    parser.add_argument('--device', default='cpu', help='cpu or cuda')
    parser.add_argument(
        '--repeats', type=int, default=5, help='timed runs (median shown)')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch CPU threads (default: torch default)')
    return parser.parse_args()


def parse_shape(text: str) -> Shape:
    parts = text.lower().split('x')
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise ValueError(f'shape must look like 32x3x64x64, got {text!r}')
    return tuple(int(p) for p in parts)


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def make_case(pipe: AugmentPipe, x: torch.Tensor,
              backward: bool) -> Callable[[], None]:
    """One pipe call on ``x`` (same seed every time, so the same draws)."""
    weight = torch.randn_like(x[0])

    def run() -> None:
        torch.manual_seed(0)
        if backward:
            inp = x.detach().requires_grad_()
            (pipe(inp) * weight).sum().backward()
        else:
            with torch.no_grad():
                pipe(x)

    return run


def time_interleaved(cases: Dict[bool, Callable[[], None]],
                     device: torch.device, repeats: int) -> Dict[bool, float]:
    """Median seconds per case; cases alternate so they share the load."""
    times = {name: [] for name in cases}
    for fn in cases.values():  # warm-up
        fn()
    for _ in range(repeats):
        for name, fn in cases.items():
            _sync(device)
            start = time.perf_counter()
            fn()
            _sync(device)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    args = parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    shapes = [
        parse_shape(s) for s in (
            args.shapes or (QUICK_SHAPES if args.quick else DEFAULT_SHAPES))
    ]
    multipliers = preset_multipliers(args.preset)
    pipes = {
        skip: AugmentPipe(skip_identity=skip, **multipliers).to(device)
        for skip in (True, False)
    }
    print(f'# AugmentPipe ({args.preset}) throughput, images/s')
    print(f'device={device}, torch {torch.__version__}, '
          f'threads={torch.get_num_threads()}, {platform.processor() or "?"}'
          f', repeats={args.repeats} (median)\n')
    print('| batch | pass | p | skip identity | full path | ratio |')
    print('| --- | --- | --- | --- | --- | --- |')
    for shape in shapes:
        x = torch.rand(shape, device=device) * 2 - 1
        for backward in (False, True):
            for p in args.ps:
                for pipe in pipes.values():
                    pipe.p.fill_(p)
                seconds = time_interleaved(
                    {
                        skip: make_case(pipe, x, backward)
                        for skip, pipe in pipes.items()
                    }, device, args.repeats)
                speed = {skip: shape[0] / t for skip, t in seconds.items()}
                row = (f'| {"x".join(map(str, shape))} | '
                       f'{"fwd+bwd" if backward else "fwd"} | {p:g} | '
                       f'{speed[True]:.1f} | {speed[False]:.1f} | '
                       f'{speed[True] / speed[False]:.2f} |')
                print(row, flush=True)


if __name__ == '__main__':
    main()
