# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Load a checkpoint's tensors into a model: all of them, or say what not.

``torch``'s ``strict=False`` (what mmengine's ``load_from`` uses) skips
size mismatches with a warning, so a checkpoint of another architecture
yields a partly random model that evaluates and samples as if nothing were
wrong. Here a checkpoint must fit the model exactly (same keys, same
shapes) unless partial loading is asked for explicitly, and then what was
skipped is logged.
"""
import logging
from typing import List, Mapping, NamedTuple, Optional

import torch
import torch.nn as nn
from mmengine.logging import print_log

_SHOWN = 5  # keys named per kind in messages


class StateDictMismatchError(ValueError):
    """A checkpoint's tensors do not fit the model."""


class StateDictFit(NamedTuple):
    """How a state dict fits a model.

    Attributes:
        missing (list[str]): Model keys absent from the state dict.
        unexpected (list[str]): State dict keys the model lacks.
        mismatched (list[str]): ``'key: checkpoint (shape) vs model
            (shape)'`` for keys present in both with other shapes.
    """
    missing: List[str]
    unexpected: List[str]
    mismatched: List[str]

    @property
    def exact(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def describe(self) -> str:
        parts = []
        for name, keys in (('shape mismatches', self.mismatched),
                           ('missing from the checkpoint', self.missing),
                           ('not in the model', self.unexpected)):
            if keys:
                more = (f' and {len(keys) - _SHOWN} more'
                        if len(keys) > _SHOWN else '')
                parts.append(f'{len(keys)} {name}: '
                             f'{", ".join(keys[:_SHOWN])}{more}')
        return '; '.join(parts)


def _shape(value) -> tuple:
    return tuple(value.shape) if isinstance(value, torch.Tensor) else ()


def state_dict_fit(model: nn.Module,
                   state_dict: Mapping[str, torch.Tensor]) -> StateDictFit:
    """Compare ``state_dict`` with ``model.state_dict()`` key by key."""
    own = model.state_dict()
    return StateDictFit(
        missing=[k for k in own if k not in state_dict],
        unexpected=[k for k in state_dict if k not in own],
        mismatched=[
            f'{k}: checkpoint {_shape(v)} vs model {_shape(own[k])}'
            for k, v in state_dict.items()
            if k in own and _shape(v) != _shape(own[k])
        ])


def load_state_dict_checked(model: nn.Module,
                            state_dict: Mapping[str, torch.Tensor],
                            source: str,
                            partial: bool = False,
                            logger: Optional[str] = 'current') -> StateDictFit:
    """Load ``state_dict`` into ``model``, refusing tensors that do not fit.

    Args:
        model (nn.Module): The model to load into.
        state_dict (Mapping[str, Tensor]): The checkpoint's tensors.
        source (str): The checkpoint's name, for messages.
        partial (bool): Load what fits and skip the rest (missing keys,
            unexpected keys, other shapes), logging every skipped key.
            For transfer learning with another head, Freeze-D etc. Defaults
            to False.
        logger (str, optional): mmengine logger for the partial-load report
            ('current': the runner's, i.e. the work-dir log).

    Returns:
        StateDictFit: What did not fit (empty when exact).

    Raises:
        StateDictMismatchError: If the state dict does not fit and
            ``partial`` is False; names the first mismatching keys and
            shapes.
    """
    fit = state_dict_fit(model, state_dict)
    if fit.exact:
        model.load_state_dict(state_dict, strict=True)
        return fit
    if not partial:
        raise StateDictMismatchError(
            f'checkpoint {source} does not fit the model '
            f'{type(model).__name__}: {fit.describe()}. Is it a checkpoint '
            'of this config? To load only the matching tensors (transfer '
            'learning), set partial_load=True (config key, or '
            '--cfg-options partial_load=True).')
    skipped = {k.split(':')[0] for k in fit.mismatched} | set(fit.unexpected)
    model.load_state_dict(
        {
            k: v
            for k, v in state_dict.items() if k not in skipped
        },
        strict=False)
    print_log(
        f'partial_load: loaded {len(state_dict) - len(skipped)} tensors of '
        f'{source}; skipped: ' +
        '; '.join(f'{name}: {keys}' for name, keys in (
            ('shape mismatches', fit.mismatched),
            ('missing from the checkpoint', fit.missing),
            ('not in the model', fit.unexpected)) if keys),
        logger=logger,
        level=logging.WARNING)
    return fit
