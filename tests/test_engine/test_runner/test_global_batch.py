# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The global batch of a config and the per-process batch derived from it."""
import pytest
from mmengine.config import Config

from mmgen_ada.engine.runner.global_batch import (apply_global_batch,
                                                  launcher_world_size,
                                                  per_process_batch)


def _cfg(**top):
    return Config(
        dict(
            train_dataloader=dict(batch_size=8),
            model=dict(discriminator=dict(mbstd_group_size=4)),
            **top))


def test_per_process_batch_divides_the_global_batch():
    assert per_process_batch(64, 8) == 8
    assert per_process_batch(64, 2) == 32
    assert per_process_batch(8, 1) == 8


def test_non_dividing_batch_is_refused_with_the_numbers():
    with pytest.raises(ValueError) as err:
        per_process_batch(64, 3)
    msg = str(err.value)
    assert 'global batch 64' in msg and '3 processes' in msg
    assert '63 or 66' in msg
    with pytest.raises(ValueError, match='e.g. 4'):
        per_process_batch(2, 4)
    with pytest.raises(ValueError, match='positive int'):
        per_process_batch(0, 1)


def test_config_global_batch_is_kept_on_any_world_size():
    # An 8xb8 config on 2 processes: 32 each, the global batch stays 64.
    cfg = _cfg(global_batch_size=64)
    assert apply_global_batch(cfg, 2) == 64
    assert cfg.train_dataloader.batch_size == 32
    cfg = _cfg(global_batch_size=64)
    apply_global_batch(cfg, 8)
    assert cfg.train_dataloader.batch_size == 8


def test_config_without_global_batch_keeps_per_process_meaning():
    cfg = _cfg()
    assert apply_global_batch(cfg, 2) == 16
    assert cfg.train_dataloader.batch_size == 8
    assert cfg.global_batch_size == 16  # saved config states what ran


def test_per_process_batch_must_fit_the_mbstd_group():
    cfg = _cfg(global_batch_size=12)
    with pytest.raises(ValueError) as err:
        apply_global_batch(cfg, 2)
    msg = str(err.value)
    assert 'per-process batch 6' in msg and 'group size 4' in msg
    assert 'mbstd_group_size' in msg
    # Fewer images than the group: NVlabs uses min(group, batch).
    cfg = _cfg(global_batch_size=4)
    apply_global_batch(cfg, 2)
    assert cfg.train_dataloader.batch_size == 2


def test_no_batch_anywhere_is_an_error():
    cfg = Config(dict(train_dataloader=dict(batch_size=None)))
    with pytest.raises(ValueError, match='--batch'):
        apply_global_batch(cfg, 1)


def test_launcher_world_size(monkeypatch):
    assert launcher_world_size('none') == 1
    monkeypatch.setenv('WORLD_SIZE', '4')
    assert launcher_world_size('pytorch') == 4
    monkeypatch.delenv('WORLD_SIZE')
    with pytest.raises(ValueError, match='WORLD_SIZE'):
        launcher_world_size('pytorch')
    monkeypatch.setenv('SLURM_NTASKS', '16')
    assert launcher_world_size('slurm') == 16
