# Copyright (c) mmgen-ada contributors. All rights reserved.
"""``--cfg-options`` that also reads ``dict(...)`` values.

mmengine's ``DictAction`` turns ``KEY=[dict(type='A'),dict(type='B')]`` into
a list of *strings* (and recurses without end on ``KEY=dict(a=1,b=2)``),
although that is how configs are written and how users type overrides, e.g.
``visualizer.vis_backends=[dict(type='LocalVisBackend')]``.
:class:`CfgOptionsAction` parses values holding ``dict(...)`` calls as Python
literals (constants, lists, tuples, ``{}`` dicts and ``dict(key=value)``
calls only; nothing is evaluated) and leaves every other value to
``DictAction``, so all existing overrides mean what they meant.
"""
import ast
import copy
from argparse import ArgumentParser, Namespace
from typing import Any, Optional, Sequence, Union

from mmengine.config import DictAction


class _NotLiteral(ValueError):
    pass


def _literal(node: ast.AST) -> Any:
    """The value of a literal expression with ``dict(...)`` calls."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List):
        return [_literal(n) for n in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_literal(n) for n in node.elts)
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise _NotLiteral('** in a dict display')
        return {
            _literal(k): _literal(v)
            for k, v in zip(node.keys, node.values)
        }
    if isinstance(node, ast.UnaryOp) and isinstance(
            node.op, (ast.USub, ast.UAdd)) and isinstance(
                node.operand, ast.Constant) and isinstance(
                    node.operand.value, (int, float)):
        value = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == 'dict' and not node.args
            and all(kw.arg is not None for kw in node.keywords)):
        return {kw.arg: _literal(kw.value) for kw in node.keywords}
    raise _NotLiteral(type(node).__name__)


def parse_cfg_option_value(text: str) -> Any:
    """One ``--cfg-options`` value.

    Values that contain a ``dict(...)`` call are parsed as Python literals;
    all others as mmengine's ``DictAction`` parses them.

    Raises:
        ValueError: A value with ``dict(`` that is not such a literal; the
            message quotes it.
    """
    try:
        tree = ast.parse(text.strip(), mode='eval')
    except SyntaxError:
        tree = None
    has_dict_call = tree is not None and any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        and n.func.id == 'dict' for n in ast.walk(tree))
    if not has_dict_call:
        return DictAction._parse_iterable(text)
    try:
        return _literal(tree.body)
    except _NotLiteral as e:
        raise ValueError(
            f'--cfg-options value {text!r}: only constants, lists, tuples and '
            f'dict(key=value) are allowed (found {e})') from None


class CfgOptionsAction(DictAction):
    """``DictAction`` whose values may hold ``dict(...)`` literals."""

    def __call__(self,
                 parser: ArgumentParser,
                 namespace: Namespace,
                 values: Union[str, Sequence[Any], None],
                 option_string: Optional[str] = None) -> None:
        options = copy.copy(getattr(namespace, self.dest, None) or {})
        for kv in values or ():
            if '=' not in kv:
                parser.error(f'--cfg-options expects KEY=VALUE, got {kv!r}')
            key, val = kv.split('=', maxsplit=1)
            try:
                options[key] = parse_cfg_option_value(val)
            except ValueError as e:
                parser.error(str(e))
        setattr(namespace, self.dest, options)
