# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Time StyleGAN2 G (eval) and D forward passes against their alternatives.

All alternatives of a case run side by side in this process, alternating
call by call (``side_by_side.py``), and the table gives each one's speed-up
over the reference alternative: ``wall`` as median [min..max] of the
per-round ratios, ``cpu`` from this process's CPU time. Alternatives:

* G: ``auto`` (the per-device choice, :func:`choose_fused_modconv`), the
  ``fused`` and ``non-fused`` modulated convolution forced; with
  ``--baseline`` also the pre-issue-16 computation (``baseline_path``),
  which is then the reference (else ``fused``);
* D: ``fp32``; with ``--baseline`` the baseline path (D itself is
  unchanged, so this measures noise);
* both: ``bf16`` (a CPU bfloat16 autocast: the float16 layers compute in
  bfloat16) when the CPU has AMX/AVX512-BF16, or with ``--bf16 force``
  (emulated; numerics only, slow).

Outputs of every alternative are compared with the reference's
(max abs difference, printed). ``--profile`` adds ``torch.profiler`` top-op
tables of the reference and ``auto``.

Examples::

    python tools/analysis/benchmark_nets.py --baseline            # auto64, b8
    python tools/analysis/benchmark_nets.py --cases paper256x4 --rounds 3
"""
import argparse
import contextlib
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from side_by_side import (machine_line, markdown_table,  # noqa: E402
                          ratio_rows, time_side_by_side)

#: Network widths of the cases: NVlabs --cfg=auto (channel_base 16384 below
#: 512 px, 2-layer mapping) and the paper's config F at 256 px.
PRESETS = dict(
    auto64=dict(size=64, channel_base=16384, num_mlps=2),
    auto128=dict(size=128, channel_base=16384, num_mlps=2),
    paper256=dict(size=256, channel_base=32768, num_mlps=8),
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--cases',
        default='auto64x8',
        help='comma-separated PRESETxBATCH; presets: ' + ', '.join(PRESETS))
    parser.add_argument('--nets', default='G,D', help='G, D or G,D')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument(
        '--baseline',
        action='store_true',
        help='also time the pre-issue-16 path (the reference then)')
    parser.add_argument(
        '--bf16',
        default='auto',
        choices=['auto', 'force', 'off'],
        help='bf16 alternative: where the CPU has it, always (emulated), '
        'never')
    parser.add_argument(
        '--profile', action='store_true', help='print top ops per network')
    return parser.parse_args()


def build(preset: str):
    """G (eval) and D of a preset, with NVlabs' conv_clamp and fp16 layers."""
    from mmengine.registry import init_default_scope

    from mmgen_ada.registry import MODELS
    init_default_scope('mmgen_ada')
    p = PRESETS[preset]
    widths = dict(channel_base=p['channel_base'], channel_max=512)
    torch.manual_seed(0)
    G = MODELS.build(
        dict(
            type='StyleGANv2Generator',
            out_size=p['size'],
            style_channels=512,
            num_mlps=p['num_mlps'],
            conv_clamp=256,
            num_fp16_scales=4,
            **widths)).eval()
    D = MODELS.build(
        dict(
            type='StyleGAN2Discriminator',
            in_size=p['size'],
            conv_clamp=256,
            num_fp16_scales=4,
            mbstd_group_size=4,
            **widths)).eval()
    return G, D


def alternatives(args, net: str, G, D, batch: int, size: int) -> dict:
    """name -> (context factory, call) for one network."""
    from mmgen_ada.engine.optimizers.gan_amp_optim_wrapper import \
        cpu_has_fast_bfloat16
    from mmgen_ada.models.stylegan2.baseline_path import baseline_path
    gen = torch.Generator().manual_seed(1)
    null = contextlib.nullcontext
    bf16 = (lambda: torch.autocast('cpu', dtype=torch.bfloat16))
    use_bf16 = args.bf16 == 'force' or (args.bf16 == 'auto'
                                        and cpu_has_fast_bfloat16())
    bf16_name = 'bf16' if cpu_has_fast_bfloat16() else 'bf16 (emulated)'
    if net == 'G':
        ws = G.mapping(torch.randn(batch, 512, generator=gen), None)
        def g(fused=None):  # noqa: E306
            return lambda: G.synthesis(
                ws, noise_mode='const', fused_modconv=fused)
        alts = {}
        if args.baseline:
            alts['baseline'] = (baseline_path, g())
        alts.update({
            'fused': (null, g(True)),
            'non-fused': (null, g(False)),
            'auto': (null, g()),
        })
        if use_bf16:
            alts[bf16_name] = (bf16, g())
        return alts
    img = torch.randn(batch, 3, size, size, generator=gen)
    alts = {}
    if args.baseline:
        alts['baseline'] = (baseline_path, lambda: D(img))
    alts['fp32'] = (null, lambda: D(img))
    if use_bf16:
        alts[bf16_name] = (bf16, lambda: D(img))
    return alts


def profile_table(ctx, fn, rows: int = 12) -> str:
    from torch.profiler import ProfilerActivity, profile
    with torch.no_grad(), ctx():
        fn()
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            fn()
    return prof.key_averages().table(
        sort_by='self_cpu_time_total', row_limit=rows)


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    print(f'machine: {machine_line()}; torch {torch.__version__}, '
          f'{args.threads} threads')
    print('command: python tools/analysis/benchmark_nets.py ' +
          ' '.join(sys.argv[1:]))
    for case in args.cases.split(','):
        preset, batch = case.split('x')
        batch = int(batch)
        G, D = build(preset)
        size = PRESETS[preset]['size']
        for net in args.nets.split(','):
            alts = alternatives(args, net, G, D, batch, size)
            ref = 'baseline' if args.baseline else next(iter(alts))

            def wrap(ctx, fn):
                def call():
                    with torch.no_grad(), ctx():
                        return fn()
                return call

            calls = {name: wrap(*alt) for name, alt in alts.items()}
            outs = {name: call() for name, call in calls.items()}
            timings = time_side_by_side(calls, rounds=args.rounds, warmup=0)
            rows = ratio_rows(timings, ref)
            for row in rows:
                diff = (outs[row[0]].float() - outs[ref].float()).abs().max()
                row.append(f'{float(diff):.1e}')
            title = 'G eval forward' if net == 'G' else 'D forward'
            print(f'\n{title}, {preset} ({size}x{size}), batch {batch}, '
                  f'{args.rounds} rounds; speed-up = {ref} time / time')
            print(
                markdown_table([
                    'alternative', 'wall s (median)',
                    f'speed-up vs {ref}, wall [min..max]',
                    'speed-up, CPU time', 'max abs diff'
                ], rows))
            if args.profile:
                for name in dict.fromkeys([ref, 'auto' if net == 'G' else
                                           ref]):
                    print(f'\nprofile: {title}, {preset}, batch {batch}, '
                          f'{name}')
                    print(profile_table(*alts[name]))


if __name__ == '__main__':
    main()
