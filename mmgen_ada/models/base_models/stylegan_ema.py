# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Exponential moving average of generator weights as in StyleGAN2-ADA."""
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseAveragedModel
from torch import Tensor

from mmgen_ada.registry import MODELS


@MODELS.register_module()
class StyleGANEMA(BaseAveragedModel):
    """G_ema with a half-life measured in images, and optional ramp-up.

    After every training iteration (driven by
    :class:`~mmgen_ada.engine.hooks.GeneratorEMAHook`) each parameter moves as
    ``p_ema <- p + beta * (p_ema - p)`` with

    .. code-block:: none

        cur_nimg = steps * batch_size  # real images before this update
        ema_nimg = ema_kimg * 1000
        if ema_rampup is not None:
            ema_nimg = min(ema_nimg, cur_nimg * ema_rampup)
        beta = 0.5 ** (batch_size / max(ema_nimg, 1e-8))

    exactly as NVlabs' ``training_loop.py``: ``batch_size`` is the global
    batch (all ranks), ``steps`` is mmengine's checkpointed update counter,
    so the schedule survives resume. Unlike mmengine's base class, the first
    update is averaged like the others (with ramp-up its beta is 0, which is
    a copy). Buffers (``w_avg``, noise constants, ...) are copied from the
    source (``update_buffers=False``), as the reference does.

    Args:
        model (nn.Module): The generator to average (deep-copied).
        ema_kimg (float): Half-life of the average in thousands of real
            images. Defaults to 10.
        ema_rampup (float, optional): Ramp-up coefficient: the half-life is
            at most ``ema_rampup * cur_nimg``. None disables. Defaults to
            None.
        batch_size (int, optional): Global batch size (images per update
            over all ranks). None until set by the EMA hook, which fills it
            from the train dataloader and the world size. Defaults to None.
        interval (int): Must be 1: the reference updates G_ema after every
            iteration and beta is computed for one batch. Kept for
            mmengine/MMagic signature compatibility.
        device (torch.device, optional): Where to keep the copy. Defaults to
            the source's device.
        update_buffers (bool): Must stay False: the reference copies buffers.
    """

    def __init__(self,
                 model: nn.Module,
                 ema_kimg: float = 10.0,
                 ema_rampup: Optional[float] = None,
                 batch_size: Optional[int] = None,
                 interval: int = 1,
                 device: Optional[torch.device] = None,
                 update_buffers: bool = False) -> None:
        if update_buffers:
            raise ValueError('StyleGANEMA copies buffers like the reference; '
                             'update_buffers must be False, got True')
        if not ema_kimg > 0:
            raise ValueError(f'ema_kimg must be > 0, got {ema_kimg!r}')
        if ema_rampup is not None and not ema_rampup > 0:
            raise ValueError(
                f'ema_rampup must be None or > 0, got {ema_rampup!r}')
        if interval != 1:
            raise ValueError('StyleGANEMA updates after every iteration; '
                             f'interval must be 1, got {interval!r}')
        if batch_size is not None and not batch_size >= 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size!r}')
        super().__init__(model, interval, device, update_buffers)
        self.ema_kimg = float(ema_kimg)
        self.ema_rampup = ema_rampup
        self.batch_size = batch_size

    @staticmethod
    def ema_beta(cur_nimg: int,
                 batch_size: int,
                 ema_kimg: float,
                 ema_rampup: Optional[float] = None) -> float:
        """The decay ``beta`` for one update (formula in the class doc).

        Args:
            cur_nimg (int): Real images seen before this update (global).
            batch_size (int): Global batch size.
            ema_kimg (float): Half-life in thousands of images.
            ema_rampup (float, optional): Ramp-up coefficient.

        Returns:
            float: beta in [0, 1).
        """
        ema_nimg = ema_kimg * 1000
        if ema_rampup is not None:
            ema_nimg = min(ema_nimg, cur_nimg * ema_rampup)
        return 0.5**(batch_size / max(ema_nimg, 1e-8))

    @property
    def cur_nimg(self) -> int:
        """Real images seen before the next update (``steps * batch_size``)."""
        return int(self.steps) * self._checked_batch_size()

    def _checked_batch_size(self) -> int:
        if self.batch_size is None:
            raise RuntimeError(
                'StyleGANEMA.batch_size is None: set it to the global batch '
                'size (GeneratorEMAHook does this from the train dataloader)')
        return self.batch_size

    def avg_func(self, averaged_param: Tensor, source_param: Tensor,
                 steps: int) -> None:
        """``averaged <- source + beta * (averaged - source)``, in place.

        Args:
            averaged_param (Tensor): The averaged parameter (modified).
            source_param (Tensor): The current generator parameter.
            steps (int): Updates done so far (mmengine's ``steps``).
        """
        batch_size = self._checked_batch_size()
        beta = self.ema_beta(
            int(steps) * batch_size, batch_size, self.ema_kimg,
            self.ema_rampup)
        averaged_param.copy_(source_param.lerp(averaged_param, beta))

    def update_parameters(self, model: nn.Module) -> None:
        """Average ``model``'s parameters into this copy; copy its buffers.

        Args:
            model (nn.Module): The generator being trained (unwrapped).
        """
        src = dict(model.named_parameters())
        for name, p_avg in self.avg_parameters.items():
            if p_avg.dtype.is_floating_point:
                self.avg_func(p_avg.data, src[name].data.to(p_avg.device),
                              int(self.steps))
        for b_avg, b_src in zip(self.module.buffers(), model.buffers()):
            b_avg.data.copy_(b_src.data.to(b_avg.device))
        self.steps += 1

    def extra_repr(self) -> str:
        return (f'ema_kimg={self.ema_kimg}, ema_rampup={self.ema_rampup}, '
                f'batch_size={self.batch_size}, interval={self.interval}')
