# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Stop a diverged run before it saves non-finite checkpoints."""
import math
import os.path as osp
from numbers import Number
from typing import List, Optional

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict

from mmgen_ada.registry import HOOKS
from .atomic_checkpoint_hook import LAST_CHECKPOINT_FILE

DATA_BATCH = Optional[dict]
_SHOWN = 5  # names per message


class TrainingDivergedError(RuntimeError):
    """Training produced non-finite losses, weights or optimizer state."""


def _nonfinite_losses(outputs: Optional[dict]) -> List[str]:
    """Names of the logged losses (keys containing 'loss') not finite."""
    bad = []
    for key, value in (outputs or {}).items():
        if 'loss' not in key.lower():
            continue
        if isinstance(value, torch.Tensor):
            value = value.detach()
            if bool(torch.isfinite(value).all()):
                continue
            shown = value.item() if value.numel() == 1 else 'non-finite'
        elif isinstance(value, Number):
            if math.isfinite(value):
                continue
            shown = value
        else:
            continue
        bad.append(f'{key}={shown}')
    return bad


def _sums_finite(tensors: List[torch.Tensor]) -> bool:
    """True if every tensor's sum is finite, which implies all elements are.

    One bandwidth-bound reduction per tensor and one host sync per device:
    much cheaper than ``isfinite`` per element. A non-finite sum may also be
    an overflow of finite values, so False only means "check exactly".
    """
    sums = {}
    for t in tensors:
        sums.setdefault(t.device, []).append(t.sum(dtype=torch.float32))
    return all(
        bool(torch.isfinite(torch.stack(group)).all())
        for group in sums.values())


def _nonfinite_tensors(named) -> List[str]:
    """Names of the floating-point tensors with a non-finite element."""
    named = [(n, t.detach()) for n, t in named
             if torch.is_tensor(t) and t.is_floating_point() and t.numel()]
    if _sums_finite([t for _, t in named]):
        return []
    return [n for n, t in named if not bool(torch.isfinite(t).all())]


def _optimizer_tensors(optim_wrapper):
    """(name, tensor) of the optimizer states (one or a dict of wrappers)."""
    if isinstance(optim_wrapper, OptimWrapperDict):
        wrappers = list(optim_wrapper.items())
    else:
        wrappers = [('', optim_wrapper)]
    for wrapper_name, wrapper in wrappers:
        optimizer = getattr(wrapper, 'optimizer', None)
        for i, state in enumerate(getattr(optimizer, 'state', {}).values()):
            for key, value in state.items():
                yield f'optimizer {wrapper_name} state {i}.{key}', value


@HOOKS.register_module()
class DivergenceGuardHook(Hook):
    """Stop training when losses or weights stop being finite.

    After each iteration (before ``CheckpointHook`` saves, and after the
    G_ema update) it checks the logged losses (entries of the train step's
    outputs whose name contains 'loss'), every floating-point parameter and
    buffer of the model (G_ema included) and the optimizer states.

    - Non-finite weights, buffers or optimizer states stop the run at once:
      they never recover, and the checkpoint hook may be about to save.
    - Non-finite losses stop it when they occur in ``patience`` consecutive
      iterations (isolated ones are harmless: the model zeroes non-finite
      gradients as NVlabs does).

    The error names what is non-finite and the last checkpoint written
    (the one ``--resume`` would use), which was finite when saved. Under
    DDP the decision is all-reduced so that every rank stops together.

    Args:
        patience (int): Consecutive iterations with non-finite losses that
            stop the run. Defaults to 3.
        check_weights (bool): Also check weights and optimizer states.
            Defaults to True.
    """

    priority = 'LOW'  # after GeneratorEMAHook (NORMAL), before saving

    def __init__(self, patience: int = 3, check_weights: bool = True) -> None:
        if isinstance(patience,
                      bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(
                f'DivergenceGuardHook: patience must be an int >= 1, got '
                f'{patience!r}')
        if not isinstance(check_weights, bool):
            raise TypeError('DivergenceGuardHook: check_weights must be a '
                            f'bool, got {check_weights!r}')
        self.patience = patience
        self.check_weights = check_weights
        self._streak = 0
        self._first_bad_iter: Optional[int] = None

    def _last_checkpoint(self, runner) -> str:
        path = osp.join(runner.work_dir, LAST_CHECKPOINT_FILE)
        if osp.isfile(path):
            with open(path) as f:
                return f.read().strip() or 'none'
        return 'none (no checkpoint saved in this work dir)'

    @staticmethod
    def _any_rank(*flags: bool) -> List[bool]:
        """Each flag OR-ed over all ranks (one all-reduce)."""
        if get_world_size() == 1:
            return list(flags)
        tensor = torch.tensor([float(f) for f in flags])
        all_reduce(tensor, op='max')
        return [bool(v) for v in tensor.tolist()]

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        """Count non-finite iterations and raise when the run diverged."""
        losses = _nonfinite_losses(outputs)
        weights: List[str] = []
        if self.check_weights:
            model = runner.model.module if is_model_wrapper(
                runner.model) else runner.model
            weights = _nonfinite_tensors(model.state_dict().items())
            weights += _nonfinite_tensors(
                _optimizer_tensors(runner.optim_wrapper))
        losses_bad, weights_bad = self._any_rank(bool(losses), bool(weights))
        if losses_bad:
            if self._streak == 0:
                self._first_bad_iter = runner.iter + 1
            self._streak += 1
        else:
            self._streak = 0
        if not weights_bad and self._streak < self.patience:
            return
        parts = []
        if self._streak:
            parts.append(
                f'non-finite losses for {self._streak} consecutive '
                f'iteration(s) from iteration {self._first_bad_iter}' +
                (f' ({", ".join(losses[:_SHOWN])})' if losses else ''))
        if weights_bad:
            more = (f' and {len(weights) - _SHOWN} more'
                    if len(weights) > _SHOWN else '')
            parts.append('non-finite weights/optimizer state' +
                         (f' ({", ".join(weights[:_SHOWN])}{more})'
                          if weights else ' on another rank'))
        message = (
            f'Training diverged at iteration {runner.iter + 1}: '
            f'{"; ".join(parts)}. Stopped before saving a checkpoint of '
            'this state. Last checkpoint (finite when saved): '
            f'{self._last_checkpoint(runner)}. Resume from it with a lower '
            'learning rate, or see docs/reliability.md.')
        runner.logger.error(message)
        raise TrainingDivergedError(message)
