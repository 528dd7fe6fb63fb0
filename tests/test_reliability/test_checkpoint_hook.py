# Copyright (c) mmgen-ada contributors. All rights reserved.
"""AtomicCheckpointHook: save, then last_checkpoint, then rotate."""
import os
import os.path as osp
import stat
import uuid

import pytest
from mmengine.config import Config

from mmgen_ada.engine.checkpoint import atomic_write, read_checkpoint
from mmgen_ada.engine.runner import GANRunner, build_runner
from mmgen_ada.registry import HOOKS

HERE = osp.dirname(osp.abspath(__file__))


@pytest.fixture
def toy_cfg(monkeypatch):
    monkeypatch.syspath_prepend(HERE)  # checkpoint_toy.py

    def make(work_dir, **options) -> Config:
        cfg = Config.fromfile(osp.join(HERE, 'checkpoint_toy_config.py'))
        cfg.merge_from_dict(options)
        cfg.work_dir = str(work_dir)
        cfg.experiment_name = f'toy-{uuid.uuid4().hex[:8]}'
        cfg.log_level = 'WARNING'
        return cfg

    return make


def _last(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def test_misspelled_hook_key_fails_at_build(tmp_path, toy_cfg):
    with pytest.raises(TypeError, match=r"\['intervl'\].*'interval'"):
        HOOKS.build(dict(type='AtomicCheckpointHook', intervl=1))
    cfg = toy_cfg(tmp_path, **{'default_hooks.checkpoint.intervl': 1})
    with pytest.raises(TypeError, match='intervl'):
        build_runner(cfg)  # before any training


def test_failed_save_keeps_the_previous_checkpoint(tmp_path, toy_cfg,
                                                   monkeypatch):
    work_dir = tmp_path / 'work'
    options = {'default_hooks.checkpoint.max_keep_ckpts': 1}
    build_runner(toy_cfg(work_dir, **options, **{'train_cfg.max_iters':
                                                 2})).train()
    assert _last(work_dir) == str(work_dir / 'iter_2.pth')

    def killed(*args, **kwargs):
        raise KeyboardInterrupt('killed while saving')

    monkeypatch.setattr(GANRunner, 'save_checkpoint', killed)
    cfg = toy_cfg(work_dir, **options, **{'train_cfg.max_iters': 3})
    cfg.resume = True
    with pytest.raises(KeyboardInterrupt):
        build_runner(cfg).train()
    # mmengine's hook deleted iter_2 before writing iter_3.
    assert _last(work_dir) == str(work_dir / 'iter_2.pth')
    assert read_checkpoint(_last(work_dir))['meta']['iter'] == 2


def test_rotation_after_save_and_stale_tmp_removal(tmp_path, toy_cfg):
    work_dir = tmp_path / 'work'
    os.makedirs(work_dir)
    leftovers = ['iter_7.pth.abcd1234.tmp', 'last_checkpoint.x_yz9876.tmp']
    foreign = 'notes.txt.abcd1234.tmp'
    for name in leftovers + [foreign]:
        (work_dir / name).write_bytes(b'partial')
    cfg = toy_cfg(
        work_dir, **{
            'default_hooks.checkpoint.max_keep_ckpts': 2,
            'train_cfg.max_iters': 4
        })
    build_runner(cfg).train()
    names = sorted(os.listdir(work_dir))
    assert [n for n in names
            if n.endswith('.pth')] == ['iter_3.pth', 'iter_4.pth']
    assert not set(leftovers) & set(names)
    assert foreign in names  # not a file of this run's checkpoints
    last = read_checkpoint(str(work_dir / 'iter_4.pth'))
    # The kept list saved in the checkpoint still holds the one rotated
    # out after the save, so a resume deletes it if the run was killed.
    assert last['message_hub']['runtime_info']['keep_ckpt_ids'] == [2, 3, 4]


@pytest.mark.parametrize('umask', [0o022, 0o027])
def test_atomic_write_honours_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        atomic_write(b'x', tmp_path / 'file')
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / 'file').st_mode) == 0o666 & ~umask


def test_failed_best_save_keeps_the_previous_best(tmp_path, toy_cfg,
                                                  monkeypatch):
    work_dir = tmp_path / 'work'
    cfg = toy_cfg(
        work_dir, **{
            'train_cfg.max_iters': 1,
            'default_hooks.checkpoint.save_best': 'acc',
            'default_hooks.checkpoint.rule': 'greater'
        })
    runner = build_runner(cfg)
    runner.train()
    hook = next(
        h for h in runner.hooks if type(h).__name__ == 'AtomicCheckpointHook')
    hook.after_val_epoch(runner, {'acc': 0.5})
    best = hook.best_ckpt_path
    assert osp.isfile(best)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt('killed while saving')

    monkeypatch.setattr(runner, 'save_checkpoint', killed)
    with pytest.raises(KeyboardInterrupt):
        hook.after_val_epoch(runner, {'acc': 0.9})
    assert osp.isfile(best)  # mmengine deleted it before saving
    monkeypatch.undo()
    runner.train_loop._iter += 1  # a later evaluation
    hook.after_val_epoch(runner, {'acc': 0.95})
    assert not osp.exists(best) and osp.isfile(hook.best_ckpt_path)
