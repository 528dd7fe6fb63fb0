# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Scope resolution of the registries, each case in a fresh interpreter.

A fresh process is the only honest way to check that ``locations`` import
our modules: in the test process other tests have imported them already.
"""
import subprocess
import sys
import textwrap

import pytest

from mmgen_ada import registry

ROOT_NAMES = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'LOG_PROCESSORS',
    'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS', 'FUNCTIONS', 'MODELS',
    'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'OPTIMIZERS', 'OPTIM_WRAPPERS',
    'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'METRICS', 'EVALUATOR',
    'VISUALIZERS', 'VISBACKENDS'
]


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, '-c',
                             textwrap.dedent(code)],
                            capture_output=True,
                            text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize('name', ROOT_NAMES)
def test_children_of_mmengine_roots(name):
    import mmengine.registry as mmengine_registry
    child = getattr(registry, name)
    assert child.parent is getattr(mmengine_registry, name)
    assert child.scope == 'mmgen_ada'
    assert child._locations, f'{name} has no locations'
    for location in child._locations:
        __import__(location)  # every location is an importable package


def test_default_scope_finds_our_modules_without_registration():
    out = _run("""
        import sys
        from mmengine.config import Config
        from mmengine.registry import MODELS, HOOKS, DefaultScope
        cfg = Config(dict(default_scope='mmgen_ada'))
        DefaultScope.get_instance('t', scope_name=cfg.default_scope)
        assert 'mmgen_ada.models' not in sys.modules
        aug = MODELS.build(dict(type='ADAAug', aug_pipeline='bgc'))
        hook = HOOKS.build(dict(type='ADAHook'))
        print(type(aug).__module__, type(hook).__module__)
    """)
    assert out.split() == [
        'mmgen_ada.models.ada.ada_aug', 'mmgen_ada.engine.hooks.ada_hook'
    ]


def test_mmengine_module_from_our_scope():
    out = _run("""
        from mmgen_ada.registry import HOOKS
        hook = HOOKS.build(dict(type='mmengine.EMAHook', momentum=0.01))
        print(type(hook).__module__, hook.ema_cfg['momentum'])
    """)
    assert out.split() == ['mmengine.hooks.ema_hook', '0.01']


def test_our_module_from_another_scope():
    out = _run("""
        from mmengine.registry import MODELS, DefaultScope
        DefaultScope.get_instance('other', scope_name='mmengine')
        aug = MODELS.build(dict(type='mmgen_ada.ADAAug', ada_kimg=100))
        print(type(aug).__name__, aug.ada_kimg)
    """)
    assert out.split() == ['ADAAug', '100']
