# Copyright (c) mmgen-ada contributors. All rights reserved.
"""A switch back to the computations StyleGAN2 used before issue 16.

Inside :func:`baseline_path` the modulated convolution forms the per-sample
kernels ``(N, O, I, kh, kw)`` to demodulate and follows NVlabs' rule for the
fused form on every device, and Dmain back-propagates its fake and real
terms together. Results are the same up to float rounding; the switch exists
so that benchmarks (``tools/analysis/benchmark_nets.py --baseline``,
``benchmark_train.py --baseline``) and tests run the old path beside the new
one in one process.
"""
import contextlib
from typing import Iterator

_depth = 0  # nesting depth of baseline_path()


@contextlib.contextmanager
def baseline_path() -> Iterator[None]:
    """Run StyleGAN2's convolutions and phases the pre-issue-16 way."""
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1


def in_baseline_path() -> bool:
    """Whether a :func:`baseline_path` block is active."""
    return _depth > 0


__all__ = ['baseline_path', 'in_baseline_path']
