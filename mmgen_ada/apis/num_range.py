# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Parse NVlabs-style number lists such as ``0-35,85``."""
import re
from typing import List

_RANGE = re.compile(r'^(\d+)-(\d+)$')


def parse_num_range(text: str) -> List[int]:
    """Comma-separated integers and inclusive ranges, in the order given.

    ``'0-3,85'`` -> ``[0, 1, 2, 3, 85]``. (NVlabs' tools accept either a
    single range or a list; this accepts any mix.)

    Args:
        text (str): The list.

    Returns:
        list[int]: The numbers.

    Raises:
        ValueError: For an empty item, a non-number or a decreasing range.
    """
    numbers = []
    for item in str(text).split(','):
        item = item.strip()
        match = _RANGE.match(item)
        if match:
            low, high = int(match.group(1)), int(match.group(2))
            if high < low:
                raise ValueError(f'decreasing range {item!r} in {text!r}')
            numbers.extend(range(low, high + 1))
        elif item.isdigit():
            numbers.append(int(item))
        else:
            raise ValueError(
                f'{item!r} in {text!r} is neither a non-negative integer nor '
                'a range like 0-35')
    return numbers
