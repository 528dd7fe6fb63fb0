# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Plot ADA p, r_t, losses and FID/KID of one or more runs against kimg.

``python tools/analysis/plot_curves.py WORK_DIR [WORK_DIR ...]
[--labels A B ...] [--out curves.png]``

Reads every ``<WORK_DIR>/<timestamp>/vis_data/scalars.json`` (one JSON
object per line, written by mmengine's LoggerHook; a resumed run adds a new
timestamp folder, later values win) or a single ``scalars.json`` given
directly. A work dir's ``eval.json`` (written by
``tools/analysis/eval_checkpoints.py``) adds its per-checkpoint metrics under
a ``ckpt/`` prefix, e.g. ``ckpt/FID-Full/fid`` and ``ckpt/D_real_sign``
(drawn with r_t). The x axis is the logged ``kimg`` when present; evaluation
records, which have no kimg, are placed by interpolating kimg over
iterations. Without any kimg, ``--batch`` (the global batch size) gives
kimg = iter * batch / 1000. With several runs each panel overlays them, one
colour per run.
"""
import argparse
import glob
import json
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

#: Panel title -> regular expression of the scalar keys drawn in it.
PANELS = (
    ('ADA p', r'(^|/)ada_p$'),
    ('ADA r_t', r'(^|/)(ada_r_?t|D_real_sign)$'),
    ('losses', r'(^|/)loss'),
    ('FID', r'(^|/)fid$'),
    ('KID', r'(^|/)kid$'),
    ('precision / recall', r'(^|/)(precision|recall)$'),
)


def find_scalar_files(path: str) -> List[str]:
    """scalars.json files of a work dir (oldest run first), or ``path``."""
    if osp.isfile(path):
        return [path]
    files = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise FileNotFoundError(
            f'No <timestamp>/vis_data/scalars.json under {path!r}; pass a '
            'work dir written by tools/train.py or a scalars.json file.')
    return files


#: File name of eval_checkpoints.py results that a work dir may hold.
EVAL_FILE = 'eval.json'


def load_eval_records(work_dir: str) -> List[dict]:
    """Records of ``<work_dir>/eval.json`` (none without it).

    Each checkpoint's entry becomes ``{'step': iter, 'kimg': ...,
    'ckpt/<metric>': value}``; entries without ``iter`` are skipped.
    """
    path = osp.join(work_dir, EVAL_FILE)
    if not osp.isfile(path):
        return []
    with open(path, encoding='utf-8') as f:
        try:
            entries = json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f'{path} is not JSON: {err}') from err
    if not isinstance(entries, list):
        raise ValueError(f'{path}: expected a list of per-checkpoint results '
                         f'(tools/analysis/eval_checkpoints.py), got '
                         f'{type(entries).__name__}')
    records = []
    for entry in entries:
        if 'iter' not in entry:
            continue
        record = dict(step=entry['iter'])
        if 'kimg' in entry:
            record['kimg'] = entry['kimg']
        for key, value in entry.items():
            if key not in ('iter', 'kimg', 'checkpoint', 'eval_seconds'):
                record[f'ckpt/{key}'] = value
        records.append(record)
    return records


def load_records(files: Sequence[str]) -> List[dict]:
    """All JSON records of the files, in order; bad lines name the file."""
    records = []
    for file in files:
        with open(file, encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise ValueError(
                        f'{file}:{lineno} is not JSON: {err}') from err
    return records


def step_to_kimg(records: Sequence[dict], batch: Optional[int]):
    """A function iteration -> kimg.

    From the logged (step, kimg) pairs: interpolated inside, proportional
    (kimg / step of the nearest pair) outside, e.g. for an evaluation logged
    after the last training record. Without logged kimg: step * batch / 1000.
    """
    known = sorted({(r['step'], r['kimg'])
                    for r in records if 'kimg' in r and 'step' in r})
    if not known:
        if batch is None:
            raise ValueError('The logs have no "kimg"; pass --batch (the '
                             'global batch size) to use kimg = iter * batch '
                             '/ 1000.')
        return lambda step: step * batch / 1000
    steps = np.asarray([k[0] for k in known], float)
    kimg = np.asarray([k[1] for k in known], float)

    def convert(step: float) -> float:
        if steps[0] <= step <= steps[-1]:
            return float(np.interp(step, steps, kimg))
        i = 0 if step < steps[0] else -1
        return float(step * kimg[i] / steps[i]) if steps[i] else float(kimg[i])

    return convert


def collect_series(
        records: Sequence[dict],
        batch: Optional[int]) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
    """key -> (kimg, value) for every numeric scalar; later records win."""
    to_kimg = step_to_kimg(records, batch)
    series: Dict[str, Dict[float, float]] = {}
    for r in records:
        if 'step' not in r:
            continue
        x = float(r['kimg']) if 'kimg' in r else to_kimg(r['step'])
        for key, value in r.items():
            if key in ('step', 'kimg', 'iter', 'epoch') or \
                    not isinstance(value, (int, float)):
                continue
            series.setdefault(key, {})[x] = float(value)
    return {
        k: (np.asarray(sorted(v)), np.asarray([v[x] for x in sorted(v)]))
        for k, v in series.items()
    }


def plot_curves(runs: Dict[str, Dict[str, Tuple[np.ndarray, np.ndarray]]],
                out: str,
                title: str = '') -> List[str]:
    """Draw the panels that have data into ``out`` (PNG).

    Args:
        runs (dict): Run label -> the run's series (``collect_series``).
            A single series dict (key -> (kimg, value)) is accepted too.
        out (str): Output PNG path.
        title (str): Figure title.

    Returns:
        list[str]: Titles of the panels drawn.
    """
    if runs and all(isinstance(v, tuple) for v in runs.values()):
        runs = {'': runs}
    all_keys = sorted({k for series in runs.values() for k in series})
    panels = []
    for name, pattern in PANELS:
        keys = [k for k in all_keys if re.search(pattern, k)]
        if keys:
            panels.append((name, keys))
    if not panels:
        raise ValueError('None of ada_p, ada_rt, loss*, */fid, */kid, '
                         'precision/recall is in the logs; found keys: '
                         f'{all_keys}.')
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(8, 2.6 * len(panels)),
        sharex=True,
        squeeze=False)
    colours = plt.rcParams['axes.prop_cycle'].by_key()['color']
    styles = ('-', '--', ':', '-.')
    several = len(runs) > 1
    for ax, (name, keys) in zip(axes[:, 0], panels):
        for r, (run, series) in enumerate(runs.items()):
            for k, key in enumerate(k for k in keys if k in series):
                x, y = series[key]
                ax.plot(
                    x,
                    y,
                    styles[k % len(styles)] if several else '-',
                    color=colours[r % len(colours)] if several else None,
                    marker='o' if len(x) < 30 else None,
                    ms=3,
                    label=f'{run}: {key}' if run else key)
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc='best')
    axes[-1, 0].set_xlabel('kimg')
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return [name for name, _ in panels]


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Plot ADA p, r_t, losses and FID/KID against kimg.')
    parser.add_argument(
        'paths', nargs='+', help='work dirs and/or scalars.json files')
    parser.add_argument(
        '--labels',
        nargs='+',
        help='one legend label per path (default: the folder names)')
    parser.add_argument(
        '--out', help='output PNG (default: <first work dir>/curves.png)')
    parser.add_argument(
        '--batch',
        type=int,
        help='global batch size, used when the logs have no kimg')
    args = parser.parse_args(argv)
    if args.labels is not None and len(args.labels) != len(args.paths):
        parser.error(f'--labels gives {len(args.labels)} labels for '
                     f'{len(args.paths)} paths')
    return args


def _run_name(path: str) -> str:
    path = osp.normpath(path)
    return osp.basename(path if osp.isdir(path) else osp.dirname(path))


def main(argv: Optional[List[str]] = None) -> str:
    args = parse_args(argv)
    labels = args.labels or [_run_name(p) for p in args.paths]
    runs, num_files = {}, 0
    for label, path in zip(labels, args.paths):
        files = find_scalar_files(path)
        records = load_records(files)
        if osp.isdir(path):
            records += load_eval_records(path)
        runs[label if len(args.paths) > 1 else ''] = collect_series(
            records, args.batch)
        num_files += len(files)
    first = args.paths[0]
    out = args.out or osp.join(
        first if osp.isdir(first) else osp.dirname(first), 'curves.png')
    drawn = plot_curves(runs, out, title=' vs '.join(labels))
    print(f'Wrote {out} ({", ".join(drawn)}) from {num_files} log file(s) '
          f'of {len(args.paths)} run(s).')
    return out


if __name__ == '__main__':
    main()
