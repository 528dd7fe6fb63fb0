# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Time alternatives side by side in one process and print their ratios.

On a shared, busy machine absolute times drift by 2x within minutes, so the
alternatives run in alternation, one call each per round, and every ratio is
taken within a round (the same load for both) before the median and range
over rounds are reported. ``cpu`` ratios use this process's CPU time
(``time.process_time``), which ignores the time the process waited for a
core; ``wall`` ratios use ``time.perf_counter``.
"""
import platform
import statistics
import time
from typing import Callable, Dict, List, Tuple

Timings = Dict[str, List[Tuple[float, float]]]  # name -> [(wall, cpu)]


def time_side_by_side(fns: Dict[str, Callable[[], object]],
                      rounds: int = 5,
                      warmup: int = 1) -> Timings:
    """Call every function once per round, in turn, ``rounds`` times.

    Args:
        fns (dict[str, callable]): The alternatives, by name.
        rounds (int): Timed rounds. Defaults to 5.
        warmup (int): Untimed rounds first. Defaults to 1.

    Returns:
        dict[str, list[tuple[float, float]]]: ``(wall, cpu)`` seconds per
        round and alternative.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    out: Timings = {name: [] for name in fns}
    for r in range(rounds):
        # Alternate the order too, so no alternative always runs first.
        names = list(fns) if r % 2 == 0 else list(fns)[::-1]
        for name in names:
            wall, cpu = time.perf_counter(), time.process_time()
            fns[name]()
            out[name].append(
                (time.perf_counter() - wall, time.process_time() - cpu))
    return out


def ratio_rows(timings: Timings, reference: str) -> List[List[str]]:
    """Table rows: name, median wall s, speed-up vs ``reference`` (wall
    median [min..max] over rounds), speed-up in CPU time (median)."""
    ref = timings[reference]
    rows = []
    for name, times in timings.items():
        wall = [r[0] / t[0] for r, t in zip(ref, times)]
        cpu = [r[1] / t[1] for r, t in zip(ref, times)]
        rows.append([
            name, f'{statistics.median(t[0] for t in times):.3f}',
            f'{statistics.median(wall):.2f} [{min(wall):.2f}..'
            f'{max(wall):.2f}]', f'{statistics.median(cpu):.2f}'
        ])
    return rows


def markdown_table(header: List[str], rows: List[List[str]]) -> str:
    """``header`` and ``rows`` as a Markdown table."""
    lines = ['| ' + ' | '.join(header) + ' |',
             '| ' + ' | '.join('---' for _ in header) + ' |']
    lines += ['| ' + ' | '.join(row) + ' |' for row in rows]
    return '\n'.join(lines)


def machine_line() -> str:
    """CPU model and the flags that matter here (Linux /proc/cpuinfo)."""
    info = {}
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                key, _, value = line.partition(':')
                info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    model = info.get('model name') or platform.processor() or 'unknown CPU'
    flags = set(info.get('flags', '').split())
    wanted = ('avx2', 'avx512f', 'avx512_bf16', 'amx_bf16', 'amx_tile')
    have = ' '.join(f for f in wanted if f in flags) or 'none of ' + ', '.join(
        wanted)
    return f'{model}; flags: {have}'
