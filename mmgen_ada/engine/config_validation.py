# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Check a config's keys and value types before anything is built.

mmengine builds hooks and models by calling ``cls(**cfg)``. A misspelled
key of a class that takes ``**kwargs`` (mmengine's ``CheckpointHook``
forwards them to ``Runner.save_checkpoint``) only fails when the kwargs are
used, e.g. at the first save, hours into a run; a value of the wrong type
fails deep inside a constructor with a ``TypeError`` naming no key.
:func:`validate_config` checks every hook, model, dataset and metric config
against the constructor signature of its registered class, recursing into
nested ``type=`` dicts, and raises one error listing every problem with its
config path, the allowed keys and the expected type.

The check is conservative: a class whose ``**kwargs`` go to a target that
cannot be known from signatures (``**kwargs`` up to ``object``) is not
checked for unknown keys, and only annotations of plain types (``int``,
``float``, ``bool``, ``str``, dicts, lists/tuples, ``Optional``/``Union``
of these) are checked; anything else is accepted.
"""
import difflib
import inspect
import numbers
import os
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

from mmengine.config import Config
from mmengine.hooks import CheckpointHook, EMAHook
from mmengine.registry import Registry

from mmgen_ada.registry import DATASETS, HOOKS, METRICS, MODELS

#: Keys the runner reads from a hook config itself before building it.
RUNNER_HOOK_KEYS = ('priority', )
#: Arguments whose dicts are built by another registry (weight init).
NOT_RECURSED = ('init_cfg', )


class ConfigValidationError(ValueError):
    """A config has unknown keys or values of the wrong type."""


def _checkpoint_hook_extra_keys(cfg: Mapping) -> Optional[Set[str]]:
    # CheckpointHook passes its **kwargs to Runner.save_checkpoint, whose
    # every argument the hook already passes explicitly: no extra key works.
    return set()


def _ema_hook_extra_keys(cfg: Mapping) -> Optional[Set[str]]:
    # EMAHook builds MODELS[ema_type](model, **kwargs).
    ema_cls = MODELS.get(cfg.get('ema_type', 'ExponentialMovingAverage'))
    if ema_cls is None:
        return None
    keys = _allowed_keys(ema_cls, cfg)
    return None if keys is None else keys - {'model'}


#: Where the ``**kwargs`` of classes that forward them end up: a function of
#: the config giving the extra keys allowed (None: cannot be known).
KWARGS_TARGETS: Dict[type, Callable[[Mapping], Optional[Set[str]]]] = {
    CheckpointHook: _checkpoint_hook_extra_keys,
    EMAHook: _ema_hook_extra_keys,
}


def _init_params(cls: type) -> List[inspect.Parameter]:
    """Parameters of ``cls.__init__`` defined by ``cls`` itself, no self."""
    try:
        sig = inspect.signature(cls.__dict__['__init__'])
    except (TypeError, ValueError):
        return [
            inspect.Parameter('args', inspect.Parameter.VAR_POSITIONAL),
            inspect.Parameter('kwargs', inspect.Parameter.VAR_KEYWORD)
        ]
    return list(sig.parameters.values())[1:]


def _allowed_keys(cls: type, cfg: Mapping) -> Optional[Set[str]]:
    """Keyword arguments ``cls`` accepts, or None when it cannot be known.

    Walks the MRO while ``__init__`` takes ``**kwargs``, assuming they are
    passed on to the parent's ``__init__`` (the usual pattern, e.g.
    ``ADAStyleGAN2Discriminator``), unless :data:`KWARGS_TARGETS` says
    where they go. A class without its own ``__init__`` up to ``object``
    takes no arguments; ``**kwargs`` that reach ``object`` are unknowable.
    """
    keys: Set[str] = set()
    forwarded = False  # a class so far passed **kwargs on
    for klass in cls.__mro__:
        if klass in KWARGS_TARGETS:
            extra = KWARGS_TARGETS[klass](cfg)
            own = {
                p.name
                for p in _init_params(klass)
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            }
            return None if extra is None else keys | own | extra
        if klass is object:
            # object() takes no arguments, but **kwargs that reach here were
            # most likely kept by a class for its own use: unknowable.
            return None if forwarded else keys
        if '__init__' not in klass.__dict__:
            continue
        params = _init_params(klass)
        keys |= {
            p.name
            for p in params
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        }
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            return keys
        forwarded = True
    return None


def _annotations(cls: type) -> Dict[str, Any]:
    """Annotations of the constructor arguments along the MRO."""
    hints: Dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        init = klass.__dict__.get('__init__')
        if init is None or klass is object:
            continue
        try:
            hints.update(typing.get_type_hints(init))
        except Exception:  # unresolvable string annotations: skip them
            hints.update({
                p.name: p.annotation
                for p in _init_params(klass)
                if not isinstance(p.annotation, str)
            })
    hints.pop('return', None)
    return hints


def _type_matches(value: Any, annotation: Any) -> Optional[bool]:
    """Whether ``value`` fits a plain annotation; None when not checkable."""
    if annotation is inspect.Parameter.empty or annotation is Any:
        return None
    if annotation is None or annotation is type(None):
        return value is None
    origin = typing.get_origin(annotation)
    if origin is typing.Union or type(annotation).__name__ == 'UnionType':
        results = [
            _type_matches(value, a) for a in typing.get_args(annotation)
        ]
        if any(r is True for r in results):
            return True
        return None if any(r is None for r in results) else False
    target = origin or annotation
    if target is bool:
        return isinstance(value, numbers.Integral)
    if target is int:
        return isinstance(value, numbers.Integral)
    if target is float:
        return isinstance(value, numbers.Real)
    if target is str:
        return isinstance(value, (str, os.PathLike))
    if target in (dict, Mapping) or target is typing.Mapping:
        return isinstance(value, Mapping)
    if target in (list, tuple, Sequence) or target is typing.Sequence:
        return isinstance(value, (list, tuple))
    return None


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace('typing.', '')


def _type_dicts(value: Any, path: str) -> Iterator[Tuple[Mapping, str]]:
    """Nested configs with a ``type`` in ``value`` (a dict or a list)."""
    if isinstance(value, Mapping) and 'type' in value:
        yield value, path
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _type_dicts(item, f'{path}[{i}]')


def _resolve(registry: Registry, type_: Any) -> Optional[type]:
    if inspect.isclass(type_):
        return type_
    if not isinstance(type_, str):
        return None
    for reg in (registry, MODELS):
        cls = reg.get(type_)
        if inspect.isclass(cls):
            return cls
    return None


def check_module_cfg(cfg: Mapping,
                     registry: Registry,
                     path: str,
                     extra_keys: Sequence[str] = ()) -> List[str]:
    """Problems of one ``type=`` config and of its nested ``type=`` configs.

    Args:
        cfg (Mapping): A config with a ``type`` key.
        registry (Registry): Where ``type`` is registered; nested types are
            looked up there, then in ``MODELS``.
        path (str): Where ``cfg`` is in the config, e.g. ``model.generator``.
        extra_keys (Sequence[str]): Keys the builder reads itself (a hook's
            ``priority``). Defaults to ().

    Returns:
        list[str]: One message per problem; empty when the config is fine or
        its type is unknown (the builder reports unknown types).
    """
    cls = _resolve(registry, cfg.get('type'))
    if cls is None:
        return []
    problems = []
    args = {k: v for k, v in cfg.items() if k != 'type'}
    allowed = _allowed_keys(cls, cfg)
    if allowed is not None:
        allowed |= set(extra_keys)
        for key in sorted(set(args) - allowed):
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f' (did you mean {close[0]!r}?)' if close else ''
            problems.append(
                f'{path}.{key}: unknown key for {cls.__name__}{hint}; '
                f'allowed keys: {", ".join(sorted(allowed))}')
    hints = _annotations(cls)
    for key, value in args.items():
        if key in hints and _type_matches(value, hints[key]) is False:
            problems.append(
                f'{path}.{key}={value!r}: {cls.__name__} expects '
                f'{_type_name(hints[key])}, got {type(value).__name__}')
        if key in NOT_RECURSED:
            continue
        # Keys of a nested config that ``cls`` reads itself before building
        # it (e.g. StyleGAN2 pops ``ema_config.start_iter``, as MMagic).
        read_by_parent = getattr(cls, 'nested_config_model_keys',
                                 {}).get(key, ())
        for sub_cfg, sub_path in _type_dicts(value, f'{path}.{key}'):
            problems += check_module_cfg(sub_cfg, registry, sub_path,
                                         read_by_parent)
    return problems


def _hook_cfgs(cfg: Config) -> Iterator[Tuple[Mapping, str]]:
    for name, hook in (cfg.get('default_hooks') or {}).items():
        if isinstance(hook, Mapping):
            yield hook, f'default_hooks.{name}'
    for i, hook in enumerate(cfg.get('custom_hooks') or []):
        if isinstance(hook, Mapping):
            yield hook, f'custom_hooks[{i}]'


def _evaluator_metrics(cfg: Config) -> Iterator[Tuple[Mapping, str]]:
    for split in ('val_evaluator', 'test_evaluator'):
        evaluator = cfg.get(split)
        if isinstance(evaluator, Mapping) and 'metrics' in evaluator:
            yield from _type_dicts(evaluator['metrics'], f'{split}.metrics')
        elif evaluator is not None:
            yield from _type_dicts(evaluator, split)


def validate_config(cfg: Config) -> None:
    """Check the hooks, model, datasets and metrics of a runner config.

    Every ``type=`` config of ``default_hooks``, ``custom_hooks``,
    ``model``, ``{train,val,test}_dataloader.dataset`` and the evaluators'
    metrics is checked against the constructor of its registered class
    (see the module docstring for what is checked), before the runner
    builds anything.

    Args:
        cfg (Config): The runner config, after ``--cfg-options``.

    Raises:
        ConfigValidationError: Unknown keys or wrongly typed values; the
            message names each key by its config path with the allowed
            keys or the expected type.
    """
    problems = []
    for hook, path in _hook_cfgs(cfg):
        problems += check_module_cfg(hook, HOOKS, path, RUNNER_HOOK_KEYS)
    if isinstance(cfg.get('model'), Mapping):
        problems += check_module_cfg(cfg.model, MODELS, 'model')
    for split in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(split)
        if isinstance(loader, Mapping) and isinstance(
                loader.get('dataset'), Mapping):
            problems += check_module_cfg(loader['dataset'], DATASETS,
                                         f'{split}.dataset')
    for metric, path in _evaluator_metrics(cfg):
        problems += check_module_cfg(metric, METRICS, path)
    if problems:
        raise ConfigValidationError(
            f'{len(problems)} problem(s) in the config:\n  ' +
            '\n  '.join(problems))
