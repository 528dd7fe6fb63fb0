# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Benchmark StyleGAN2(-ADA) training steps: s/iter, images/s, peak memory.

Each case runs in its own subprocess (so peak RSS is per case) and times
``--iters`` full training iterations of :class:`StyleGAN2` after
``--warmup`` iterations. With the default 16 iterations the average covers
one lazy R1 phase and four path-length phases, as in training. ADA runs at a
fixed ``p`` (no ADAHook), against the same step without augmentation
(plain StyleGAN2 discriminator) measured in the same run.

With ``--phases`` it instead times the four phases (Gmain, Greg, Dmain,
Dreg, each with its optimizer step) side by side in one process against
their alternatives: ``--baseline`` (the pre-issue-16 computations,
``baseline_path``, then the reference) and bf16 (``GANAmpOptimWrapper``
with a CPU bfloat16 autocast; where the CPU has AMX/AVX512-BF16, or
emulated with ``--bf16 force``), and with ``--cl-autograd``
``channels_last`` features in the training phases too (not the library's
rule; kept here to time it). The iteration row is the amortised
``Gmain + Dmain + Greg / 4 + Dreg / 16`` per round. ``--profile`` prints
the top ops of every phase, ``--dmain-peak`` the extra peak RSS of Dmain
per path, each in a fresh subprocess.

Examples::

    python tools/analysis/benchmark_train.py                 # CPU, defaults
    python tools/analysis/benchmark_train.py --device cuda \
        --channel-base 16384 --channel-max 512
    python tools/analysis/benchmark_train.py --phases --baseline \
        --cases 64x8 --channel-base 16384 --channel-max 512 \
        --style-channels 512 --rounds 5
