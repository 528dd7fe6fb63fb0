# Copyright (c) mmgen-ada contributors. All rights reserved.
"""mmengine checkpoints load under torch.load(weights_only=True)."""
import io
import pickle

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

import mmgen_ada  # noqa: F401  (registers the safe globals)


class _RangeDataset(Dataset):

    def __len__(self):
        return 16

    def __getitem__(self, idx):
        return dict(inputs=torch.tensor([idx / 16., 1 - idx / 16.]))


class _TinyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(inputs)
        if mode == 'loss':
            return dict(loss=(out - 1).pow(2).mean())
        return out


def _runner(work_dir, max_iters, resume, experiment_name):
    torch.manual_seed(0)  # same initial weights for every runner
    return Runner(
        model=_TinyModel(),
        work_dir=str(work_dir),
        experiment_name=experiment_name,
        train_dataloader=dict(
            dataset=_RangeDataset(),
            sampler=dict(type='InfiniteSampler', shuffle=False),
            batch_size=4,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=1),
            checkpoint=dict(
                type='CheckpointHook',
                interval=2,
                by_epoch=False,
                backend_args=dict(backend='atomic_local'))),
        resume=resume,
        randomness=dict(seed=0),
        default_scope='mmgen_ada')


def test_runner_resumes_under_weights_only(tmp_path):
    straight = _runner(tmp_path / 'straight', 4, False, 'straight')
    straight.train()

    first = _runner(tmp_path / 'resumed', 2, False, 'first')
    first.train()
    ckpt = tmp_path / 'resumed' / 'iter_2.pth'
    # The plain default load (weights_only=True since torch 2.6) works.
    state = torch.load(ckpt)
    assert isinstance(state['message_hub']['log_scalars']['train/loss'],
                      HistoryBuffer)

    second = _runner(tmp_path / 'resumed', 4, True, 'second')
    second.train()
    assert second.iter == 4
    for p_straight, p_resumed in zip(straight.model.parameters(),
                                     second.model.parameters()):
        torch.testing.assert_close(p_straight, p_resumed, rtol=0, atol=0)
    # Logged history came back with the checkpoint.
    loss_buffer = second.message_hub.get_scalar('train/loss')
    assert len(loss_buffer.data[0]) == 4


class _Evil:
    """Pickles as ``getattr(np.ndarray, 'tofile')(...)``-style access."""

    def __reduce__(self):
        return (getattr, (np.ndarray, 'tofile'))


def test_arbitrary_getattr_is_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    with open(path, 'wb') as f:
        torch.save({'payload': _Evil()}, f)
    with pytest.raises(pickle.UnpicklingError, match='getattr'):
        torch.load(path)


def test_numpy_and_history_buffer_round_trip():
    buf = HistoryBuffer()
    buf.update(np.float64(1.5))
    buf.update(2.5, count=2)
    data = {
        'hist': buf,
        'arrays': [np.arange(3, dtype=dt) for dt in (np.int64, np.float32)],
        'scalar': np.float64(0.25),
    }
    blob = io.BytesIO()
    torch.save(data, blob)
    blob.seek(0)
    loaded = torch.load(blob)
    assert loaded['hist'].mean() == buf.mean()
    np.testing.assert_array_equal(loaded['hist'].data[1], [1, 2])
    assert loaded['arrays'][0].dtype == np.int64
    assert loaded['scalar'] == 0.25
