# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Train and evaluate the limited-data comparison, then tabulate it.

``python tools/analysis/compare_limited_data.py run [--iters N]
[--fake-nums 1000] [--seeds 0 1] [--root work_dirs/limited_data]
[--dry-run]``
trains every arm of :data:`ARMS` once per seed, one process at a time,
seed-major (all arms with the first seed, then all with the next), so that
a partial run still gives a complete table for the first seeds. Each run
is ``tools/train.py CONFIG --cfg-options randomness.seed=S
train_cfg.max_iters=N default_hooks.checkpoint.interval=N`` (one checkpoint,
at the end) followed by ``tools/analysis/eval_checkpoints.py`` on that
checkpoint (FID/KID of ``--fake-nums`` G_ema fakes from the test loop's
fixed seed against the 1,000 training reals). The settings and both
command lines are kept in the run's ``compare.json``. A run whose
``eval.json`` already holds the final iteration is skipped (an error if it
was made with other settings); one whose final checkpoint exists is only
evaluated.

``python tools/analysis/compare_limited_data.py table [--root ...]
[--json OUT.json] [--markdown OUT.md]`` reads the ``eval.json`` files and
writes the per-seed values, their mean, and KID's spread over subsets.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

#: (arm name, config file name) in table order.
ARMS: Tuple[Tuple[str, str], ...] = (
    ('no augmentation', 'stylegan2_quickstart_1xb16_twemoji1k-32x32.py'),
    ('ADA', 'stylegan2-ada_quickstart_1xb16_twemoji1k-32x32.py'),
    ('DiffAugment',
     'stylegan2-diffaugment_quickstart_1xb16_twemoji1k-32x32.py'),
    ('APA', 'stylegan2-apa_quickstart_1xb16_twemoji1k-32x32.py'),
    ('ADA+LeCam', 'stylegan2-ada-lecam_quickstart_1xb16_twemoji1k-32x32.py'),
)
CONFIG_DIR = osp.join('configs', 'stylegan2')
FID_KEY = 'FID-Full/fid'
KID_KEY = 'KID-Full/kid'
KID_STD_KEY = 'KID-Full/kid_std'


def run_dir(root: str, config: str, seed: int) -> str:
    """Work dir of one run: ``<root>/<config stem>_seed<seed>``."""
    return osp.join(root, f'{osp.splitext(config)[0]}_seed{seed}')


def run_commands(config: str, work_dir: str, seed: int, iters: int,
                 fake_nums: int) -> Tuple[List[str], List[str]]:
    """The train and the evaluation command lines of one run.

    ``fake_nums`` sets the number of G_ema fakes of both metrics (FID and
    KID, the twemoji1k configs' ``test_evaluator``).
    """
    cfg_path = osp.join(CONFIG_DIR, config)
    train = [
        sys.executable, 'tools/train.py', cfg_path, '--work-dir', work_dir,
        '--cfg-options', f'randomness.seed={seed}',
        f'train_cfg.max_iters={iters}',
        f'default_hooks.checkpoint.interval={iters}'
    ]
    evaluate = [
        sys.executable, 'tools/analysis/eval_checkpoints.py', cfg_path,
        osp.join(work_dir, f'iter_{iters}.pth'), '--out',
        osp.join(work_dir, 'eval.json'), '--cfg-options',
        f'test_evaluator.metrics.0.fake_nums={fake_nums}',
        f'test_evaluator.metrics.1.fake_nums={fake_nums}'
    ]
    return train, evaluate


def _finished(work_dir: str, iters: int, fake_nums: int) -> bool:
    path = osp.join(work_dir, 'eval.json')
    settings = _read_settings(work_dir)
    if not osp.isfile(path) or settings is None:
        return False
    if (settings['iters'], settings['fake_nums']) != (iters, fake_nums):
        raise ValueError(
            f'{work_dir} was run with iters={settings["iters"]}, '
            f'fake_nums={settings["fake_nums"]}, not {iters}, {fake_nums}; '
            'use another --root or the same settings.')
    with open(path, encoding='utf-8') as f:
        return any(r.get('iter') == iters for r in json.load(f))


