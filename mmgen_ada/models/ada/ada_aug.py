# Copyright (c) mmgen-ada contributors. All rights reserved.
"""ADAAug: the augmentation pipe plus the adaptive strength controller."""
import inspect
import math
from typing import Optional, Union

import torch
import torch.nn as nn

from mmgen_ada.registry import MODELS
from .augment_pipe import AugmentPipe
from .augment_presets import AUGMENT_PRESETS, preset_multipliers
from .rt_controller import rt_controller_step

#: Keys accepted in an ``aug_pipeline`` dict: AugmentPipe's arguments plus
#: ``preset`` (a preset name whose multipliers the other keys override).
VALID_PIPELINE_KEYS = ('preset', ) + tuple(
    inspect.signature(AugmentPipe.__init__).parameters)[1:]


def build_augment_pipe(aug_pipeline: Union[dict, str, None]) -> AugmentPipe:
    """Build an :class:`AugmentPipe` from a preset name or a dict.

    Args:
        aug_pipeline (dict | str | None): A preset name (``'bgc'``, ...), a
            dict of :class:`AugmentPipe` arguments (MMagic style, e.g.
            ``dict(xflip=1, rotate90=1, ..., saturation=1)``) optionally
            with ``preset='bgc'`` as the base, or None for ``'bgc'`` (the
            paper's default pipeline).

    Returns:
        AugmentPipe: The pipe (with ``p = 1`` until the caller sets it).
    """
    if aug_pipeline is None:
        aug_pipeline = 'bgc'
    if isinstance(aug_pipeline, str):
        return AugmentPipe(**preset_multipliers(aug_pipeline))
    if not isinstance(aug_pipeline, dict):
        raise TypeError('aug_pipeline must be a dict, a preset name '
                        f'{sorted(AUGMENT_PRESETS)} or None, got '
                        f'{aug_pipeline!r}.')
    unknown = [key for key in aug_pipeline if key not in VALID_PIPELINE_KEYS]
    if unknown:
        raise ValueError(
            f'Unknown key(s) {unknown} in aug_pipeline; valid keys are '
            f'{list(VALID_PIPELINE_KEYS)}.')
    kwargs = dict(aug_pipeline)
    preset = kwargs.pop('preset', None)
    base = preset_multipliers(preset) if preset is not None else {}
    base.update(kwargs)
    return AugmentPipe(**base)


