# Copyright (c) mmgen-ada contributors. All rights reserved.
"""DiffAugment: a fixed differentiable augmentation policy."""
from typing import Dict, Sequence, Tuple, Union

import torch
import torch.nn as nn
from torch import Tensor

from mmgen_ada.registry import MODELS
from .diff_augment_transforms import (adjust_brightness, adjust_contrast,
                                      adjust_saturation, cutout, translate)

#: The policy names and the order in which :class:`DiffAugment` applies them.
POLICIES: Tuple[str, ...] = ('color', 'translation', 'cutout')


def parse_policy(policy: Union[str, Sequence[str], None]) -> Tuple[str, ...]:
    """Policy names from ``'color,translation,cutout'`` or a list.

    Args:
        policy (str | list[str] | None): Comma-separated names, a list of
            names, or ``''``/``[]``/None for no augmentation.

    Returns:
        tuple[str, ...]: The names, in the given order.
    """
    if policy is None:
        return ()
    if isinstance(policy, str):
        names = [name.strip() for name in policy.split(',') if name.strip()]
    elif isinstance(policy, (list, tuple)) and all(
            isinstance(name, str) for name in policy):
        names = list(policy)
    else:
        raise TypeError('policy must be a comma-separated str or a list of '
                        f'str from {list(POLICIES)}, got {policy!r}.')
    unknown = [name for name in names if name not in POLICIES]
    if unknown:
        raise ValueError(f'Unknown DiffAugment policy {unknown}; valid names '
                         f'are {list(POLICIES)}.')
    if len(set(names)) != len(names):
        raise ValueError(f'DiffAugment policy {names} repeats a name.')
    return tuple(names)