def _read_settings(work_dir: str) -> Optional[dict]:
    path = osp.join(work_dir, 'compare.json')
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def run_all(root: str, seeds: Sequence[int], iters: int, fake_nums: int,
            dry_run: bool) -> List[str]:
    """Train and evaluate every arm and seed, seed-major, one at a time.

    A failed run is reported and left; the next run starts.

    Returns:
        list[str]: The work dirs of the failed runs.
    """
    failed = []
    for seed in seeds:
        for arm, config in ARMS:
            work_dir = run_dir(root, config, seed)
            if _finished(work_dir, iters, fake_nums):
                print(
                    f'[{arm}, seed {seed}] done already: {work_dir}',
                    flush=True)
                continue
            train, evaluate = run_commands(config, work_dir, seed, iters,
                                           fake_nums)
            steps = [evaluate] if osp.isfile(
                osp.join(work_dir,
                         f'iter_{iters}.pth')) else [train, evaluate]
            for cmd in steps:
                print(f'[{arm}, seed {seed}] {" ".join(cmd)}', flush=True)
                if dry_run:
                    continue
                os.makedirs(work_dir, exist_ok=True)
                with open(osp.join(work_dir, 'compare.json'), 'w') as f:
                    json.dump(
                        dict(
                            seed=seed,
                            iters=iters,
                            fake_nums=fake_nums,
                            train=train,
                            eval=evaluate),
                        f,
                        indent=1)
                start = time.time()
                name = 'train' if cmd is train else 'eval'
                with open(osp.join(work_dir, f'{name}.log'), 'w') as log:
                    code = subprocess.run(
                        cmd, stdout=log, stderr=subprocess.STDOUT).returncode
                print(
                    f'[{arm}, seed {seed}] {name} took '
                    f'{time.time() - start:.0f} s, exit code {code}',
                    flush=True)
                if code != 0:
                    failed.append(work_dir)
                    break
    return failed


def collect(root: str, seeds: Sequence[int]) -> List[dict]:
    """The final metrics of every finished run under ``root``.

    Returns:
        list[dict]: One entry per arm (table order) with ``arm``, ``config``
        and ``runs``: per seed found, ``seed``, ``fake_nums``, ``iter``,
        ``kimg``, ``fid``, ``kid``, ``kid_std``, ``D_real_sign`` and ``eval_seconds`` of the
        last checkpoint in its ``eval.json``, and the ``train_command`` and
        ``eval_command`` of its ``compare.json`` (None where absent).

    Raises:
        KeyError: An ``eval.json`` lacks FID or KID; the message names the
            file and the keys it has.
    """
    table = []
    for arm, config in ARMS:
        runs = []
        for seed in seeds:
            path = osp.join(run_dir(root, config, seed), 'eval.json')
            if not osp.isfile(path):
                continue
            with open(path, encoding='utf-8') as f:
                last = max(json.load(f), key=lambda r: r['iter'])
            settings = _read_settings(run_dir(root, config, seed)) or {}
            missing = {FID_KEY, KID_KEY, KID_STD_KEY} - set(last)
            if missing:
                raise KeyError(f'{path}: no {sorted(missing)} in its last '
                               f'entry (keys: {sorted(last)}); evaluate with '
                               'the twemoji1k config\'s test_evaluator.')
            runs.append(
                dict(
                    seed=seed,
                    fake_nums=settings.get('fake_nums'),
                    iter=last['iter'],
                    kimg=last.get('kimg'),
                    fid=last[FID_KEY],
                    kid=last[KID_KEY],
                    kid_std=last[KID_STD_KEY],
                    D_real_sign=last.get('D_real_sign'),
                    eval_seconds=last.get('eval_seconds'),
                    train_command=_shown(settings.get('train')),
                    eval_command=_shown(settings.get('eval'))))
        table.append(dict(arm=arm, config=config, runs=runs))
    return table


