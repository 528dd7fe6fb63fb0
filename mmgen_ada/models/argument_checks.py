# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Constructor argument checks whose messages name the argument.

A config value of the wrong type (``r1_gamma='abc'``) would otherwise fail
later in a comparison or an arithmetic expression with a bare
``TypeError`` that names no key. These raise ``TypeError`` for a wrong
type and ``ValueError`` for a value out of range, each naming the argument,
the expected type or range and the value given.
"""
import math
import numbers
from typing import Any, Optional


def _type_text(value: Any) -> str:
    return f'{type(value).__name__} {value!r}'


def check_real(name: str,
               value: Any,
               low: Optional[float] = None,
               high: Optional[float] = None,
               low_open: bool = False,
               allow_none: bool = False) -> Optional[float]:
    """Check that ``value`` is a finite real number in a range.

    Args:
        name (str): Argument name for the message, e.g. ``'r1_gamma'``.
        value: The value to check.
        low (float, optional): Smallest allowed value. Defaults to None.
        high (float, optional): Largest allowed value. Defaults to None.
        low_open (bool): Exclude ``low`` itself. Defaults to False.
        allow_none (bool): Accept None. Defaults to False.

    Returns:
        float | None: ``value`` as a float (None when None is allowed).

    Raises:
        TypeError: ``value`` is not a real number (bools are not).
        ValueError: ``value`` is not finite or out of range.
    """
    expected = 'a float' + (' or None' if allow_none else '')
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f'{name} must be {expected}, got '
                        f'{_type_text(value)}.')
    value = float(value)
    bad_low = low is not None and (value <= low if low_open else value < low)
    bad_high = high is not None and value > high
    if not math.isfinite(value) or bad_low or bad_high:
        left = '(-inf' if low is None else ('(' if low_open else '[') + \
            f'{low:g}'
        right = 'inf)' if high is None else f'{high:g}]'
        raise ValueError(f'{name} must be a finite float in {left}, {right}'
                         f', got {value!r}.')
    return value


def check_int(name: str, value: Any, low: int = 0) -> int:
    """Check that ``value`` is an int >= ``low`` (bools are not ints here).

    Raises:
        TypeError: ``value`` is not an int.
        ValueError: ``value < low``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f'{name} must be an int >= {low}, got '
                        f'{_type_text(value)}.')
    if value < low:
        raise ValueError(f'{name} must be an int >= {low}, got {value!r}.')
    return int(value)