@MODELS.register_module()
class DiffAugment(nn.Module):
    """Differentiable Augmentation (Zhao et al., NeurIPS 2020).

    The same random, differentiable transforms for every discriminator
    input, real or generated (Sec. 3, Fig. 4), at a fixed strength: no
    ``p`` and no controller, so :class:`~mmgen_ada.engine.hooks.ADAHook`
    ignores it. Each sample gets its own draws (Appendix, "DiffAugment
    operations"), from the global torch RNG on the images' device (saved
    with the RNG state for exact resume):

    - ``color``: brightness ``x + b``, ``b ~ U(-0.5, 0.5)``; saturation
      ``(x - mean_C(x)) * s + mean_C(x)``, ``s ~ U(0, 2)``; contrast
      ``(x - mean_CHW(x)) * c + mean_CHW(x)``, ``c ~ U(0.5, 1.5)``;
    - ``translation``: integer shifts ``~ U{-t, ..., t}`` per axis,
      ``t = round(translation_ratio * size)`` with ``size`` that axis's
      length (``H`` for rows, ``W`` for columns), zero padding;
    - ``cutout``: a zeroed ``k_H x k_W`` rectangle,
      ``k = round(cutout_ratio * size)`` per axis (a square on square
      images), whose centre is uniform over ``{0, ..., size - k % 2}`` per
      axis, clipped to the image.

    Rounding is half up (``int(x + 0.5)``), and both sizes are per axis, as
    in the paper's code (``DiffAugment_pytorch.py``).

    Plugs in where :class:`~mmgen_ada.models.ada.ADAAug` goes:
    ``discriminator=dict(type='ADAStyleGAN2Discriminator',
    data_aug=dict(type='DiffAugment', policy='color,translation,cutout'))``.

    Args:
        policy (str | list[str]): Names from ``('color', 'translation',
            'cutout')``, comma-separated or as a list, applied in the given
            order; empty means the identity. Defaults to
            ``'color,translation,cutout'`` (the paper's policy for
            few-shot and limited-data StyleGAN2).
        translation_ratio (float): Maximal shift as a fraction of each
            axis's length, in ``[0, 1]``. Defaults to 1/8.
        cutout_ratio (float): Cutout side as a fraction of each axis's
            length, in ``[0, 1]``. Defaults to 1/2.
    """

    def __init__(self,
                 policy: Union[str, Sequence[str]] = 'color,translation,cutout',
                 translation_ratio: float = 0.125,
                 cutout_ratio: float = 0.5) -> None:
        super().__init__()
        self.policy = parse_policy(policy)
        for name, value in (('translation_ratio', translation_ratio),
                            ('cutout_ratio', cutout_ratio)):
            if (isinstance(value, bool) or not isinstance(value, (int, float))
                    or not 0 <= value <= 1):
                raise ValueError(
                    f'{name} must be a number in [0, 1], got {value!r}.')
        self.translation_ratio = float(translation_ratio)
        self.cutout_ratio = float(cutout_ratio)

    def sample_params(self, x: Tensor) -> Dict[str, Tensor]:
        """Draw every policy's per-sample parameters for a batch.

        Args:
            x (Tensor): ``(N, C, H, W)`` images (for N, H, W, device).

        Returns:
            dict[str, Tensor]: ``(N,)`` tensors: ``brightness``,
            ``saturation``, ``contrast`` (float, for ``color``);
            ``shift_y``, ``shift_x`` (int64, ``translation``);
            ``center_y``, ``center_x`` (int64, ``cutout``).
        """
        n, _, h, w = x.shape
        dev = x.device
        params: Dict[str, Tensor] = {}
        for name in self.policy:
            if name == 'color':
                params['brightness'] = torch.rand(n, device=dev) - 0.5
                params['saturation'] = torch.rand(n, device=dev) * 2
                params['contrast'] = torch.rand(n, device=dev) + 0.5
            elif name == 'translation':
                ty, tx = self.translation_shift(h), self.translation_shift(w)
                params['shift_y'] = torch.randint(-ty, ty + 1, (n, ),
                                                  device=dev)
                params['shift_x'] = torch.randint(-tx, tx + 1, (n, ),
                                                  device=dev)
            else:  # cutout
                ky, kx = self.cutout_size(h), self.cutout_size(w)
                params['center_y'] = torch.randint(0, h + 1 - ky % 2, (n, ),
                                                   device=dev)
                params['center_x'] = torch.randint(0, w + 1 - kx % 2, (n, ),
                                                   device=dev)
        return params

    def translation_shift(self, size: int) -> int:
        """Largest shift in pixels along an axis of ``size`` pixels
        (``int(translation_ratio * size + 0.5)``)."""
        return int(self.translation_ratio * size + 0.5)

    def cutout_size(self, size: int) -> int:
        """Side of the cutout along an axis of ``size`` pixels
        (``int(cutout_ratio * size + 0.5)``)."""
        return int(self.cutout_ratio * size + 0.5)

    def apply_params(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        """Apply the policy with given parameters (see
        :meth:`sample_params`)."""
        _, _, h, w = x.shape
        for name in self.policy:
            if name == 'color':
                x = adjust_brightness(x, params['brightness'])
                x = adjust_saturation(x, params['saturation'])
                x = adjust_contrast(x, params['contrast'])
            elif name == 'translation':
                x = translate(x, params['shift_y'], params['shift_x'])
            else:
                x = cutout(x, params['center_y'], params['center_x'],
                           self.cutout_size(h), self.cutout_size(w))
        return x

    def forward(self, x: Tensor) -> Tensor:
        """Augment a batch with fresh per-sample draws.

        Args:
            x (Tensor): ``(N, C, H, W)`` images, typically in ``[-1, 1]``.

        Returns:
            Tensor: ``(N, C, H, W)``, differentiable w.r.t. ``x``; ``x``
            itself when the policy is empty.
        """
        if x.ndim != 4:
            raise ValueError('DiffAugment expects (N, C, H, W) images, got '
                             f'shape {tuple(x.shape)}.')
        if not self.policy:
            return x
        return self.apply_params(x, self.sample_params(x))

    def extra_repr(self) -> str:
        return (f"policy='{','.join(self.policy)}', "
                f'translation_ratio={self.translation_ratio:g}, '
                f'cutout_ratio={self.cutout_ratio:g}')
