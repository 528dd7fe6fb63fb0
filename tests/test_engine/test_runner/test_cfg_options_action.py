# Copyright (c) mmgen-ada contributors. All rights reserved.
"""--cfg-options with dict(...) values, as mmengine users type them."""
import argparse

import pytest
from mmengine.config import Config

from mmgen_ada.engine.runner import CfgOptionsAction


def _parse(*options):
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    return parser.parse_args(['--cfg-options', *options]).cfg_options


def test_dict_values_become_dicts():
    opts = _parse(
        "visualizer.vis_backends=[dict(type='LocalVisBackend'),"
        "dict(type='TensorboardVisBackend')]",
        'model.x=dict(a=1, b=-2.5, c=[1, (2, 3)], d={"k": None})')
    assert opts['visualizer.vis_backends'] == [
        dict(type='LocalVisBackend'),
        dict(type='TensorboardVisBackend')
    ]
    assert opts['model.x'] == dict(a=1, b=-2.5, c=[1, (2, 3)], d=dict(k=None))
    cfg = Config(dict(visualizer=dict(type='GenVisualizer', vis_backends=[])))
    cfg.merge_from_dict(opts)
    assert cfg.visualizer.vis_backends[1].type == 'TensorboardVisBackend'


def test_other_values_parse_as_in_mmengine():
    opts = _parse('a=1,2', 'b=[x,y]', "c='bgc'", 'd=0.5', 'e=None', 'f=true')
    assert opts == dict(a=[1, 2], b=['x', 'y'], c='bgc', d=0.5, e=None, f=True)


def test_calls_other_than_dict_are_refused(capsys):
    with pytest.raises(SystemExit):
        _parse("a=dict(t=__import__('os'))")
    assert 'only constants' in capsys.readouterr().err
