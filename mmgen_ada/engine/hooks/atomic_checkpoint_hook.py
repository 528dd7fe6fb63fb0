# Copyright (c) mmgen-ada contributors. All rights reserved.
"""A checkpoint hook after which a loadable checkpoint always remains."""
import inspect
import os
import os.path as osp
import re
from collections import deque
from typing import Any, FrozenSet, List, Tuple

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from mmgen_ada.engine.checkpoint import atomic_write, tmp_target
from mmgen_ada.registry import HOOKS

LAST_CHECKPOINT_FILE = 'last_checkpoint'


def _allowed_arguments() -> FrozenSet[str]:
    params = inspect.signature(CheckpointHook.__init__).parameters.values()
    return frozenset(p.name for p in params
                     if p.name != 'self' and p.kind is not p.VAR_KEYWORD)


class _DeferredRemoval:
    """A file backend whose deletions wait until :meth:`flush`.

    mmengine's best-checkpoint logic deletes the previous best before
    writing the new one; run through this proxy, the deletions happen after.
    """

    def __init__(self, backend) -> None:
        self._backend = backend
        self._pending: List[Tuple[str, str]] = []

    def remove(self, path: str) -> None:
        self._pending.append(('remove', path))

    def rmtree(self, path: str) -> None:
        self._pending.append(('rmtree', path))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)

    def flush(self) -> None:
        for method, path in self._pending:
            if self._backend.exists(path):
                getattr(self._backend, method)(path)
        self._pending.clear()


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` in an order that cannot lose data.

    mmengine deletes the oldest kept checkpoint *before* writing the new
    one and writes ``last_checkpoint`` in place, so a kill during a save can
    leave no checkpoint at all (``max_keep_ckpts=1``) and a
    ``last_checkpoint`` naming a deleted file. Here each save

    1. writes the new checkpoint atomically (temporary file, fsync, rename;
       ``backend_args=dict(backend='atomic_local')`` unless another backend
       is configured),
    2. then rewrites ``last_checkpoint`` atomically,
    3. and only then deletes checkpoints beyond ``max_keep_ckpts``.

    Best checkpoints (``save_best``) are likewise written before the
    previous best is deleted. The kept list saved in a checkpoint (message
    hub ``keep_ckpt_ids``) still includes the ones step 3 deletes, so a run
    killed between steps 2 and 3 deletes them when resumed. On start (``before_train``), leftover
    temporary files of killed writes to this run's checkpoints and
    ``last_checkpoint`` are removed.

    Args:
        **kwargs: The arguments of mmengine's ``CheckpointHook``
            (``interval``, ``by_epoch``, ``max_keep_ckpts``, ``save_last``,
            ...). Unknown names raise at build time (mmengine's hook
            accepts any keyword and fails at the first save).

    Raises:
        TypeError: For an unknown argument, naming it and the allowed ones.
    """

    ALLOWED_ARGUMENTS = _allowed_arguments()

    def __init__(self, **kwargs: Any) -> None:
        unknown = sorted(set(kwargs) - self.ALLOWED_ARGUMENTS)
        if unknown:
            raise TypeError(
                f'{type(self).__name__} got unknown argument(s) {unknown}; '
                f'allowed: {sorted(self.ALLOWED_ARGUMENTS)}')
        if kwargs.get('file_client_args') is None and kwargs.get(
                'backend_args') is None:
            kwargs['backend_args'] = dict(backend='atomic_local')
        super().__init__(**kwargs)

    def before_train(self, runner) -> None:
        """Set up as mmengine does; remove leftovers of killed writes."""
        super().before_train(runner)
        if is_main_process():
            self._remove_stale_tmp_files(runner)

    def _checkpoint_name_pattern(self) -> 're.Pattern':
        parts = self.filename_tmpl.split('{}')
        return re.compile('^' + r'\d+'.join(map(re.escape, parts)) + '$')

    def _remove_stale_tmp_files(self, runner) -> None:
        pattern = self._checkpoint_name_pattern()
        folders = {str(runner.work_dir)}
        if '://' not in str(self.out_dir):
            folders.add(str(self.out_dir))
        for folder in sorted(folders):
            if not osp.isdir(folder):
                continue
            for name in sorted(os.listdir(folder)):
                target = tmp_target(name)
                if target is None or not (target == LAST_CHECKPOINT_FILE
                                          or pattern.match(target)):
                    continue
                os.remove(osp.join(folder, name))
                runner.logger.info('Removed the leftover of an interrupted '
                                   f'checkpoint write: {name}')

    def _remove_checkpoint(self, step: int) -> None:
        path = self.file_backend.join_path(self.out_dir,
                                           self.filename_tmpl.format(step))
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):  # deepspeed checkpoints
            self.file_backend.rmtree(path)

    def _save_checkpoint_with_step(self, runner, step: int,
                                   meta: dict) -> None:
        """Save, then point ``last_checkpoint`` at it, then rotate."""
        keep = list(getattr(self, 'keep_ckpt_ids', ()))
        if self.max_keep_ckpts > 0:
            if not keep or keep[-1] != step:
                keep.append(step)
            # Saved untruncated: resuming from this checkpoint deletes the
            # surplus if this run is killed before it does.
            runner.message_hub.update_info('keep_ckpt_ids', list(keep))
        filename = self.filename_tmpl.format(step)
        path = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', path)
        runner.save_checkpoint(
            self.out_dir,
            filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args)
        self.last_ckpt = path
        if is_main_process():
            atomic_write(
                str(path).encode(),
                osp.join(runner.work_dir, LAST_CHECKPOINT_FILE))
        if self.max_keep_ckpts > 0:
            while len(keep) > self.max_keep_ckpts:
                old = keep.pop(0)
                if is_main_process():
                    self._remove_checkpoint(old)
            self.keep_ckpt_ids = deque(keep, self.max_keep_ckpts)
            runner.message_hub.update_info('keep_ckpt_ids', list(keep))

    def _save_best_checkpoint(self, runner, metrics) -> None:
        """mmengine's best-checkpoint logic, deleting only after saving."""
        backend = self.file_backend
        deferred = _DeferredRemoval(backend)
        self.file_backend = deferred
        try:
            super()._save_best_checkpoint(runner, metrics)
        finally:
            self.file_backend = backend
        if is_main_process():
            deferred.flush()