def _shown(cmd: Optional[List[str]]) -> Optional[str]:
    """A command line as typed: ``python`` for the interpreter's path."""
    return None if cmd is None else ' '.join(['python'] + cmd[1:])


def _mean(values: List[float]) -> Optional[float]:
    return sum(values) / len(values) if values else None


def markdown(table: List[dict], seeds: Sequence[int]) -> str:
    """The table as markdown: per-seed FID and KID x 1e3 (± std over
    subsets), their means over seeds, each arm's range over seeds, and
    D's mean sign on the reals per seed (``a / b``)."""
    head = ['arm', 'kimg']
    head += [f'FID seed {s}' for s in seeds] + ['FID mean', 'FID range']
    head += [f'KID x 1e3 seed {s}' for s in seeds]
    head += ['KID x 1e3 mean', 'KID x 1e3 range', 'D_real_sign']
    lines = [
        '| ' + ' | '.join(head) + ' |', '| --- |' + ' ---: |' * (len(head) - 1)
    ]
    for entry in table:
        by_seed: Dict[int, dict] = {r['seed']: r for r in entry['runs']}
        kimgs = sorted({r['kimg'] for r in entry['runs']} - {None})
        row = [entry['arm'], '/'.join(f'{k:g}' for k in kimgs) or '-']
        fids = [by_seed[s]['fid'] for s in seeds if s in by_seed]
        kids = [by_seed[s]['kid'] * 1e3 for s in seeds if s in by_seed]
        row += [
            f'{by_seed[s]["fid"]:.1f}' if s in by_seed else 'not run'
            for s in seeds
        ]
        row += _summary(fids, '.1f')
        row += [
            f'{by_seed[s]["kid"] * 1e3:.1f} ± {by_seed[s]["kid_std"] * 1e3:.1f}'
            if s in by_seed else 'not run' for s in seeds
        ]
        row += _summary(kids, '.1f')
        row.append(' / '.join(
            _format(by_seed[s]['D_real_sign'], '.2f') if s in
            by_seed else 'not run' for s in seeds))
        lines.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(lines) + '\n'


def _format(value: Optional[float], fmt: str) -> str:
    return '-' if value is None else format(value, fmt)


def _summary(values: List[float], fmt: str) -> List[str]:
    """Mean and (max - min) of ``values``; '-' where there are too few."""
    mean = _mean(values)
    spread = max(values) - min(values) if len(values) > 1 else None
    return [
        '-' if mean is None else format(mean, fmt),
        '-' if spread is None else format(spread, fmt)
    ]


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    run = sub.add_parser('run', help='train and evaluate every arm and seed')
    table = sub.add_parser('table', help='tabulate the finished runs')
    for p in (run, table):
        p.add_argument('--root', default=osp.join('work_dirs', 'limited_data'))
        p.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    run.add_argument('--iters', type=int, required=True)
    run.add_argument(
        '--fake-nums',
        type=int,
        default=1000,
        help='G_ema fakes per FID/KID (default: 1000, the configs\')')
    run.add_argument(
        '--dry-run', action='store_true', help='print the commands only')
    table.add_argument('--json', help='write the collected values here')
    table.add_argument('--markdown', help='write the table here')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if args.command == 'run':
        if args.iters < 1:
            raise ValueError(f'--iters must be positive, got {args.iters}')
        failed = run_all(args.root, args.seeds, args.iters, args.fake_nums,
                         args.dry_run)
        if failed:
            sys.exit(f'Failed runs (see their train.log / eval.log): '
                     f'{failed}')
        return
    table = collect(args.root, args.seeds)
    text = markdown(table, args.seeds)
    print(text, end='')
    for out in (args.json, args.markdown):
        if out and osp.dirname(out):
            os.makedirs(osp.dirname(out), exist_ok=True)
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(table, f, indent=1)
            f.write('\n')
    if args.markdown:
        with open(args.markdown, 'w', encoding='utf-8') as f:
            f.write(text)


if __name__ == '__main__':
    main()
