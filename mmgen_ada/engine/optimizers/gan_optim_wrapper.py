# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The optimizer wrapper of GAN phases: every gradient operation between the
backward passes of a phase and its optimizer step."""
from typing import Dict, List, Optional

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.optim import OptimWrapper
from torch import Tensor
from torch.optim import Optimizer

from mmgen_ada.registry import OPTIM_WRAPPERS

# Replacement of non-finite gradient entries before each step, as NVlabs
# stylegan2-ada-pytorch / stylegan3 ``training_loop.py``.
NONFINITE_REPLACEMENT = dict(nan=0.0, posinf=1e5, neginf=-1e5)


@OPTIM_WRAPPERS.register_module()
class GANOptimWrapper(OptimWrapper):
    """Optim wrapper of one GAN sub-model (G or D), one step per phase.

    A phase of a GAN iteration (e.g. StyleGAN2's Gmain, Greg, Dmain, Dreg)
    runs over ``accumulative_counts`` micro-batches, calling
    :meth:`update_params` once per micro-batch. Each call back-propagates the
    micro-batch loss divided by ``accumulative_counts``, so that, for
    micro-batches of equal size whose losses are means over their samples,
    the accumulated gradient is that of the whole batch. After the last
    micro-batch, :meth:`step` does, in this order:

    1. the cross-rank gradient average: one all-reduce of all gradients
       flattened into one tensor (as NVlabs stylegan3), only when more than
       one process runs;
    2. AMP: unscaling by the loss scaler (:class:`GANAmpOptimWrapper`), once;
    3. non-finite repair, ``nan -> 0``, ``+-inf -> +-1e5`` (NVlabs), the
       number of repaired entries being added to :attr:`num_nonfinite`;
    4. ``clip_grad`` (mmengine's, logged as ``grad_norm``);
    5. the optimizer step (skipped by the AMP scaler on inf/nan);

    then :meth:`update_params` zeroes the gradients.

    The count of an accumulation restarts with every phase: unlike
    mmengine's iteration-level accumulation, a step never spans iterations,
    so lazy-regularisation schedules and ADA's statistics stay per
    iteration. Models split their batch accordingly (StyleGAN2's
    ``batch_gpu``); the models bypass the DDP wrappers, so gradients are
    averaged here, not by DDP.

    Args:
        optimizer (Optimizer): The optimizer of the sub-model.
        accumulative_counts (int): Micro-batches per optimizer step (the
            per-process batch is split into this many). Defaults to 1.
        clip_grad (dict, optional): mmengine's ``clip_grad``, e.g.
            ``dict(max_norm=10)`` or ``dict(type='value', clip_value=1)``.
            Defaults to None (no clipping).
    """

    def __init__(self,
                 optimizer: Optimizer,
                 accumulative_counts: int = 1,
                 clip_grad: Optional[dict] = None) -> None:
        self._check_counts(accumulative_counts)
        # Named base: GANAmpOptimWrapper puts AmpOptimWrapper next in the MRO.
        OptimWrapper.__init__(
            self,
            optimizer=optimizer,
            accumulative_counts=accumulative_counts,
            clip_grad=clip_grad)
        self._num_nonfinite: Optional[Tensor] = None

    @staticmethod
    def _check_counts(value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError('accumulative_counts must be a positive int '
                             f'(micro-batches per step), got {value!r}')

    @property
    def accumulative_counts(self) -> int:
        """Micro-batches per optimizer step.

        Settable between steps (StyleGAN2 sets it from ``batch_gpu``).
        """
        return self._accumulative_counts

    @accumulative_counts.setter
    def accumulative_counts(self, value: int) -> None:
        self._check_counts(value)
        done = self._inner_count % self._accumulative_counts
        if done:
            raise RuntimeError(
                'accumulative_counts cannot change in the middle of an '
                f'accumulation ({done} of {self._accumulative_counts} '
                'micro-batches done)')
        self._accumulative_counts = value
        self._inner_count = 0

    # ------------------------------------------------------ accumulation
    def initialize_count_status(self, model: torch.nn.Module, init_counts: int,
                                max_counts: int) -> None:
        """Start counting micro-batches from zero.

        mmengine counts iterations here; a GAN step completes within its
        phase, so the iteration counters do not matter.
        """
        self._inner_count = 0
        self._max_counts = -1
        self._remainder_counts = -1

    def should_update(self) -> bool:
        """Whether the last :meth:`backward` completed an accumulation."""
        return self._inner_count % self._accumulative_counts == 0

    def should_sync(self) -> bool:
        """Whether the next :meth:`backward` completes an accumulation."""
        return (self._inner_count + 1) % self._accumulative_counts == 0

    def scale_loss(self, loss: Tensor) -> Tensor:
        """``loss / accumulative_counts``: the mean over micro-batches."""
        return loss / self._accumulative_counts

    def update_params(self,
                      loss: Tensor,
                      step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        """Back-propagate one micro-batch loss; step after the last one.

        Args:
            loss (Tensor): Scalar loss of the micro-batch (a mean over its
                samples).
            step_kwargs (dict, optional): Passed to the optimizer's step.
            zero_kwargs (dict, optional): Passed to ``zero_grad``.
        """
        self.backward(self.scale_loss(loss))
        if self.should_update():
            self.step(**(step_kwargs or {}))
            self.zero_grad(**(zero_kwargs or {}))

    def backward_part(self, loss: Tensor) -> None:
        """Back-propagate one term of the current micro-batch loss now.

        Lets a phase free the graph of one term before building the next
        (StyleGAN2's Dmain back-propagates its fake term before scoring the
        reals, as NVlabs does); the micro-batch still ends with
        :meth:`update_params` on the remaining terms, which alone counts
        towards ``accumulative_counts``. Same gradient as one
        :meth:`update_params` on the sum of the terms.

        Args:
            loss (Tensor): Scalar term of the micro-batch loss.
        """
        self.backward(self.scale_loss(loss))
        self._inner_count -= 1  # a part, not a micro-batch

    # --------------------------------------------------------------- step
    def _params_with_grad(self) -> List[torch.nn.Parameter]:
        return [
            p for group in self.optimizer.param_groups for p in group['params']
            if p.grad is not None and p.numel() > 0
        ]

    def step(self, **kwargs) -> None:
        """Average over ranks, unscale, repair, clip, then step.

        Does nothing when no parameter has a gradient.

        Args:
            kwargs: Passed to the optimizer's ``step``.
        """
        params = self._params_with_grad()
        if not params:
            return
        flat = torch.cat([p.grad.flatten() for p in params])
        if get_world_size() > 1:
            all_reduce(flat, op='mean')
        # The gradients become views of ``flat``: unscaling in place
        # updates it, and the repair below reaches every gradient.
        for p, grad in zip(params, flat.split([p.numel() for p in params])):
            p.grad = grad.view_as(p)
        self._unscale_grads()
        nonfinite = flat.numel() - torch.isfinite(flat).sum()
        torch.nan_to_num(flat, **NONFINITE_REPLACEMENT, out=flat)
        self._num_nonfinite = (
            nonfinite if self._num_nonfinite is None else self._num_nonfinite +
            nonfinite)
        if self.clip_grad_kwargs:
            self._clip_grad()
        self._step_optimizer(**kwargs)

    def _unscale_grads(self) -> None:
        """Undo the loss scaling (none without AMP)."""

    def _step_optimizer(self, **kwargs) -> None:
        self.optimizer.step(**kwargs)

    def pop_num_nonfinite(self) -> Tensor:
        """Non-finite gradient entries repaired since the last call.

        Returns:
            Tensor: int64 scalar on the gradients' device (0 on the CPU when
            no step happened).
        """
        count = self._num_nonfinite
        self._num_nonfinite = None
        return torch.zeros([], dtype=torch.int64) if count is None else count