"""
import argparse
import contextlib
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from side_by_side import (machine_line, markdown_table,  # noqa: E402
                          time_side_by_side)

#: Lazy intervals of the amortised iteration (NVlabs' defaults).
PL_INTERVAL, R1_INTERVAL = 4, 16

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
    parser.add_argument(
        '--phases',
        action='store_true',
        help='time the phases side by side (see above)')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--baseline', action='store_true')
    parser.add_argument(
        '--cl-autograd',
        action='store_true',
        help="also time 'new, CL+grad': channels_last features in the "
        'training phases too (G and D)')
    parser.add_argument(
        '--bf16', default='auto', choices=['auto', 'force', 'off'])
    parser.add_argument('--profile', action='store_true')
    parser.add_argument('--dmain-peak', action='store_true')
    parser.add_argument('--single', help=argparse.SUPPRESS)
    parser.add_argument('--single-dmain', help=argparse.SUPPRESS)
    return parser.parse_args()


def build_model(args: argparse.Namespace, res: int, batch: int, ada: bool):
    """The benchmarked StyleGAN2 (NVlabs conv_clamp 256, 4 fp16 scales)."""
    from mmengine.registry import init_default_scope

    from mmgen_ada.models import StyleGAN2
    torch_seed()
    init_default_scope('mmgen_ada')
    widths = dict(
        channel_base=args.channel_base,
        channel_max=args.channel_max,
        conv_clamp=256,
        num_fp16_scales=4)
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
    return StyleGAN2(
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


def torch_seed() -> None:
    import torch
    torch.manual_seed(0)


def phase_calls(model, wrappers: dict, batch: int, res: int) -> dict:
    """Gmain, Greg, Dmain, Dreg of ``model`` as calls, each with its step."""
    import torch
    data = dict(
        inputs=torch.randint(0, 256, (batch, 3, res, res), dtype=torch.uint8))
    real = model.data_preprocessor(data, True)['inputs']
    pl_batch = max(batch // model.pl_batch_shrink, 1)
    log = {}

    def logs():
        log.clear()
        return __import__('collections').defaultdict(list)

    def draws():
        return model._draw_latents(batch, None, pl_batch, real.shape[1:])

    def trainable(g: bool):
        model._set_trainable('generator', g)
        model._set_trainable('discriminator', not g)

    def gmain():
        trainable(True)
        model._g_phases(draws(), wrappers['generator'], 1, False, logs())

    def greg():
        trainable(True)
        d = draws()
        model._greg_phase([(d['pl_z'], d['pl_c'], d['pl_noise'])],
                          wrappers['generator'], logs())

    def dmain():
        trainable(False)
        d = draws()
        model._dmain_micro_batch((real, None, d['d_z'], d['d_c'], None),
                                 wrappers['discriminator'], False, logs())

    def dreg():
        trainable(False)
        model._dreg_phase([(real, None, None, None, None)],
                          wrappers['discriminator'], logs())

    return dict(Gmain=gmain, Greg=greg, Dmain=dmain, Dreg=dreg)


@contextlib.contextmanager
def channels_last_with_autograd():
    """``--cl-autograd``: ``channels_last`` features with autograd too.

    The library converts G's features to ``channels_last`` on CPU only
    without autograd (:func:`_use_channels_last`). This alternative also
    converts them in the training phases, and D's input features (its
    first block's images), so that it can be timed against the library's
    rule; it replaces the rule and ``DiscriminatorBlock.forward`` for the
    duration of the block.
    """
    import torch

    from mmgen_ada.models.stylegan2 import (discriminator_blocks,
                                            stylegan2_modules)
    from mmgen_ada.models.stylegan2.baseline_path import in_baseline_path
    rule = stylegan2_modules._use_channels_last
    block_forward = discriminator_blocks.DiscriminatorBlock.forward

    def always_on_cpu(x):
        return x.device.type == 'cpu' and not in_baseline_path()

    def forward(self, x, img, force_fp32=False):
        if img is not None and always_on_cpu(img):
            img = img.contiguous(memory_format=torch.channels_last)
        return block_forward(self, x, img, force_fp32)

    stylegan2_modules._use_channels_last = always_on_cpu
    discriminator_blocks.DiscriminatorBlock.forward = forward
    try:
        yield
    finally:
        stylegan2_modules._use_channels_last = rule
        discriminator_blocks.DiscriminatorBlock.forward = block_forward


def make_wrappers(model, bf16: bool, force: bool) -> dict:
    import torch

    from mmgen_ada.engine.optimizers import (GANAmpOptimWrapper,
                                             GANOptimWrapper)
    out = {}
    for name in ('generator', 'discriminator'):
        optim = torch.optim.Adam(
            getattr(model, name).parameters(), lr=2e-3, betas=(0.0, 0.99))
        out[name] = (
            GANAmpOptimWrapper(
                optimizer=optim, dtype='bfloat16', force_bf16=force)
            if bf16 else GANOptimWrapper(optim))
    return out


def run_phases(args: argparse.Namespace) -> None:
    """``--phases``: the four phases side by side, per case."""
    import torch

    from mmgen_ada.engine.optimizers.gan_amp_optim_wrapper import \
        cpu_has_fast_bfloat16
    from mmgen_ada.models.stylegan2.baseline_path import baseline_path
    torch.set_num_threads(args.threads)
    native = cpu_has_fast_bfloat16()
    use_bf16 = args.bf16 == 'force' or (args.bf16 == 'auto' and native)
    print(f'machine: {machine_line()}; torch {torch.__version__}, '
          f'{args.threads} threads')
    print('command: python tools/analysis/benchmark_train.py ' +
          ' '.join(sys.argv[1:]))
    for case in args.cases.split(','):
        res, batch = (int(v) for v in case.lower().split('x'))
        model = build_model(args, res, batch, ada=True)
        paths = {}
        if args.baseline:
            paths['baseline'] = (baseline_path, make_wrappers(
                model, False, False))
        paths['new'] = (contextlib.nullcontext,
                        make_wrappers(model, False, False))
        if args.cl_autograd:
            paths['new, CL+grad'] = (channels_last_with_autograd,
                                     make_wrappers(model, False, False))
        if use_bf16:
            paths['bf16' if native else 'bf16 (emulated)'] = (
                contextlib.nullcontext, make_wrappers(model, True, True))
        ref = next(iter(paths))
        calls = {}
        for path, (ctx, wrappers) in paths.items():
            for phase, fn in phase_calls(model, wrappers, batch, res).items():
                def call(ctx=ctx, fn=fn):
                    with ctx():
                        fn()
                calls[(phase, path)] = call
        timings = time_side_by_side(calls, rounds=args.rounds, warmup=1)
        phases = ['Gmain', 'Greg', 'Dmain', 'Dreg']
        weights = dict(Gmain=1, Greg=1 / PL_INTERVAL, Dmain=1,
                       Dreg=1 / R1_INTERVAL)
        for path in paths:  # the amortised iteration, per round
            timings[('iteration', path)] = [
                tuple(
                    sum(weights[ph] * timings[(ph, path)][r][k]
                        for ph in phases) for k in (0, 1))
                for r in range(args.rounds)
            ]
        rows = []
        for phase in phases + ['iteration']:
            ref_t = timings[(phase, ref)]
            for path in paths:
                t = timings[(phase, path)]
                wall = [a[0] / b[0] for a, b in zip(ref_t, t)]
                cpu = [a[1] / b[1] for a, b in zip(ref_t, t)]
                rows.append([
                    phase, path,
                    f'{statistics.median(x[0] for x in t):.3f}',
                    f'{statistics.median(wall):.2f} [{min(wall):.2f}..'
                    f'{max(wall):.2f}]', f'{statistics.median(cpu):.2f}'
                ])
        print(f'\nphases, {res}x{res}, batch {batch}, ADA bgc p={args.p}, '
              f'channel_base={args.channel_base} channel_max='
              f'{args.channel_max} style_channels={args.style_channels}, '
              f'{args.rounds} rounds; iteration = Gmain + Dmain + Greg/'
              f'{PL_INTERVAL} + Dreg/{R1_INTERVAL}; speed-up = {ref} time '
              '/ time')
        print(
            markdown_table([
                'phase', 'path', 'wall s (median)',
                f'speed-up vs {ref}, wall [min..max]', 'speed-up, CPU time'
            ], rows))
        if args.profile:
            from torch.profiler import ProfilerActivity, profile
            for phase in phases:
                with profile(activities=[ProfilerActivity.CPU]) as prof:
                    calls[(phase, 'new')]()
                print(f'\nprofile: {phase}, {res}x{res}, batch {batch}, new')
                print(prof.key_averages().table(
                    sort_by='self_cpu_time_total', row_limit=10))
        if args.dmain_peak:
            for path in ('baseline', 'new'):
                cmd = [sys.executable, __file__, '--single-dmain',
                       f'{res}:{batch}:{path}']
                for key in ('threads', 'p', 'channel_base', 'channel_max',
                            'style_channels'):
                    cmd += [f'--{key.replace("_", "-")}',
                            str(getattr(args, key))]
                proc = subprocess.run(cmd, capture_output=True, text=True)
                if proc.returncode != 0:
                    raise RuntimeError(proc.stderr[-3000:])
                print(f'Dmain {path}: ' + proc.stdout.strip().splitlines()[-1])


def run_single_dmain(args: argparse.Namespace) -> str:
    """Peak RSS growth over three Dmain phases, from the built model."""
    import torch

    from mmgen_ada.models.stylegan2.baseline_path import baseline_path
    res, batch, path = args.single_dmain.split(':')
    res, batch = int(res), int(batch)
    torch.set_num_threads(args.threads)
    model = build_model(args, res, batch, ada=True)
    calls = phase_calls(model, make_wrappers(model, False, False), batch, res)
    adam_mib = 2 * 4 * sum(
        p.numel() for p in model.discriminator.parameters()) / 2**20
    ctx = baseline_path if path == 'baseline' else contextlib.nullcontext
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across execve, so a
    # subprocess would report its parent's peak.
    before = _vm_hwm_kib()
    with ctx():
        for _ in range(3):
            calls['Dmain']()
    after = _vm_hwm_kib()
    return (f'peak RSS {after / 1024:.0f} MiB, {(after - before) / 1024:.0f} '
            f'MiB above the built model (of which D\'s Adam state '
            f'{adam_mib:.0f} MiB)')


def _vm_hwm_kib() -> int:
    """This process's peak resident set size (KiB), from /proc."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    raise RuntimeError('no VmHWM in /proc/self/status (Linux only)')


def run_single(args: argparse.Namespace) -> dict:
    """One case in this process: returns timings and peak memory."""
    import torch
    from mmengine.optim import OptimWrapperDict

    from mmgen_ada.engine.optimizers import GANOptimWrapper

    res, batch, ada = args.single.split(':')
    res, batch, ada = int(res), int(batch), ada == 'ada'
    torch.set_num_threads(args.threads)
    model = build_model(args, res, batch, ada)
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
    if args.single_dmain:
        print(run_single_dmain(args))
        return
    if args.phases:
        run_phases(args)
        return
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
