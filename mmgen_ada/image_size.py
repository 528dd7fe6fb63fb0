# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Image sizes: a square side ``n`` or a rectangle ``(H, W)``.

Everywhere in the package (``out_size``, ``in_size``, a dataset's
``resolution``) a size is either an int ``n`` (an ``n x n`` square) or a
pair ``(H, W)``: height first, as in tensor shapes ``(N, C, H, W)``. Both
sides are powers of two and the aspect ratio is at most
:data:`MAX_ASPECT` : 1 either way, so a network that doubles both sides per
block starts from ``4 x 4*aspect`` (or ``4*aspect x 4``) and has as many
blocks as the shorter side needs.

Only the text form of ``tools/dataset_tool.py --resolution`` is ``WxH``
(width first, NVlabs' ``dataset_tool.py`` convention); see
:func:`parse_wxh`.
"""
import numbers
from typing import Any, Tuple, Union

#: Largest ratio of the longer to the shorter side.
MAX_ASPECT = 4

#: An image size as stored in configs: an int (square) or (H, W).
SizeArg = Union[int, Tuple[int, int]]


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def parse_image_size(value: Any,
                     name: str,
                     min_side: int = 4) -> Tuple[int, int]:
    """Check an image size and return it as ``(H, W)``.

    Args:
        value: An int ``n`` (square) or a pair ``(H, W)`` (list or tuple).
        name (str): Argument name for the message, e.g. ``'out_size'``.
        min_side (int): Smallest allowed side. Defaults to 4.

    Returns:
        tuple[int, int]: ``(H, W)``.

    Raises:
        TypeError: Neither an int nor a pair of ints.
        ValueError: A side is not a power of two >= ``min_side``, or the
            aspect ratio exceeds :data:`MAX_ASPECT`.
    """
    if _is_int(value):
        hw = (int(value), int(value))
    elif (isinstance(value, (tuple, list)) and len(value) == 2
          and all(_is_int(v) for v in value)):
        hw = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f'{name} must be an int (square side) or a pair '
                        f'(H, W) of ints, got {type(value).__name__} '
                        f'{value!r}.')
    for side in hw:
        if side < min_side or side & (side - 1):
            raise ValueError(
                f'{name} must be a power of two >= {min_side} (or a pair '
                f'(H, W) of them), got {value!r}.')
    if max(hw) > MAX_ASPECT * min(hw):
        raise ValueError(
            f'{name}={value!r}: the aspect ratio {max(hw) // min(hw)}:1 is '
            f'more than {MAX_ASPECT}:1; crop the images closer to square '
            '(tools/dataset_tool.py --transform center-crop).')
    return hw


def compact_size(hw: Tuple[int, int]) -> SizeArg:
    """``(n, n) -> n``, else ``(H, W)``: the form written into configs."""
    return hw[0] if hw[0] == hw[1] else (hw[0], hw[1])


def aspect_factors(hw: Tuple[int, int]) -> Tuple[int, int]:
    """``(H, W) / min(H, W)``: e.g. ``(16, 32) -> (1, 2)``."""
    short = min(hw)
    return hw[0] // short, hw[1] // short


def size_text(hw: Tuple[int, int]) -> str:
    """``'HxW'`` for messages and summaries, e.g. ``(16, 32) -> '16x32'``."""
    return f'{hw[0]}x{hw[1]}'


def parse_wxh(text: str, name: str = '--resolution') -> Tuple[int, int]:
    """Parse ``'N'`` or ``'WxH'`` (width first, as NVlabs) to ``(H, W)``.

    Args:
        text (str): ``'256'`` (square) or ``'512x256'`` (W=512, H=256).
        name (str): Option name for the message.

    Returns:
        tuple[int, int]: ``(H, W)``, checked by :func:`parse_image_size`.
    """
    parts = str(text).lower().split('x')
    if len(parts) not in (1, 2) or not all(p.strip().isdigit() for p in parts):
        raise ValueError(f'{name} must be N (square) or WxH (width x '
                         f'height, e.g. 512x256), got {text!r}.')
    sides = [int(p) for p in parts]
    hw = (sides[0], sides[0]) if len(sides) == 1 else (sides[1], sides[0])
    return parse_image_size(hw, f'{name} {text!r}')
