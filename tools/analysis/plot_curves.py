# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Plot ADA p, r_t, losses and FID/KID of a run against kimg.

``python tools/analysis/plot_curves.py WORK_DIR [--out curves.png]``

Reads every ``<WORK_DIR>/<timestamp>/vis_data/scalars.json`` (one JSON
object per line, written by mmengine's LoggerHook; a resumed run adds a new
timestamp folder, later values win) or a single ``scalars.json`` given
directly. The x axis is the logged ``kimg`` when present; evaluation records,
which have no kimg, are placed by interpolating kimg over iterations. Without
any kimg, ``--batch`` (the global batch size) gives kimg = iter * batch /
1000.
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
    ('ADA r_t', r'(^|/)ada_r_?t$'),
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


def plot_curves(series: Dict[str, Tuple[np.ndarray, np.ndarray]],
                out: str,
                title: str = '') -> List[str]:
    """Draw the panels that have data into ``out`` (PNG).

    Returns:
        list[str]: Titles of the panels drawn.
    """
    panels = []
    for name, pattern in PANELS:
        keys = sorted(k for k in series if re.search(pattern, k))
        if keys:
            panels.append((name, keys))
    if not panels:
        raise ValueError('None of ada_p, ada_rt, loss*, */fid, */kid, '
                         'precision/recall is in the logs; found keys: '
                         f'{sorted(series)}.')
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(8, 2.6 * len(panels)),
        sharex=True,
        squeeze=False)
    for ax, (name, keys) in zip(axes[:, 0], panels):
        for key in keys:
            x, y = series[key]
            ax.plot(x, y, marker='o' if len(x) < 30 else None, ms=3, label=key)
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
    parser.add_argument('path', help='work dir, or a scalars.json file')
    parser.add_argument(
        '--out', help='output PNG (default: <work dir>/curves.png)')
    parser.add_argument(
        '--batch',
        type=int,
        help='global batch size, used when the logs have no kimg')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> str:
    args = parse_args(argv)
    files = find_scalar_files(args.path)
    series = collect_series(load_records(files), args.batch)
    out = args.out or osp.join(
        args.path if osp.isdir(args.path) else osp.dirname(args.path),
        'curves.png')
    drawn = plot_curves(
        series, out, title=osp.basename(osp.normpath(args.path)))
    print(f'Wrote {out} ({", ".join(drawn)}) from {len(files)} log file(s).')
    return out


if __name__ == '__main__':
    main()
