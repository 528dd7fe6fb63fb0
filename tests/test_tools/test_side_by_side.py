# Copyright (c) mmgen-ada contributors. All rights reserved.
"""tools/analysis/side_by_side.py: alternation and per-round ratios."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / 'tools' / 'analysis'))
import side_by_side  # noqa: E402


def test_alternatives_alternate_and_reverse_order():
    calls = []
    timings = side_by_side.time_side_by_side(
        dict(a=lambda: calls.append('a'), b=lambda: calls.append('b')),
        rounds=3,
        warmup=1)
    assert calls == ['a', 'b', 'a', 'b', 'b', 'a', 'a', 'b']
    assert [len(v) for v in timings.values()] == [3, 3]


def test_ratios_are_taken_within_rounds():
    # Round loads differ 10x; b is 2x faster than a in every round.
    timings = dict(
        a=[(1.0, 0.5), (10.0, 5.0), (4.0, 2.0)],
        b=[(0.5, 0.5), (5.0, 5.0), (1.0, 2.0)])
    rows = side_by_side.ratio_rows(timings, 'a')
    assert rows[0] == ['a', '4.000', '1.00 [1.00..1.00]', '1.00']
    assert rows[1] == ['b', '1.000', '2.00 [2.00..4.00]', '1.00']
    table = side_by_side.markdown_table(['x', 'y'], [['1', '2']])
    assert table == '| x | y |\n| --- | --- |\n| 1 | 2 |'
