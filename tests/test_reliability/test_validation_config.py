# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Unknown keys and wrongly typed values fail before the runner is built."""
import glob
import os.path as osp
import sys

import pytest
from mmengine.config import Config
from mmengine.hooks import CheckpointHook

from mmgen_ada.engine.config_validation import (ConfigValidationError,
                                                validate_config)
from mmgen_ada.testing import load_tool_module

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
QUICKSTART = osp.join(REPO, 'configs', 'stylegan2',
                      'stylegan2-ada_quickstart_1xb16_twemoji-32x32.py')


class ForwardingCheckpointHook(CheckpointHook):
    """A subclass passing ``**kwargs`` on, like a project replacement."""

    def __init__(self, keep_tmp: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.keep_tmp = keep_tmp


class ExplicitCheckpointHook(CheckpointHook):
    """A subclass with a closed signature."""

    def __init__(self, interval: int = 1, max_keep_ckpts: int = 1) -> None:
        super().__init__(interval=interval, max_keep_ckpts=max_keep_ckpts)


def _quickstart(**options):
    cfg = Config.fromfile(QUICKSTART)
    cfg.merge_from_dict(options)
    return cfg


def _problems(cfg):
    with pytest.raises(ConfigValidationError) as err:
        validate_config(cfg)
    return str(err.value)


def test_misspelled_checkpoint_key_fails_with_allowed_keys():
    # mmengine's CheckpointHook takes **kwargs and only fails at the first
    # save; the check knows they go to Runner.save_checkpoint.
    msg = _problems(_quickstart(**{'default_hooks.checkpoint.intervl': 1}))
    assert ('default_hooks.checkpoint.intervl: unknown key for '
            "CheckpointHook (did you mean 'interval'?)") in msg
    assert 'allowed keys: ' in msg and 'max_keep_ckpts' in msg


@pytest.mark.parametrize('hook_cls',
                         [ForwardingCheckpointHook, ExplicitCheckpointHook])
def test_subclassed_checkpoint_hook_is_checked(hook_cls):
    cfg = _quickstart()
    cfg.default_hooks.checkpoint = dict(
        type=hook_cls, interval=2, max_keep_ckpts=1, intervl=1)
    msg = _problems(cfg)
    assert 'default_hooks.checkpoint.intervl' in msg
    assert hook_cls.__name__ in msg
    cfg.default_hooks.checkpoint.pop('intervl')
    validate_config(cfg)
    if hook_cls is ForwardingCheckpointHook:  # own and inherited keys
        cfg.default_hooks.checkpoint.update(keep_tmp=True, save_last=False)
        validate_config(cfg)


def test_other_hooks_and_priority():
    cfg = _quickstart(
        **{
            'default_hooks.logger.intervall': 5,
            'default_hooks.param_scheduler.anything': 1,
            'default_hooks.timer.priority': 'LOW',
        })
    cfg.custom_hooks[0]['ema_kimgs'] = 3  # GeneratorEMAHook (ours)
    msg = _problems(cfg)
    assert 'default_hooks.logger.intervall: unknown key for LoggerHook' in msg
    # A hook without its own __init__ takes no arguments at all.
    assert 'default_hooks.param_scheduler.anything' in msg
    assert 'custom_hooks[0].ema_kimgs: unknown key for GeneratorEMAHook' in msg
    assert 'default_hooks.timer' not in msg  # the runner reads priority
    assert msg.startswith('3 problem(s) in the config:')


def test_model_keys_are_checked_at_every_level():
    msg = _problems(
        _quickstart(
            **{
                'model.r1_gama': 1.0,
                'model.generator.chanel_max': 16,
                'model.discriminator.cond_sze': 3,  # via **kwargs to the base
                'model.discriminator.data_aug.ada_kimgg': 1,
            }))
    assert "model.r1_gama: unknown key for StyleGAN2 (did you mean " \
        "'r1_gamma'?)" in msg
    assert 'model.generator.chanel_max: unknown key for StyleGANv2Generator'\
        in msg
    assert ('model.discriminator.cond_sze: unknown key for '
            'ADAStyleGAN2Discriminator') in msg
    assert 'model.discriminator.data_aug.ada_kimgg: unknown key for ADAAug' \
        in msg


def test_types_name_key_and_expected_type():
    msg = _problems(
        _quickstart(
            **{
                'model.r1_gamma': 'abc',
                'model.generator.channel_max': 'lots',
                'default_hooks.checkpoint.interval': '5',
            }))
    assert "model.r1_gamma='abc': StyleGAN2 expects float, got str" in msg
    assert ("model.generator.channel_max='lots': StyleGANv2Generator "
            'expects int, got str') in msg
    assert "default_hooks.checkpoint.interval='5': CheckpointHook expects " \
        'int' in msg


def test_every_shipped_config_is_valid():
    # Algorithm configs only: _base_ fragments such as the --cfg auto base
    # leave data-dependent keys None until tools/train.py fills them (the
    # short-path tests validate the filled auto config through train.py).
    configs = sorted(
        p for p in glob.glob(osp.join(REPO, 'configs', '*', '*.py'))
        if osp.basename(osp.dirname(p)) != '_base_')
    assert len(configs) >= 10
    for path in configs:
        validate_config(Config.fromfile(path))


def _load_tool(name):
    module = load_tool_module(
        osp.join(REPO, 'tools', f'{name}.py'), f'mmgen_ada_tool_{name}')
    return module


@pytest.mark.parametrize('tool', ['train', 'test'])
def test_tools_validate_before_building(tool, tmp_path, monkeypatch):
    argv = [
        QUICKSTART, '--work-dir',
        str(tmp_path), '--cfg-options', 'default_hooks.checkpoint.intervl=1'
    ]
    if tool == 'test':
        argv.insert(1, str(tmp_path / 'missing.pth'))
    monkeypatch.setattr(sys, 'argv', [f'{tool}.py'] + argv)
    with pytest.raises(ConfigValidationError, match='intervl'):
        _load_tool(tool).main()
    assert not any(tmp_path.iterdir())  # nothing was built or written


class KeepsKwargs:
    """``**kwargs`` kept for its own use: their keys cannot be known."""

    def __init__(self, interval: int = 1, **kwargs) -> None:
        self.options = kwargs


def test_kwargs_forwarded_to_known_targets_or_accepted():
    cfg = _quickstart()
    cfg.custom_hooks.append(dict(type='EMAHook', momentum=0.01))
    cfg.custom_hooks.append(dict(type=KeepsKwargs, anything=1))
    validate_config(cfg)  # EMAHook passes momentum to its EMA model
    cfg.custom_hooks[-2]['momentm'] = 0.01
    cfg.custom_hooks[-1]['interval'] = 'often'  # types are still checked
    msg = _problems(cfg)
    ema, kwargs = len(cfg.custom_hooks) - 2, len(cfg.custom_hooks) - 1
    assert f'custom_hooks[{ema}].momentm: unknown key for EMAHook' in msg
    assert (f"custom_hooks[{kwargs}].interval='often': KeepsKwargs expects "
            'int') in msg
    assert 'anything' not in msg
