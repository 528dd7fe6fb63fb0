# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Training processes that test_checkpoint_kill.py kills with SIGKILL.

Run in children of a ``forkserver`` that has imported this module (and so
torch, mmengine and mmgen-ada) once, so each killed run starts in a
fraction of a second. Not a test module itself.
"""
import os
import re
import time
import uuid
from typing import Optional

import matplotlib.pyplot  # noqa: F401  (imported by mmengine's Visualizer)
import torch
import torch._dynamo  # noqa: F401  (imported by the first optimizer built)
from mmengine.config import Config

import checkpoint_toy  # noqa: F401  (registers the toy model and data)
from mmgen_ada.engine.checkpoint import tmp_target
from mmgen_ada.engine.checkpoint.checkpoint_config import registered_names
from mmgen_ada.engine.runner import build_runner

# Import every registry location (and the lazy imports above) now, in the
# forkserver, not in every child.
registered_names()

HERE = os.path.dirname(os.path.abspath(__file__))
TOY_CONFIG = os.path.join(HERE, 'checkpoint_toy_config.py')
WRITE_CHUNKS = 4  # a slowed write is split into this many pieces


def _is_checkpoint_write(fd: int) -> bool:
    """Whether ``fd`` is a temporary file of a checkpoint/last_checkpoint."""
    try:
        name = os.path.basename(os.readlink(f'/proc/self/fd/{fd}'))
    except OSError:
        return False
    target = tmp_target(name) or ''
    return target == 'last_checkpoint' or re.fullmatch(r'iter_\d+\.pth',
                                                       target) is not None


class SlowFile:
    """A binary file whose ``write`` goes in pieces with pauses between.

    Signals ``writing`` after the first piece, so the test can kill the
    process in the middle of a checkpoint or ``last_checkpoint`` write.
    """

    def __init__(self, raw, pause: float, writing) -> None:
        self._raw = raw
        self._pause = pause
        self._writing = writing

    def write(self, data: bytes) -> int:
        size = max(1, -(-len(data) // WRITE_CHUNKS))
        for start in range(0, len(data), size):
            self._raw.write(data[start:start + size])
            self._raw.flush()
            self._writing.set()
            time.sleep(self._pause)
        return len(data)

    def __getattr__(self, name):
        return getattr(self._raw, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._raw.close()


def toy_config(work_dir: str, max_keep: int, max_iters: int,
               **overrides) -> Config:
    """The toy config writing into ``work_dir``, resuming from its latest
    checkpoint if there is one."""
    cfg = Config.fromfile(TOY_CONFIG)
    cfg.merge_from_dict({
        'default_hooks.checkpoint.max_keep_ckpts': max_keep,
        'train_cfg.max_iters': max_iters,
        **overrides
    })
    cfg.work_dir = work_dir
    cfg.resume = True  # auto: the last_checkpoint, or a fresh start
    cfg.log_level = 'WARNING'
    cfg.experiment_name = f'kill-{uuid.uuid4().hex[:8]}'
    return cfg


def train(work_dir: str,
          max_keep: int,
          max_iters: int,
          writing=None,
          pause: float = 0.0,
          overrides: Optional[dict] = None) -> None:
    """Train the toy model; with ``writing``, every file write is slowed."""
    torch.set_num_threads(1)
    if writing is not None:
        real_fdopen = os.fdopen

        def slow_fdopen(fd, *args, **kwargs):
            raw = real_fdopen(fd, *args, **kwargs)
            if not _is_checkpoint_write(fd):
                return raw
            return SlowFile(raw, pause, writing)

        os.fdopen = slow_fdopen  # this child process only
    build_runner(
        toy_config(work_dir, max_keep, max_iters, **(overrides
                                                     or {}))).train()