@MODELS.register_module()
class ADAAug(nn.Module):
    """Adaptive discriminator augmentation (Karras et al. 2020, Sec. 3).

    Holds the :class:`AugmentPipe` and the controller of its strength ``p``.
    The discriminator calls :meth:`record` with its logits on (unaugmented
    -> augmented) real images; every ``update_interval`` iterations
    :class:`~mmgen_ada.engine.hooks.ADAHook` sums the statistics over all
    ranks and calls :meth:`update`, which applies

    ``r_t = E[sign(D(x_real))]``,
    ``p <- clamp(p + sign(r_t - ada_target) * n / (ada_kimg * 1000), 0,
    max_p)``

    with ``n`` the number of real images seen since the last update, so
    ``p`` can move by at most 1 every ``ada_kimg`` thousand real images.

    ``p`` is a buffer of the pipe (``aug_pipeline.p``). The sign
    accumulators are kept in the module's extra state: they are saved in
    and restored from checkpoints (so resuming is exact) but, unlike
    buffers, are not overwritten by DistributedDataParallel's buffer
    broadcast, which would replace every rank's statistics by rank 0's.

    Args:
        aug_pipeline (dict | str | None): Pipe definition, see
            :func:`build_augment_pipe`; unknown keys raise an error listing
            the valid ones. None means the ``'bgc'`` preset. Defaults to
            None.
        update_interval (int): Iterations between updates of ``p`` (the
            reference's ``ada_interval``). Defaults to 4.
        augment_initial_p (float): Initial ``p`` (>= 0). Defaults to 0.
        ada_target (float): Target value of ``r_t`` in ``[-1, 1]``.
            Defaults to 0.6.
        ada_kimg (float): Thousands of real images for ``p`` to move by 1
            (> 0). Defaults to 500.
        max_p (float, optional): Upper bound of ``p``; None = unbounded
            (as in the reference). Defaults to None.
    """

    def __init__(self,
                 aug_pipeline: Union[dict, str, None] = None,
                 update_interval: int = 4,
                 augment_initial_p: float = 0.,
                 ada_target: float = 0.6,
                 ada_kimg: float = 500,
                 max_p: Optional[float] = None) -> None:
        super().__init__()
        if (isinstance(update_interval, bool)
                or not isinstance(update_interval, int)
                or update_interval < 1):
            raise ValueError('update_interval must be an int >= 1, got '
                             f'{update_interval!r}.')
        if not _is_number(augment_initial_p) or augment_initial_p < 0:
            raise ValueError('augment_initial_p must be a finite number >= 0, '
                             f'got {augment_initial_p!r}.')
        if not _is_number(ada_target) or not -1 <= ada_target <= 1:
            raise ValueError('ada_target must be a number in [-1, 1], got '
                             f'{ada_target!r}.')
        if not _is_number(ada_kimg) or ada_kimg <= 0:
            raise ValueError(
                f'ada_kimg must be a number > 0, got {ada_kimg!r}.')
        if max_p is not None and (not _is_number(max_p) or max_p < 0
                                  or max_p < augment_initial_p):
            raise ValueError('max_p must be None or a number >= '
                             f'augment_initial_p ({augment_initial_p}), got '
                             f'{max_p!r}.')
        self.aug_pipeline = build_augment_pipe(aug_pipeline)
        self.aug_pipeline.p.fill_(float(augment_initial_p))
        self.update_interval = update_interval
        self.ada_target = float(ada_target)
        self.ada_kimg = ada_kimg
        self.max_p = None if max_p is None else float(max_p)
        # [sum of signs, number of logits, number of new real images]
        self._stats = torch.zeros(3, dtype=torch.float64)

    @property
    def p(self) -> float:
        """Current augmentation strength."""
        return float(self.aug_pipeline.p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Augment images with the current ``p``.

        Args:
            x (Tensor): ``(N, C, H, W)`` images, typically in ``[-1, 1]``.

        Returns:
            Tensor: ``(N, C, H, W)``, differentiable w.r.t. ``x`` (to any
            order).
        """
        return self.aug_pipeline(x)

    def record(self,
               real_logits: torch.Tensor,
               repeated_reals: bool = False) -> None:
        """Accumulate ``sum(sign(logits))``, the number of logits and of
        real images.

        As in the reference, every discriminator pass over real images in
        training feeds ``r_t``, including the lazy R1 pass, which scores the
        iteration's reals a second time (with a new augmentation). Those
        reals are not new images, so that pass sets ``repeated_reals`` and
        the ``p`` step stays ``global batch * update_interval / (ada_kimg *
        1000)``.

        Args:
            real_logits (Tensor): Discriminator outputs on real images,
                ``(N, 1)`` (or any shape: every element counts once for
                ``r_t``; the N images count once for the step).
            repeated_reals (bool): The images were already recorded in this
                iteration. Defaults to False.
        """
        logits = real_logits.detach()
        images = 0 if repeated_reals else (
            logits.shape[0] if logits.ndim else 1)
        sign_sum = torch.sign(logits).sum().to(torch.float64)
        self._stats = self._stats.to(logits.device) + torch.stack([
            sign_sum,
            sign_sum.new_tensor(logits.numel()),
            sign_sum.new_tensor(images)
        ])

    def sign_stats(self) -> torch.Tensor:
        """Local accumulators since the last update.

        Returns:
            Tensor: float64 ``(3,)``: ``[sum of signs, number of logits,
            number of new real images]``, on the device of the last recorded
            logits.
        """
        return self._stats.clone()

    def reset_stats(self) -> None:
        """Zero the accumulators (keeping their device)."""
        self._stats = torch.zeros_like(self._stats)

    def update(self,
               sign_sum: float,
               count: float,
               num_images: Optional[float] = None) -> None:
        """Adjust ``p`` from (global) statistics; reset the local ones.

        ``p += sign(sign_sum / count - ada_target) * num_images / (ada_kimg
        * 1000)``, clamped to ``[0, max_p]``. Nothing changes when ``count``
        is 0.

        Args:
            sign_sum (float): Sum of ``sign(D(real))`` over all ranks since
                the last update.
            count (float): Number of real logits summed (>= 0).
            num_images (float, optional): Number of real images trained on
                since the last update, over all ranks (the global batch
                times ``update_interval``). None means ``count``.
        """
        self.aug_pipeline.p.fill_(
            rt_controller_step(self.p, sign_sum, count, num_images,
                               self.ada_target, self.ada_kimg, self.max_p))
        self.reset_stats()

    def get_extra_state(self) -> torch.Tensor:
        """Accumulators for checkpoints: ``[sign_sum, sign_count,
        num_images]``.

        Extra state rather than buffers, because DDP's ``broadcast_buffers``
        would overwrite every rank's statistics with rank 0's; one float64
        tensor rather than a dict, because mmengine broadcasts every
        state-dict value as a tensor when it starts a distributed run.
        """
        return self._stats.detach().cpu().clone()

    def set_extra_state(self, state: torch.Tensor) -> None:
        """Restore the accumulators saved by :meth:`get_extra_state`.

        A 2-element state (``[sign_sum, sign_count]``, written before the
        image count was kept separately) restores ``num_images = count``.
        """
        if not (isinstance(state, torch.Tensor) and state.shape in ((3, ),
                                                                    (2, ))):
            raise ValueError(
                'ADAAug extra state must be a tensor [sign_sum, sign_count, '
                f'num_images] of shape (3,), got {state!r}.')
        state = state.to(self._stats.device, torch.float64)
        if state.shape == (2, ):
            state = torch.cat([state, state[1:]])
        self._stats = state.clone()

    def extra_repr(self) -> str:
        return (f'update_interval={self.update_interval}, '
                f'ada_target={self.ada_target}, ada_kimg={self.ada_kimg:g}, '
                f'max_p={self.max_p}')


def _is_number(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))
