# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Optimizers for lazily regularised GANs (StyleGAN2 Appendix B)."""
import copy
import math
import numbers
from typing import Dict, Optional

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict

from mmgen_ada.registry import OPTIM_WRAPPER_CONSTRUCTORS

# The GAN variant built for each optim wrapper type: GAN models leave the
# cross-rank average, the non-finite repair and the accumulation to the
# wrapper. A missing type means 'OptimWrapper'; ``tools/train.py --amp``
# writes 'AmpOptimWrapper'.
GAN_OPTIM_WRAPPER_TYPES = {
    'OptimWrapper': 'GANOptimWrapper',
    'AmpOptimWrapper': 'GANAmpOptimWrapper',
}


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LazyRegOptimWrapperConstructor:
    """One optim wrapper per sub-model, with Adam corrected for lazy reg.

    A sub-model regularised every ``k`` iterations in a separate phase takes
    ``k + 1`` optimizer steps per ``k`` iterations. To keep the optimiser's
    dynamics per iteration, StyleGAN2 (and NVlabs' ``training_loop.py``)
    scale with ``c = k / (k + 1)``::

        lr    <- lr * c
        betas <- (beta1 ** c, beta2 ** c)

    The config states the paper's values (e.g. ``lr=0.0025, betas=(0,
    0.99)``); this constructor derives the rest. ``k`` per sub-model is read
    from the model's ``lazy_reg_intervals`` property (StyleGAN2:
    ``generator -> pl_interval``, ``discriminator -> r1_interval``), unless
    given here as ``reg_intervals``. A sub-model whose interval is None is
    left unscaled. ``lr`` must be a finite float >= 0 and ``betas`` a pair
    of floats; errors, including the optimizer's own, name the sub-model and
    give the configured values beside the scaled ones.

    Each sub-model gets a
    :class:`~mmgen_ada.engine.optimizers.GANOptimWrapper` (the gradient work
    of a phase: accumulation, cross-rank average, non-finite repair,
    ``clip_grad``): a sub-config without ``type``, or with mmengine's
    ``'OptimWrapper'``, builds a ``GANOptimWrapper``, and
    ``'AmpOptimWrapper'`` (what ``tools/train.py --amp`` sets) builds a
    :class:`~mmgen_ada.engine.optimizers.GANAmpOptimWrapper`. Other types
    are built as given (the model rejects non-GAN wrappers).

    Example::

        optim_wrapper = dict(
            constructor='LazyRegOptimWrapperConstructor',
            generator=dict(optimizer=dict(type='Adam', lr=0.0025,
                                          betas=(0, 0.99), eps=1e-8)),
            discriminator=dict(optimizer=dict(type='Adam', lr=0.0025,
                                              betas=(0, 0.99), eps=1e-8)))

    Args:
        optim_wrapper_cfg (dict): ``{sub_model_name: optim wrapper config}``;
            each value is an mmengine optim wrapper config with an
            ``optimizer`` (which must have ``lr``; ``betas`` are scaled when
            present). The key ``reg_intervals`` (dict name -> int | None),
            if present, overrides the model's intervals. The key
            ``lr_betas_prescaled=True`` says the config already wrote the
            scaled values (MMagic's configs write ``lr=0.002 * ratio,
            betas=(0, 0.99 ** ratio)``): they are used as written.
        paramwise_cfg (dict, optional): Must be None (not supported).

    Raises:
        ValueError: (when the model's optimizers are built) A sub-model's
            ``betas`` already look scaled for its interval (``beta ** (1 /
            ratio)`` is a round number such as 0.99 while ``beta`` is not)
            and ``lr_betas_prescaled`` is not set: scaling again would
            silently change the recipe, so the message says to write the
            paper's values or set ``lr_betas_prescaled=True`` (or
            ``constructor='MultiOptimWrapperConstructor'``, MMagic's).
    """

    #: Whether configs of this constructor state already-scaled values.
    lr_betas_prescaled_default = False

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        if not isinstance(optim_wrapper_cfg, dict):
            raise TypeError('optim_wrapper_cfg must be a dict of sub-model '
                            f'configs, got {type(optim_wrapper_cfg)}')
        if paramwise_cfg is not None:
            raise ValueError('LazyRegOptimWrapperConstructor does not support '
                             f'paramwise_cfg, got {paramwise_cfg!r}')
        cfg = copy.deepcopy(dict(optim_wrapper_cfg))
        reg_intervals = cfg.pop('reg_intervals', None)
        prescaled = cfg.pop('lr_betas_prescaled',
                            self.lr_betas_prescaled_default)
        if not isinstance(prescaled, bool):
            raise TypeError('optim_wrapper.lr_betas_prescaled must be a bool, '
                            f'got {prescaled!r}')
        self.lr_betas_prescaled = prescaled
        for name, sub_cfg in cfg.items():
            if not isinstance(sub_cfg, dict) or 'optimizer' not in sub_cfg:
                raise ValueError(
                    f'optim_wrapper.{name} must be a dict with an '
                    f"'optimizer' (e.g. dict(optimizer=dict(type='Adam', "
                    f'lr=0.002))), got {sub_cfg!r}')
            if 'lr' not in sub_cfg['optimizer']:
                raise ValueError(f'optim_wrapper.{name}.optimizer needs an '
                                 f"'lr', got {sub_cfg['optimizer']!r}")
            _check_types(sub_cfg['optimizer'], f'optim_wrapper.{name}')
        self.optim_wrapper_cfg = cfg
        self.reg_intervals = reg_intervals

    @staticmethod
    def lazy_scaled(optimizer_cfg: dict, interval: Optional[int]) -> dict:
        """A copy of ``optimizer_cfg`` with lr and betas scaled for
        ``interval`` (unchanged when None).

        Args:
            optimizer_cfg (dict): e.g. ``dict(type='Adam', lr=...,
                betas=...)``.
            interval (int, optional): The lazy-regularisation interval k.

        Returns:
            dict: The scaled config.
        """
        cfg = copy.deepcopy(dict(optimizer_cfg))
        if 'betas' in cfg:  # torch Adam rejects int betas such as (0, 0.99)
            cfg['betas'] = tuple(float(beta) for beta in cfg['betas'])
        if interval is None:
            return cfg
        if not isinstance(interval, int) or interval < 1:
            raise ValueError(
                f'lazy-regularisation interval must be a positive int or '
                f'None, got {interval!r}')
        ratio = interval / (interval + 1)
        cfg['lr'] = cfg['lr'] * ratio
        if 'betas' in cfg:
            cfg['betas'] = tuple(beta**ratio for beta in cfg['betas'])
        return cfg

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        if is_model_wrapper(model):
            model = model.module
        intervals: Dict[str, Optional[int]]
        if self.reg_intervals is not None:
            intervals = dict(self.reg_intervals)
        else:
            intervals = dict(getattr(model, 'lazy_reg_intervals', {}))
        unknown = sorted(set(intervals) - set(self.optim_wrapper_cfg))
        if unknown and self.reg_intervals is not None:
            raise KeyError(f'reg_intervals names {unknown}, which have no '
                           'optim wrapper config; configured: '
                           f'{sorted(self.optim_wrapper_cfg)}')
        wrappers = {}
        for name, sub_cfg in self.optim_wrapper_cfg.items():
            sub_model = getattr(model, name, None)
            if not isinstance(sub_model, nn.Module):
                raise AttributeError(
                    f'optim_wrapper.{name}: the model '
                    f'{type(model).__name__} has no sub-model {name!r}')
            sub_cfg = copy.deepcopy(sub_cfg)
            wrapper_type = sub_cfg.get('type', 'OptimWrapper')
            sub_cfg['type'] = GAN_OPTIM_WRAPPER_TYPES.get(
                wrapper_type, wrapper_type)
            written = sub_cfg['optimizer']
            interval = None if self.lr_betas_prescaled else intervals.get(
                name)
            if interval is not None:
                _refuse_prescaled_betas(written, interval, name)
            scaled = self.lazy_scaled(written, interval)
            values = _written_and_scaled(written, scaled, interval)
            if not scaled['lr'] >= 0:
                raise ValueError(f'optim_wrapper.{name}.optimizer: lr must '
                                 f'be >= 0, got {values}')
            sub_cfg['optimizer'] = scaled
            paramwise = sub_cfg.pop('paramwise_cfg', None)
            try:
                wrappers[name] = DefaultOptimWrapperConstructor(
                    sub_cfg, paramwise)(
                        sub_model)
            except (ValueError, TypeError) as e:
                raise type(e)(f'optim_wrapper.{name}.optimizer: {e} '
                              f'(with {values})') from e
        return OptimWrapperDict(**wrappers)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor(LazyRegOptimWrapperConstructor):
    """MMagic's constructor name: one GAN optim wrapper per sub-model with
    ``lr`` and ``betas`` used as written (MMagic's configs write them
    already scaled for lazy regularisation), i.e.
    :class:`LazyRegOptimWrapperConstructor` with ``lr_betas_prescaled=True``.
    """

    lr_betas_prescaled_default = True


