# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The config stored in a checkpoint, as plain data that is never executed.

mmengine stores ``Config.pretty_text`` (Python source) in ``meta['cfg']``
and executes ``meta['config']`` on resume; a checkpoint is a file from
anywhere, so executing its text runs whatever it says. mmgen-ada stores the
config as a JSON-able dict (:func:`config_to_plain`) and reads it back as
data (:func:`config_from_checkpoint`). Config text of older checkpoints is
*parsed*, not run: only assignments of literals and ``dict(...)`` calls
with literal keyword values are accepted (:func:`parse_config_text`).

Plain data is not enough: mmengine's registries resolve an unregistered
``type`` such as ``'subprocess.getoutput'`` by importing it and call it with
the other keys as arguments. So every ``type`` in a stored config must name
a class registered in one of mmgen-ada's registries
(:func:`check_registered_types`) before anything is built from it.
"""
import ast
import re
from typing import Any, Dict, FrozenSet, Mapping, Union

from mmengine.config import Config
from mmengine.registry import Registry

_PLAIN_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')


class CheckpointConfigError(ValueError):
    """The config stored in a checkpoint is missing or not plain data."""


def to_plain(value: Any) -> Any:
    """``value`` as JSON-able data: dicts with str keys, lists, str, numbers,
    bools and None. Tuples become lists; any other object is stored as its
    dotted name (classes, functions) or ``str``, i.e. as inert text.
    """
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    name = getattr(value, '__qualname__', None)
    if name is not None:
        return f'{getattr(value, "__module__", "")}.{name}'
    return str(value)


def config_to_plain(cfg: Union[Config, Mapping]) -> Dict[str, Any]:
    """The config as a plain dict for ``meta['cfg']``."""
    if isinstance(cfg, Config):
        cfg = cfg.to_dict()
    return to_plain(cfg)


def _source_segment(node: ast.AST) -> str:
    try:
        return ast.unparse(node)[:80]
    except Exception:  # unparse of a partial tree; the node type suffices
        return '?'


def _literal(node: ast.AST, where: str) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        values = [_literal(v, where) for v in node.elts]
        return values if isinstance(node, ast.List) else tuple(values)
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {
            _literal(k, where): _literal(v, where)
            for k, v in zip(node.keys, node.values)
        }
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op,
                                                     (ast.USub, ast.UAdd))
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, (int, float))):
        value = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == 'dict' and not node.args
            and all(k.arg is not None for k in node.keywords)):
        return {k.arg: _literal(k.value, where) for k in node.keywords}
    raise CheckpointConfigError(
        f'{where}: line {getattr(node, "lineno", "?")} of the stored config '
        f'is not plain data ({type(node).__name__}: '
        f'{_source_segment(node)}); it is never executed. Pass '
        'the training config file instead.')


def parse_config_text(text: str, where: str = 'checkpoint') -> Dict[str, Any]:
    """Read mmengine config text (``Config.pretty_text``) as data only.

    Args:
        text (str): Python-syntax config text.
        where (str): Named in errors (the checkpoint file).

    Returns:
        dict: The assigned names and their values.

    Raises:
        CheckpointConfigError: For anything but ``name = <literal>``
            statements whose values are constants, lists, tuples, dicts and
            ``dict(key=...)`` calls of those (imports, other calls, names,
            attribute access, operators: the text is refused, not run).
    """
    try:
        tree = ast.parse(text, mode='exec')
    except SyntaxError as e:
        raise CheckpointConfigError(
            f'{where}: the stored config text is not valid Python syntax '
            f'({e.msg}, line {e.lineno}); pass the training config file.'
        ) from e
    out = {}
    for stmt in tree.body:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)):
            raise CheckpointConfigError(
                f'{where}: line {stmt.lineno} of the stored config is not a '
                f'plain assignment ({_source_segment(stmt)}); it is never '
                'executed. Pass the training config file instead.')
        out[stmt.targets[0].id] = _literal(stmt.value, where)
    return out


def config_from_checkpoint(checkpoint: Mapping, where: str) -> Config:
    """The config a checkpoint stores in ``meta['cfg']``, read as data.

    Args:
        checkpoint (Mapping): A checkpoint as read by
            :func:`~mmgen_ada.engine.checkpoint.read_checkpoint`.
        where (str): The checkpoint's name, for errors.

    Returns:
        Config: The config (plain dict, or text parsed as literals), every
        ``type`` in it a registered name.

    Raises:
        CheckpointConfigError: If there is none, it is not plain data or it
            names an unregistered ``type``.
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint, Mapping) else None
    stored = meta.get('cfg') if isinstance(meta, Mapping) else None
    if stored is None or stored == '' or stored == {}:
        raise CheckpointConfigError(
            f"No config given and checkpoint {where} stores none in "
            "meta['cfg']; pass the training config.")
    if isinstance(stored, str):
        stored = parse_config_text(stored, where)
    if not isinstance(stored, Mapping):
        raise CheckpointConfigError(
            f"checkpoint {where}: meta['cfg'] is a {type(stored).__name__}; "
            'expected a dict of plain data. Pass the training config.')
    stored = to_plain(stored)
    scope = stored.get('default_scope', 'mmgen_ada')
    if scope != 'mmgen_ada':
        # mmengine imports ``<scope>.registry`` for a scope it meets.
        raise CheckpointConfigError(
            f'checkpoint {where}: default_scope={scope!r}; a config stored '
            "in a checkpoint must use 'mmgen_ada'. Pass the config file.")
    check_registered_types(stored, where)
    return Config(stored)


def registered_names() -> FrozenSet[str]:
    """Names registered in mmgen-ada's registries and their mmengine roots.

    Imports each registry's ``locations`` first, so every mmgen-ada module
    is included.
    """
    from mmgen_ada import registry as registries
    names = set()
    for value in vars(registries).values():
        if not isinstance(value, Registry):
            continue
        value.import_from_location()
        current = value
        while current is not None:
            names.update(current.module_dict)
            current = current.parent
    return frozenset(names)


def check_registered_types(cfg: Any, where: str, path: str = 'cfg') -> None:
    """Refuse any ``type`` that is not a registered mmgen-ada/mmengine name.

    Args:
        cfg: Config data (nested dicts and lists).
        where (str): The checkpoint's name, for errors.
        path (str): Key path of ``cfg``, for errors.

    Raises:
        CheckpointConfigError: For a ``type`` that is not a plain str naming
            a registered class (dotted import paths are refused: mmengine
            would import and call them).
    """
    allowed = registered_names()

    def walk(value: Any, key_path: str) -> None:
        if isinstance(value, Mapping):
            if 'type' in value:
                name = value['type']
                if not (isinstance(name, str) and _PLAIN_NAME.match(name)
                        and name in allowed):
                    raise CheckpointConfigError(
                        f'checkpoint {where}: {key_path}.type={name!r} is not '
                        'a class registered in mmgen-ada or mmengine; a '
                        'config stored in a checkpoint may only name '
                        'registered classes. Pass the training config file.')
            for k, v in value.items():
                walk(v, f'{key_path}.{k}')
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                walk(v, f'{key_path}[{i}]')

    walk(cfg, path)
