# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Benchmark StyleGAN2(-ADA) training steps: s/iter, images/s, peak memory.

Each case runs in its own subprocess (so peak RSS is per case) and times
``--iters`` full training iterations of :class:`StyleGAN2` after
``--warmup`` iterations. With the default 16 iterations the average covers
one lazy R1 phase and four path-length phases, as in training. ADA runs at a
fixed ``p`` (no ADAHook), against the same step without augmentation
(plain StyleGAN2 discriminator) measured in the same run.

Examples::

    python tools/analysis/benchmark_train.py                 # CPU, defaults
    python tools/analysis/benchmark_train.py --device cuda \
        --channel-base 16384 --channel-max 512
"""
import argparse
import json
import resource
import subprocess
import sys
import time
from typing import List

CASES = [
    # (resolution, batch)
    (64, 8),
    (256, 4),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda'")
    parser.add_argument(
        '--threads', type=int, default=2, help='torch CPU threads')
    parser.add_argument(
        '--p', type=float, default=0.2, help='fixed ADA strength')
    parser.add_argument('--iters', type=int, default=16)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--channel-base', type=int, default=4096)
    parser.add_argument('--channel-max', type=int, default=128)
    parser.add_argument('--style-channels', type=int, default=128)
    parser.add_argument(
        '--cases',
        default=','.join(f'{r}x{b}' for r, b in CASES),
        help='comma-separated RESxBATCH, e.g. 64x8,256x4')
    parser.add_argument('--json', help='also write the results here')
    parser.add_argument('--single', help=argparse.SUPPRESS)
    return parser.parse_args()


def run_single(args: argparse.Namespace) -> dict:
    """One case in this process: returns timings and peak memory."""
    import torch
    from mmengine.optim import OptimWrapperDict
    from mmengine.registry import init_default_scope

    from mmgen_ada.engine.optimizers import GANOptimWrapper
    from mmgen_ada.models import StyleGAN2

    res, batch, ada = args.single.split(':')
    res, batch, ada = int(res), int(batch), ada == 'ada'
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    init_default_scope('mmgen_ada')
    widths = dict(channel_base=args.channel_base, channel_max=args.channel_max)
    disc = dict(
        type='StyleGAN2Discriminator',
        in_size=res,
        mbstd_group_size=4,
        **widths)
    if ada:
        disc.update(
            type='ADAStyleGAN2Discriminator',
            data_aug=dict(
                type='ADAAug', aug_pipeline='bgc', augment_initial_p=args.p))
    model = StyleGAN2(
        generator=dict(
            type='StyleGANv2Generator',
            out_size=res,
            style_channels=args.style_channels,
            num_mlps=2,
            **widths),
        discriminator=disc,
        r1_gamma=1.0,
        ema_config=dict(type='StyleGANEMA', ema_kimg=10.0,
                        batch_size=batch)).to(args.device)
    optim = OptimWrapperDict(
        **{
            name:
            GANOptimWrapper(
                torch.optim.Adam(
                    getattr(model, name).parameters(),
                    lr=2e-3,
                    betas=(0.0, 0.99)))
            for name in ('generator', 'discriminator')
        })
    data = dict(
        inputs=torch.randint(0, 256, (batch, 3, res, res), dtype=torch.uint8))

    def step():
        model.train_step(data, optim)
        model.generator_ema.update_parameters(model.generator)

    def sync():
        if args.device.startswith('cuda'):
            torch.cuda.synchronize()

    for _ in range(args.warmup):
        step()
    sync()
    if args.device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    # Restart the lazy-regularisation schedule so the timed window holds
    # exactly iters/16 R1 and iters/4 path-length phases.
    model.num_batches.zero_()
    start = time.perf_counter()
    for _ in range(args.iters):
        step()
    sync()
    seconds = (time.perf_counter() - start) / args.iters
    out = dict(
        resolution=res,
        batch=batch,
        ada=ada,
        p=args.p if ada else None,
        s_per_iter=seconds,
        images_per_s=batch / seconds,
        peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if args.device.startswith('cuda'):
        out['peak_cuda_mib'] = torch.cuda.max_memory_allocated() / 2**20
    return out


def main() -> None:
    args = parse_args()
    if args.single:
        print(json.dumps(run_single(args)))
        return
    results: List[dict] = []
    for case in args.cases.split(','):
        res, batch = (int(v) for v in case.lower().split('x'))
        for mode in ('noaug', 'ada'):
            cmd = [
                sys.executable, __file__, '--single', f'{res}:{batch}:{mode}'
            ]
            for key in ('device', 'threads', 'p', 'iters', 'warmup',
                        'channel_base', 'channel_max', 'style_channels'):
                cmd += [f'--{key.replace("_", "-")}', str(getattr(args, key))]
            print(f'running {res}x{res} batch {batch} {mode} ...', flush=True)
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f'case {case} {mode} failed:\n'
                                   f'{proc.stderr[-3000:]}')
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))

    print(f'\ndevice={args.device} threads={args.threads} '
          f'channel_base={args.channel_base} '
          f'channel_max={args.channel_max} '
          f'style_channels={args.style_channels} iters={args.iters}')
    print('| resolution | batch | D augmentation | s/iter | images/s | '
          'peak RSS (MiB) | ADA / no-aug time |')
    print('| --- | --- | --- | --- | --- | --- | --- |')
    base = {}
    for r in results:
        key = (r['resolution'], r['batch'])
        if not r['ada']:
            base[key] = r['s_per_iter']
        ratio = r['s_per_iter'] / base[key] if r['ada'] else 1.0
        aug = f"ADA bgc, p={r['p']}" if r['ada'] else 'none'
        print(f"| {r['resolution']}x{r['resolution']} | {r['batch']} | "
              f"{aug} | {r['s_per_iter']:.3f} | {r['images_per_s']:.1f} | "
              f"{r['peak_rss_mib']:.0f} | {ratio:.2f} |")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(args=vars(args), results=results), f, indent=1)


if __name__ == '__main__':
    main()
