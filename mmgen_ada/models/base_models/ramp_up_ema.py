# Copyright (c) mmgen-ada contributors. All rights reserved.
"""MMagic's ``RampUpEMA``: G_ema with NVlabs' ramped-up half-life."""
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseAveragedModel
from torch import Tensor

from mmgen_ada.registry import MODELS


@MODELS.register_module()
class RampUpEMA(BaseAveragedModel):
    """Exponential moving average with ramp-up, as MMagic's ``RampUpEMA``.

    mmengine's update rule (the first update copies the generator; buffers
    are copied every update) with, for update ``k >= 1``,

    .. code-block:: none

        cur_nimg = (k + 1) * batch_size
        ema_nimg = ema_kimg * 1000
        if ema_rampup is not None:
            ema_nimg = min(ema_nimg, cur_nimg * ema_rampup)
        beta = 0.5 ** (batch_size / max(ema_nimg, eps))
        p_ema <- beta * p_ema + (1 - beta) * p

    which is NVlabs' schedule (``training_loop.py``) counted one batch
    later, exactly as MMagic computes it. ``batch_size`` is used as
    configured (MMagic's default 32), like MMagic; ``GeneratorEMAHook``
    warns when it is not the run's global batch, and fills it in when
    None. For NVlabs' exact count use
    :class:`~mmgen_ada.models.StyleGANEMA`.

    Args:
        model (nn.Module): The generator to average (deep-copied).
        interval (int): Must be 1 (the decay is computed for one batch).
            Defaults to 1.
        ema_kimg (float): Half-life in thousands of images. Defaults to 10.
        ema_rampup (float, optional): Ramp-up coefficient; None disables.
            Defaults to 0.05.
        batch_size (int, optional): Global batch size (all ranks). Defaults
            to 32.
        eps (float): Lower bound of ``ema_nimg``. Defaults to 1e-8.
        start_iter (int): MMagic's EMA start; must stay 0 here, where the
            GAN model reads ``ema_config.start_iter`` itself (it never
            reaches this class from a model config). Defaults to 0.
        device (torch.device, optional): Where to keep the copy.
        update_buffers (bool): Must be False (buffers are copied).
    """

    def __init__(self,
                 model: nn.Module,
                 interval: int = 1,
                 ema_kimg: float = 10,
                 ema_rampup: Optional[float] = 0.05,
                 batch_size: Optional[int] = 32,
                 eps: float = 1e-8,
                 start_iter: int = 0,
                 device: Optional[torch.device] = None,
                 update_buffers: bool = False) -> None:
        if interval != 1:
            raise ValueError('RampUpEMA computes its decay for one batch per '
                             f'update; interval must be 1, got {interval!r}')
        if update_buffers:
            raise ValueError('RampUpEMA copies buffers (w_avg, noise '
                             'constants) like the reference; update_buffers '
                             'must be False, got True')
        if not ema_kimg > 0:
            raise ValueError(f'ema_kimg must be > 0, got {ema_kimg!r}')
        if ema_rampup is not None and not ema_rampup > 0:
            raise ValueError(
                f'ema_rampup must be None or > 0, got {ema_rampup!r}')
        if batch_size is not None and (isinstance(batch_size, bool)
                                       or not isinstance(batch_size, int)
                                       or batch_size < 1):
            raise ValueError(
                f'batch_size must be None or an int >= 1, got {batch_size!r}')
        if not eps > 0:
            raise ValueError(f'eps must be > 0, got {eps!r}')
        if start_iter != 0:
            raise ValueError(
                'RampUpEMA(start_iter=...) is read by the GAN model from '
                'model.ema_config.start_iter; build the EMA through the '
                f'model config, got start_iter={start_iter!r} here')
        super().__init__(model, interval, device, update_buffers)
        self.ema_kimg = float(ema_kimg)
        self.ema_rampup = ema_rampup
        self.batch_size = batch_size
        self.eps = float(eps)

    def ema_beta(self, steps: int) -> float:
        """The decay ``beta`` of update ``steps`` (formula in the class
        doc)."""
        if self.batch_size is None:
            raise RuntimeError(
                'RampUpEMA.batch_size is None: set it to the global batch '
                'size (GeneratorEMAHook does this from the train dataloader)')
        ema_nimg = self.ema_kimg * 1000
        if self.ema_rampup is not None:
            ema_nimg = min(ema_nimg,
                           (steps + 1) * self.batch_size * self.ema_rampup)
        return 0.5**(self.batch_size / max(ema_nimg, self.eps))

    def avg_func(self, averaged_param: Tensor, source_param: Tensor,
                 steps: int) -> None:
        """``averaged <- beta * averaged + (1 - beta) * source``, in place."""
        averaged_param.copy_(
            source_param.lerp(averaged_param, self.ema_beta(int(steps))))

    def extra_repr(self) -> str:
        return (f'ema_kimg={self.ema_kimg}, ema_rampup={self.ema_rampup}, '
                f'batch_size={self.batch_size}, eps={self.eps}')
