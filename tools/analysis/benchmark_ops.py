# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Time the StyleGAN ops of ``mmgen_ada.ops`` against plain-torch baselines.

Each op runs forward and forward+backward at StyleGAN feature-map sizes and
is compared with a baseline measured in the same run on the same input, so
the ratio (op time / baseline time) is meaningful on any machine:

* ``upsample2d``/``downsample2d``/``filter2d`` (4x4 ``[1, 3, 3, 1]`` filter)
  vs a depthwise ``F.conv_transpose2d``/``F.conv2d`` with the same filter;
* ``bias_act`` (lrelu + bias) vs the unfused torch expression;
* ``conv2d_gradfix.conv2d`` (3x3, C->C) vs ``F.conv2d``;
* ``grid_sample_gradfix`` (``ref`` and ``auto``) vs ``F.grid_sample``;
* ``filtered_lrelu`` (up 2, down 2, 12-tap filters as in StyleGAN3) vs the
  plain bias + leaky ReLU it replaces (the price of alias-free filtering).

Usage::

    python tools/analysis/benchmark_ops.py --quick       # < 1 min, 2 CPUs
    python tools/analysis/benchmark_ops.py --sizes 8x512x16x16 8x256x64x64
    python tools/analysis/benchmark_ops.py --device cuda --impl auto
