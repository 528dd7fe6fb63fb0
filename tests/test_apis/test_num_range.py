# Copyright (c) mmgen-ada contributors. All rights reserved.
import pytest

from mmgen_ada.apis import parse_num_range


def test_parse_num_range():
    assert parse_num_range('0-3,85') == [0, 1, 2, 3, 85]
    assert parse_num_range('7') == [7]
    assert parse_num_range('5-5, 2') == [5, 2]
    for bad in ('', '1,,2', '3-1', 'a', '-1'):
        with pytest.raises(ValueError):
            parse_num_range(bad)
