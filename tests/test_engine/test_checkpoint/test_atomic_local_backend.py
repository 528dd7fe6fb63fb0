# Copyright (c) mmgen-ada contributors. All rights reserved.
import os

import pytest
import torch
from mmengine.fileio import get_file_backend
from mmengine.runner.checkpoint import save_checkpoint

from mmgen_ada.engine.checkpoint import AtomicLocalBackend


def test_backend_is_selected_by_name(tmp_path):
    backend = get_file_backend(
        str(tmp_path), backend_args=dict(backend='atomic_local'))
    assert isinstance(backend, AtomicLocalBackend)


def test_put_writes_and_leaves_no_temporary(tmp_path):
    backend = AtomicLocalBackend()
    target = tmp_path / 'sub' / 'file.bin'
    backend.put(b'abc', target)
    backend.put_text('new', tmp_path / 'text.txt')
    assert target.read_bytes() == b'abc'
    assert (tmp_path / 'text.txt').read_text() == 'new'
    assert sorted(os.listdir(tmp_path / 'sub')) == ['file.bin']


def test_interrupted_save_keeps_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / 'latest.pth'
    backend_args = dict(backend='atomic_local')
    save_checkpoint({'w': torch.ones(3)}, str(path), backend_args=backend_args)

    def killed(fd):
        raise KeyboardInterrupt('killed while saving')

    # Interrupt the second save after part of the data is written.
    monkeypatch.setattr(os, 'fsync', killed)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({'w': torch.zeros(1000)},
                        str(path),
                        backend_args=backend_args)
    monkeypatch.undo()

    assert torch.equal(torch.load(path)['w'], torch.ones(3))
    assert os.listdir(tmp_path) == ['latest.pth']
