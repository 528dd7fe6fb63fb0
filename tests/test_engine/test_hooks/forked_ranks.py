# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Run a function on every rank of a 2-process gloo group, for hook tests.

The ranks are forked from the test process (no re-import, no pickling of
the test module), so the function may be any callable of the test module.
Each rank reports an exception through ``rank<N>.err`` in ``out_dir``,
which the assertion on its exit code then shows.
"""
import gc
import multiprocessing
import socket
import traceback
from pathlib import Path
from typing import Callable

import torch
import torch.distributed as dist


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _rank_main(rank: int, world_size: int, port: int, out_dir: str,
               fn: Callable, args: tuple) -> None:
    try:
        torch.set_num_threads(1)
        dist.init_process_group(
            'gloo',
            init_method=f'tcp://127.0.0.1:{port}',
            rank=rank,
            world_size=world_size)
        fn(rank, out_dir, *args)
        # Free fn's objects (a DDP reducer holds the group) before the
        # group: destroyed the other way round, a worker hung on exit about
        # one run in seven.
        gc.collect()
        dist.destroy_process_group()
    except BaseException:  # report to the parent, then fail the process
        (Path(out_dir) / f'rank{rank}.err').write_text(traceback.format_exc())
        raise


def run_forked_ranks(fn: Callable,
                     out_dir,
                     *args,
                     world_size: int = 2,
                     timeout: float = 240) -> None:
    """Call ``fn(rank, out_dir, *args)`` in a gloo group of ``world_size``
    forked processes, and assert that every one of them exited with 0."""
    port = free_port()
    ctx = multiprocessing.get_context('fork')
    procs = [
        ctx.Process(
            target=_rank_main,
            args=(rank, world_size, port, str(out_dir), fn, args))
        for rank in range(world_size)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=timeout)
    for rank, proc in enumerate(procs):
        if proc.is_alive():
            proc.kill()
        err = Path(out_dir) / f'rank{rank}.err'
        assert proc.exitcode == 0, (
            f'rank {rank} exit code {proc.exitcode}:\n'
            f'{err.read_text() if err.exists() else ""}')
