# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Checkpoints must fit the model; unreadable ones are named."""
import os.path as osp
import re
import uuid

import pytest
import torch
from mmengine.config import Config

from mmgen_ada.apis import init_model
from mmgen_ada.engine.checkpoint import (CheckpointReadError,
                                         StateDictMismatchError,
                                         read_checkpoint)
from mmgen_ada.engine.runner import build_runner
from mmgen_ada.testing import load_tool_module

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))
TOOLS_TESTS = osp.join(REPO, 'tests', 'test_tools')
TOY_MODEL = dict(model=dict(type='ToyCheckpointModel'))


@pytest.fixture
def toy_cfg(monkeypatch):
    monkeypatch.syspath_prepend(HERE)  # checkpoint_toy.py
    import checkpoint_toy  # noqa: F401

    def make(work_dir, **options) -> Config:
        cfg = Config.fromfile(osp.join(HERE, 'checkpoint_toy_config.py'))
        cfg.merge_from_dict(options)
        cfg.work_dir = str(work_dir)
        cfg.experiment_name = f'toy-{uuid.uuid4().hex[:8]}'
        cfg.log_level = 'WARNING'
        return cfg

    return make


def _wide_checkpoint(path):
    """A checkpoint of a toy model with a 4 -> 5 layer (ours is 4 -> 4)."""
    torch.save(
        dict(
            state_dict={
                'linear.weight': torch.ones(5, 4),
                'linear.bias': torch.ones(5),
                'steps': torch.tensor(7),
                'head.weight': torch.ones(2)
            }), path)
    return str(path)


def test_load_from_refuses_another_architecture(tmp_path, toy_cfg):
    ckpt = _wide_checkpoint(tmp_path / 'wide.pth')
    cfg = toy_cfg(tmp_path / 'work', load_from=ckpt)
    with pytest.raises(
            StateDictMismatchError,
            match=r'wide.pth .*linear.weight: checkpoint \(5, 4\) vs model '
            r'\(4, 4\).*not in the model: head.weight.*partial_load=True'):
        build_runner(cfg).train()


def test_partial_load_is_explicit_and_logged(tmp_path, toy_cfg):
    ckpt = _wide_checkpoint(tmp_path / 'wide.pth')
    cfg = toy_cfg(
        tmp_path / 'work',
        load_from=ckpt,
        partial_load=True,
        **{'train_cfg.max_iters': 1})
    runner = build_runner(cfg)
    runner.train()
    # Only `steps` fitted: 7 loaded, +1 for the iteration trained.
    assert int(runner.model.steps) == 8
    log_file = runner.logger.handlers[-1].baseFilename
    with open(log_file) as f:
        log = f.read()
    assert 'partial_load: loaded 1 tensors' in log
    assert 'linear.weight: checkpoint (5, 4) vs model (4, 4)' in log


def test_init_model_refuses_another_architecture(tmp_path, toy_cfg):
    ckpt = _wide_checkpoint(tmp_path / 'wide.pth')
    with pytest.raises(StateDictMismatchError, match='linear.bias'):
        init_model(TOY_MODEL, ckpt)
    model = init_model(TOY_MODEL, ckpt, partial_load=True)
    assert int(model.steps) == 7


def test_test_tool_refuses_another_architecture(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(TOOLS_TESTS)  # toy_eval_gan.py
    tool = load_tool_module(
        osp.join(REPO, 'tools', 'test.py'), 'mmgen_ada_test_tool_strict')
    ckpt = tmp_path / 'other.pth'
    torch.save(
        dict(
            state_dict={
                'offset': torch.zeros(3),
                'discriminator.threshold': torch.tensor(0.0),
                'cur_nimg': torch.tensor(0)
            }), ckpt)
    with pytest.raises(
            StateDictMismatchError,
            match=r'offset: checkpoint \(3,\) vs model \(\)'):
        tool.main([
            osp.join(TOOLS_TESTS, 'toy_eval_config.py'),
            str(ckpt), '--work-dir',
            str(tmp_path / 'work')
        ])


class _Evil:

    def __reduce__(self):
        return (print, ('unpickled code ran', ))


@pytest.mark.parametrize('kind', ['empty', 'truncated', 'code', 'missing'])
def test_unreadable_checkpoint_is_named(tmp_path, kind):
    path = tmp_path / f'{kind}.pth'
    if kind == 'empty':
        path.write_bytes(b'')
    elif kind in ('truncated', 'code'):
        torch.save(
            dict(w=torch.zeros(1000), e=_Evil() if kind == 'code' else 0),
            path)
        if kind == 'truncated':
            data = path.read_bytes()
            path.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointReadError) as info:
        read_checkpoint(str(path))
    message = str(info.value)
    assert str(path) in message
    expected = dict(
        empty='empty (0 bytes)',
        truncated='truncated or corrupt',
        code='objects other than tensors',
        missing='does not exist')[kind]
    assert expected in message
    assert 'weights_only=False' not in message
    assert 'weights_only` set to `False' not in message
    # The API and the tools read through read_checkpoint.
    with pytest.raises(CheckpointReadError, match=re.escape(expected)):
        init_model(TOY_MODEL, str(path))


def test_refused_global_is_named_without_torch_advice(tmp_path):
    path = tmp_path / 'code.pth'
    torch.save(dict(e=_Evil()), path)
    with pytest.raises(
            CheckpointReadError,
            match=r'\(Unsupported global: global print\)') as info:
        read_checkpoint(str(path))
    # torch's message (which advises weights_only=False) is not chained.
    assert info.value.__cause__ is None and info.value.__suppress_context__
