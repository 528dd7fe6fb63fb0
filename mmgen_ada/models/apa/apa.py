# Copyright (c) mmgen-ada contributors. All rights reserved.
"""APA: adaptive pseudo augmentation and the controller of its probability."""
import math
from typing import Optional, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from mmgen_ada.models.ada.rt_controller import rt_controller_step
from mmgen_ada.registry import MODELS


@MODELS.register_module()
class APA(nn.Module):
    """Adaptive pseudo augmentation (Jiang et al., NeurIPS 2021, "Deceive D:
    Adaptive Pseudo Augmentation for GAN Training with Limited Data", Sec. 3).

    In D's main phase each real image is replaced, with probability
    ``p_apa``, by a detached generated image that D still has to call real
    (:meth:`mix`). ``p_apa`` follows the overfitting heuristic of ADA
    (Karras et al. 2020, Sec. 3) used by the paper,

    ``r_t = E[sign(D(x_real-labelled))]``,
    ``p_apa <- clamp(p_apa + sign(r_t - target) * n / (kimg * 1000), 0, 1)``

    with ``n`` the number of real-labelled images seen since the last update
    (global batch times ``update_interval``). As in the paper's code
    (EndlessSora/DeceiveD), ``r_t`` is measured on D's logits for the
    real-labelled batch, i.e. the mixed batch after the pseudo augmentation,
    which is what the model passes to :meth:`record`.

    ``p_apa`` is a buffer (checkpointed, and identical on every rank because
    :class:`~mmgen_ada.engine.hooks.APAHook` updates it from statistics
    summed over all ranks). The sign accumulators are one float64 tensor in
    the module's extra state, like :class:`~mmgen_ada.models.ada.ADAAug`'s:
    checkpointed, and not overwritten by a DDP buffer broadcast.

    Args:
        target (float): Target of ``r_t`` in ``[-1, 1]``. Defaults to 0.6.
        kimg (float): Thousands of images for ``p_apa`` to move by 1 (> 0).
            Defaults to 500.
        update_interval (int): Iterations between updates (>= 1). Defaults
            to 4.
        initial_p (float): Initial ``p_apa`` in ``[0, 1]``. Defaults to 0.
    """

    def __init__(self,
                 target: float = 0.6,
                 kimg: float = 500,
                 update_interval: int = 4,
                 initial_p: float = 0.) -> None:
        super().__init__()
        if (isinstance(update_interval, bool)
                or not isinstance(update_interval, int)
                or update_interval < 1):
            raise ValueError('APA update_interval must be an int >= 1, got '
                             f'{update_interval!r}.')
        if not _is_number(target) or not -1 <= target <= 1:
            raise ValueError(
                f'APA target must be a number in [-1, 1], got {target!r}.')
        if not _is_number(kimg) or kimg <= 0:
            raise ValueError(f'APA kimg must be a number > 0, got {kimg!r}.')
        if not _is_number(initial_p) or not 0 <= initial_p <= 1:
            raise ValueError('APA initial_p must be a number in [0, 1], got '
                             f'{initial_p!r}.')
        self.target = float(target)
        self.kimg = kimg
        self.update_interval = update_interval
        self.register_buffer('p_apa', torch.tensor(float(initial_p)))
        # [sum of signs, number of logits, number of images]
        self._stats = torch.zeros(3, dtype=torch.float64)

    @property
    def p(self) -> float:
        """Current pseudo-augmentation probability."""
        return float(self.p_apa)

    def mix(
        self,
        real: Tensor,
        fake: Tensor,
        real_c: Optional[Tensor] = None,
        fake_c: Optional[Tensor] = None
    ) -> Tuple[Tensor, Optional[Tensor], Tensor]:
        """Replace each real image by the fake of the same index with
        probability ``p_apa`` (independently per sample).

        No random number is drawn when ``p_apa == 0``, so training with
        ``p_apa`` at 0 is bit-identical to training without APA.

        Args:
            real (Tensor): ``(N, C, H, W)`` real images.
            fake (Tensor): ``(N, C, H, W)`` generated images (detached here).
            real_c (Tensor, optional): ``(N, label_dim)`` labels of the reals.
            fake_c (Tensor, optional): ``(N, label_dim)`` labels of the fakes
                (required when ``real_c`` is given).

        Returns:
            tuple: ``(images (N, C, H, W), labels (N, label_dim) or None,
            mask (N,) bool)``, ``mask[i]`` True where sample ``i`` is a
            pseudo real.
        """
        if fake.shape != real.shape:
            raise ValueError('APA needs as many fakes as reals of the same '
                             f'shape, got fakes {tuple(fake.shape)} for reals '
                             f'{tuple(real.shape)}.')
        num = real.shape[0]
        if self.p <= 0:
            return real, real_c, torch.zeros(
                num, dtype=torch.bool, device=real.device)
        mask = torch.rand(num, device=real.device) < self.p  # [N]
        images = torch.where(mask[:, None, None, None],
                             fake.detach().to(real.dtype), real)
        labels = real_c
        if real_c is not None:
            if fake_c is None or fake_c.shape != real_c.shape:
                raise ValueError('APA with labels needs fake labels shaped '
                                 f'like the real ones {tuple(real_c.shape)}.')
            labels = torch.where(mask[:, None], fake_c.to(real_c.dtype),
                                 real_c)
        return images, labels, mask

    def record(self, real_logits: Tensor, repeated: bool = False) -> None:
        """Accumulate ``sum(sign(logits))``, the number of logits and of
        images.

        Args:
            real_logits (Tensor): D's logits on the real-labelled (mixed)
                batch, ``(N, 1)``.
            repeated (bool): The batch's reals were already counted in this
                iteration (the lazy R1 pass): add the logits, not the
                images, so the ``p_apa`` step counts each real once.
        """
        logits = real_logits.detach()
        sign_sum = torch.sign(logits).sum().to(torch.float64)
        images = 0 if repeated else (logits.shape[0] if logits.ndim else 1)
        self._stats = self._stats.to(logits.device) + torch.stack([
            sign_sum,
            sign_sum.new_tensor(logits.numel()),
            sign_sum.new_tensor(images)
        ])

    def sign_stats(self) -> Tensor:
        """Local accumulators: float64 ``(3,)`` ``[sum of signs, number of
        logits, number of images]``."""
        return self._stats.clone()

    def reset_stats(self) -> None:
        """Zero the accumulators (keeping their device)."""
        self._stats = torch.zeros_like(self._stats)

    def update(self,
               sign_sum: float,
               count: float,
               num_images: Optional[float] = None) -> None:
        """Adjust ``p_apa`` from (global) statistics; reset the local ones.

        ``p_apa += sign(sign_sum / count - target) * num_images / (kimg *
        1000)``, clamped to ``[0, 1]``; nothing changes when ``count`` is 0.

        Args:
            sign_sum (float): Sum of the signs over all ranks.
            count (float): Number of logits summed (>= 0).
            num_images (float, optional): Images over all ranks since the
                last update; None means ``count``.
        """
        self.p_apa.fill_(
            rt_controller_step(self.p, sign_sum, count, num_images,
                               self.target, self.kimg, 1., name='APA '))
        self.reset_stats()

    def get_extra_state(self) -> Tensor:
        """Accumulators for checkpoints, one float64 tensor ``(3,)`` (a
        tensor rather than a dict: mmengine broadcasts state-dict values as
        tensors when it starts a distributed run)."""
        return self._stats.detach().cpu().clone()

    def set_extra_state(self, state: Tensor) -> None:
        """Restore the accumulators saved by :meth:`get_extra_state`."""
        if not (isinstance(state, torch.Tensor) and state.shape == (3, )):
            raise ValueError(
                'APA extra state must be a tensor [sign_sum, sign_count, '
                f'num_images] of shape (3,), got {state!r}.')
        self._stats = state.to(self._stats.device, torch.float64).clone()

    def extra_repr(self) -> str:
        return (f'target={self.target}, kimg={self.kimg:g}, '
                f'update_interval={self.update_interval}')


def _is_number(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))