def _refuse_prescaled_betas(optimizer_cfg: dict, interval: int,
                            name: str) -> None:
    """Raise if ``betas`` look already scaled for ``interval``: a beta
    that is not a 4-digit number but whose ``1 / ratio`` power is."""
    ratio = interval / (interval + 1)
    for beta in optimizer_cfg.get('betas', ()):
        beta = float(beta)
        if not 0 < beta < 1 or round(beta, 4) == beta:
            continue
        unscaled = beta**(1 / ratio)
        if abs(unscaled - round(unscaled, 4)) < 1e-9:
            raise ValueError(
                f'optim_wrapper.{name}.optimizer.betas='
                f'{tuple(optimizer_cfg["betas"])} look already scaled for '
                f'lazy regularisation every {interval} iterations '
                f'({beta!r} = {round(unscaled, 4)} ** {ratio:.6g}), and this '
                'constructor scales lr and betas itself. Write the paper\'s '
                f'values (betas with {round(unscaled, 4)}, lr unscaled), or '
                'keep the scaled ones and set optim_wrapper.'
                'lr_betas_prescaled=True (MMagic configs: constructor='
                "'MultiOptimWrapperConstructor')")


def _check_types(optimizer_cfg: dict, path: str) -> None:
    """Raise unless ``lr`` is a finite number and ``betas`` a pair of
    numbers, naming the key (the scaling would fail on them unnamed)."""
    lr = optimizer_cfg['lr']
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
        raise TypeError(f'{path}.optimizer.lr must be a float, got '
                        f'{type(lr).__name__} {lr!r}')
    if not math.isfinite(lr):
        raise ValueError(f'{path}.optimizer.lr must be finite, got {lr!r}')
    betas = optimizer_cfg.get('betas', (0., 0.))
    if (not isinstance(betas, (list, tuple)) or len(betas) != 2 or not all(
            isinstance(b, numbers.Real) and not isinstance(b, bool)
            for b in betas)):
        raise TypeError(f'{path}.optimizer.betas must be a pair of floats '
                        f'in [0, 1), got {betas!r}')


def _written_and_scaled(written: dict, scaled: dict,
                        interval: Optional[int]) -> str:
    """``lr`` (and ``betas``) as configured, and as scaled, for messages."""
    keys = [k for k in ('lr', 'betas') if k in written]
    text = ', '.join(f'{k}={written[k]!r}' for k in keys) + ' in the config'
    if interval is None:
        return text

    def short(value):  # 6 digits: -0.08, not -0.08000000000000002
        if isinstance(value, tuple):
            return '(' + ', '.join(f'{v:.6g}' for v in value) + ')'
        return f'{value:.6g}'

    derived = ', '.join(f'{k}={short(scaled[k])}' for k in keys)
    return (f'{text}, scaled for lazy regularisation every {interval} '
            f'iterations to {derived}')
