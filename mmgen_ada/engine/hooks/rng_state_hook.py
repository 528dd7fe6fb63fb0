# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Save and restore random number generator states for exact resume."""
import random
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import CheckpointHook, Hook

from mmgen_ada.registry import HOOKS

DATA_BATCH = Optional[dict]


def get_rng_states() -> Dict[str, Any]:
    """This process's python, numpy, torch (and CUDA) RNG states.

    Stored as tensors, ints and lists only, so ``torch.load`` with
    ``weights_only=True`` reads them back.
    """
    version, py_state, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    states = dict(
        python=[version, list(py_state), gauss],
        numpy=[
            kind,
            torch.from_numpy(keys.astype(np.int64)),
            int(pos),
            int(has_gauss),
            float(cached)
        ],
        torch=torch.get_rng_state(),
    )
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states['cuda'] = torch.cuda.get_rng_state()
    return states


def set_rng_states(states: Dict[str, Any]) -> None:
    """Inverse of :func:`get_rng_states`."""
    version, py_state, gauss = states['python']
    random.setstate((version, tuple(py_state), gauss))
    kind, keys, pos, has_gauss, cached = states['numpy']
    np.random.set_state(
        (kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(states['torch'])
    if 'cuda' in states and torch.cuda.is_available():
        torch.cuda.set_rng_state(states['cuda'])


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Checkpoint the RNG states of every rank and restore them on resume.

    mmengine re-seeds on resume but does not restore the generators' states,
    so latents, style-mixing cut-offs, noise and augmentations drawn after a
    resume differ from an uninterrupted run. This hook stores python, numpy,
    torch and CUDA states under ``checkpoint['rng_states']`` (a list, one
    entry per rank) and puts them back right before the first training
    iteration after resuming, i.e. after the loop has fast-forwarded the
    dataloader (that skip fetches data, which must not shift the states).

    The states are captured in ``after_train_iter`` (priority LOW: after the
    EMA, ADA and visualisation hooks, before CheckpointHook saves) on the
    iterations CheckpointHook will save; under DDP they are gathered from
    all ranks then. Checkpoints written at other moments (e.g. the best
    checkpoint after validation) carry the states of that moment on rank 0.
    Resuming with a different world size restores rank 0's states on rank 0
    only and warns.

    Checkpoints loaded with ``load_from`` (not resume) never restore states:
    they are restored only if the runner's iteration equals the
    checkpoint's.
    """

    priority = 'LOW'

    def __init__(self) -> None:
        self._captured: Optional[List[Dict[str, Any]]] = None
        self._to_restore: Optional[List[Dict[str, Any]]] = None
        self._restore_iter: Optional[int] = None

    @staticmethod
    def _checkpoint_will_save(runner) -> bool:
        for hook in runner.hooks:
            if isinstance(hook, CheckpointHook) and not hook.by_epoch:
                if (hook.every_n_train_iters(runner, hook.interval,
                                             hook.save_begin) or
                    (hook.save_last and hook.is_last_train_iter(runner))):
                    return True
        return False

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        """Capture (and under DDP gather) the states a checkpoint will hold."""
        if not self._checkpoint_will_save(runner):
            self._captured = None
            return
        states = get_rng_states()
        if get_world_size() > 1:
            self._captured = all_gather_object(states)
        else:
            self._captured = [states]

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Write the captured states (or rank 0's current ones)."""
        states = self._captured or [get_rng_states()]
        checkpoint['rng_states'] = states
        self._captured = None

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Remember the states; :meth:`before_train_iter` restores them."""
        states = checkpoint.get('rng_states')
        if not states:
            self._to_restore = None
            return
        self._to_restore = states
        self._restore_iter = checkpoint.get('meta', {}).get('iter')

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: DATA_BATCH = None) -> None:
        """Restore the states before the first iteration after resume."""
        if self._to_restore is None:
            return
        states, self._to_restore = self._to_restore, None
        if self._restore_iter is None or runner.iter != self._restore_iter:
            return  # load_from (fine-tuning), not a resume
        rank, world_size = get_rank(), get_world_size()
        if len(states) == world_size:
            set_rng_states(states[rank])
        else:
            runner.logger.warning(
                f'RNGStateHook: the checkpoint holds RNG states of '
                f'{len(states)} rank(s) but {world_size} are running; '
                'restoring rank 0 only (other ranks keep their seeds), so '
                'this resume is not bit-exact')
            if rank == 0:
                set_rng_states(states[0])