"""
import argparse
import math
import platform
import time
from typing import Callable, List, Tuple

import torch
import torch.nn.functional as F

from mmgen_ada.ops import (bias_act, conv2d_gradfix, downsample2d, filter2d,
                           filtered_lrelu, grid_sample_gradfix, mmcv_kernels,
                           setup_filter, upsample2d)

Shape = Tuple[int, int, int, int]
DEFAULT_SIZES = [
    '8x512x16x16', '8x512x32x32', '8x256x64x64', '8x128x128x128',
    '8x64x256x256'
]
QUICK_SIZES = ['2x128x16x16', '2x32x64x64']


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--sizes', nargs='+', default=None, help='NxCxHxW sizes to time')
    parser.add_argument(
        '--quick', action='store_true', help=f'use sizes {QUICK_SIZES}')
    parser.add_argument('--device', default='cpu', help='cpu or cuda')
    parser.add_argument(
        '--impl',
        default='auto',
        choices=['auto', 'ref', 'mmcv'],
        help='implementation of the mmgen_ada ops')
    parser.add_argument(
        '--repeats', type=int, default=5, help='timed runs (fastest shown)')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch.set_num_threads (default: unchanged)')
    parser.add_argument(
        '--ops', nargs='+', default=None, help='only these op names')
    return parser.parse_args()


def parse_size(text: str) -> Shape:
    parts = text.lower().split('x')
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise argparse.ArgumentTypeError(
            f'size must look like NxCxHxW (e.g. 8x512x16x16), got {text!r}')
    return tuple(int(p) for p in parts)


def time_ms(fn: Callable[[], object], device: torch.device,
            repeats: int) -> float:
    """Fastest wall time of ``fn`` in ms after one warm-up call.

    The minimum, not the mean, because on a shared machine other processes
    only ever add time.
    """

    def sync():
        if device.type == 'cuda':
            torch.cuda.synchronize(device)

    fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - start) * 1e3)
    return min(times)


def with_backward(fn: Callable[[torch.Tensor], torch.Tensor],
                  x: torch.Tensor) -> Callable[[], None]:
    """A closure running ``fn(x)`` and back-propagating a fixed gradient."""
    x = x.detach().requires_grad_(True)
    grad = torch.randn_like(fn(x.detach()))

    def run():
        x.grad = None
        fn(x).backward(grad)

    return run


def make_cases(shape: Shape, device: torch.device, impl: str) -> List[tuple]:
    """(name, op, baseline, baseline description) for one input shape."""
    n, c, h, w = shape
    f = setup_filter([1, 3, 3, 1], device=device)
    dw = f.flip([0, 1])[None, None].repeat(c, 1, 1, 1)  # correlation kernel
    dw_t = f[None, None].repeat(c, 1, 1, 1) * 4  # transposed conv kernel
    b = torch.randn(c, device=device)
    weight = torch.randn(c, c, 3, 3, device=device) / math.sqrt(9 * c)
    theta = torch.tensor([[0.9, 0.2, 0.05], [-0.2, 0.9, -0.05]],
                         device=device).expand(n, 2, 3)
    grid = F.affine_grid(theta, (n, c, h, w), align_corners=False)
    f12 = setup_filter([1, 3, 3, 1] * 3, device=device)  # 12-tap separable
    gs_impl = 'ref' if impl == 'ref' else 'auto'
    return [
        ('upsample2d', lambda x: upsample2d(x, f, impl=impl), lambda x: F.pad(
            F.conv_transpose2d(x, dw_t, stride=2, groups=c), [-1, -1, -1, -1]),
         'depthwise F.conv_transpose2d'),
        ('downsample2d', lambda x: downsample2d(x, f, impl=impl),
         lambda x: F.conv2d(x, dw, stride=2, padding=1, groups=c),
         'depthwise F.conv2d stride 2'),
        ('filter2d', lambda x: filter2d(x, f, impl=impl),
         lambda x: F.conv2d(F.pad(x, [2, 1, 2, 1]), dw, groups=c),
         'depthwise F.conv2d'),
        ('bias_act', lambda x: bias_act(x, b, act='lrelu', impl=impl),
         lambda x: F.leaky_relu(x + b.view(1, -1, 1, 1), 0.2) * math.sqrt(2),
         'unfused torch lrelu'),
        ('conv2d_gradfix',
         lambda x: conv2d_gradfix.conv2d(x, weight, padding=1),
         lambda x: F.conv2d(x, weight, padding=1), 'F.conv2d 3x3'),
        ('grid_sample_ref',
         lambda x: grid_sample_gradfix.grid_sample(x, grid, impl='ref'),
         lambda x: F.grid_sample(x, grid, align_corners=False),
         'F.grid_sample'),
        ('grid_sample_auto',
         lambda x: grid_sample_gradfix.grid_sample(x, grid, impl=gs_impl),
         lambda x: F.grid_sample(x, grid, align_corners=False),
         'F.grid_sample'),
        ('filtered_lrelu', lambda x: filtered_lrelu(
            x, f12, f12, b, up=2, down=2, padding=11, clamp=256., impl=impl),
         lambda x: (F.leaky_relu(x + b.view(1, -1, 1, 1), 0.2) * math.sqrt(2)
                    ).clamp(-256, 256), 'plain bias+lrelu'),
    ]


def main() -> None:
    args = parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    shapes = [parse_size(s) for s in sizes]
    print(f'torch {torch.__version__}, device {device}, '
          f'threads {torch.get_num_threads()}, impl {args.impl!r}, '
          f'mmcv kernels available: {mmcv_kernels.available()}, '
          f'{platform.processor() or platform.machine()}')
    header = (f'| {"op":<16} | {"size":<14} | {"fwd ms":>8} | '
              f'{"base ms":>8} | {"ratio":>6} | {"fwd+bwd ms":>10} | '
              f'{"base ms":>8} | {"ratio":>6} | baseline |')
    print(header)
    print('|' + '|'.join('-' * (len(col))
                         for col in header.split('|')[1:-1]) + '|')
    for shape in shapes:
        x = torch.randn(shape, device=device)
        for name, op, base, desc in make_cases(shape, device, args.impl):
            if args.ops and name not in args.ops:
                continue
            with torch.no_grad():
                t_op = time_ms(lambda: op(x), device, args.repeats)
                t_base = time_ms(lambda: base(x), device, args.repeats)
            tb_op = time_ms(with_backward(op, x), device, args.repeats)
            tb_base = time_ms(with_backward(base, x), device, args.repeats)
            size = 'x'.join(map(str, shape))
            print(f'| {name:<16} | {size:<14} | {t_op:8.2f} | {t_base:8.2f} '
                  f'| {t_op / t_base:6.2f} | {tb_op:10.2f} | {tb_base:8.2f} '
                  f'| {tb_op / tb_base:6.2f} | {desc} |')


if __name__ == '__main__':
    main()
