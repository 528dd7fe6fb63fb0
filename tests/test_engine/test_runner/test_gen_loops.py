# Copyright (c) mmgen-ada contributors. All rights reserved.
"""GenValLoop / GenTestLoop end to end on a tiny dataset and generator.

The stand-in generator replays a fixed bank of images (plus a trainable
offset), so the expected scores can be computed independently here.
"""
import glob
import json
import os
import os.path as osp
import socket
import subprocess
import sys
import textwrap
import uuid

import numpy as np
import pytest
import scipy.linalg
import torch
import torch.nn as nn
from torch.utils.data import Dataset

from mmengine.dist import get_rank, get_world_size
from mmengine.model import BaseModel
from mmengine.runner import Runner

from mmgen_ada.evaluation.feature_extractors import TinyTestFeatureExtractor
from mmgen_ada.evaluation.metrics import to_uint8

TINY = dict(type='TinyTestFeatureExtractor')
REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


class ToyImages(Dataset):
    """uint8 (3, 8, 8) images with one-hot labels; counts item reads."""

    def __init__(self, n=24, label_dim=0, seed=0, with_get_label=True):
        g = torch.Generator().manual_seed(seed)
        self.images = torch.randint(
            0, 256, (n, 3, 8, 8), generator=g, dtype=torch.uint8)
        self.labels = torch.eye(max(label_dim,
                                    1))[torch.arange(n) % max(label_dim, 1)]
        self.label_dim = label_dim
        self.reads = 0
        if not with_get_label:
            self.get_label = None

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        self.reads += 1
        label = self.labels[i] if self.label_dim else torch.zeros(0)
        return dict(inputs=self.images[i], data_samples=dict(label=label))

    def get_label(self, i):
        return self.labels[i].numpy()


class BankGenerator(BaseModel):
    """Replays ``bank`` in order (rank-interleaved), plus ``offset``.

    ``generate`` ignores z; the k-th image made on rank r (of world W) is
    ``bank[(r + W * k) % len(bank)] + offset``, so the gathered fakes are
    ``bank[0], bank[1], ...``.
    """

    def __init__(self, bank, label_dim=0, schedule=()):
        super().__init__()
        self.register_buffer('bank', bank)
        self.offset = nn.Parameter(torch.zeros(()))
        self.label_dim = label_dim
        self.schedule = list(schedule)
        self.made = 0
        self.calls = []

    def sample_z(self, num, device):
        return torch.randn(num, 4, device=device)

    def generate(self,
                 z,
                 c=None,
                 truncation_psi=1.0,
                 noise_mode='const',
                 use_ema=True):
        self.calls.append(
            dict(
                n=len(z),
                c=c,
                psi=truncation_psi,
                noise_mode=noise_mode,
                use_ema=use_ema))
        k = torch.arange(self.made, self.made + len(z))
        self.made += len(z)
        idx = (get_rank() + get_world_size() * k) % len(self.bank)
        return self.bank[idx] + self.offset

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return inputs

    def train_step(self, data, optim_wrapper):
        self.offset.data.fill_(self.schedule.pop(0))
        self.made = 0
        return dict(loss=torch.zeros(()))


def bank_of(dataset):
    """Float images in [-1, 1] that to_uint8 maps back to the dataset's."""
    return (dataset.images.float() - 128) / 127.5


def tiny_feats(imgs_uint8):
    return TinyTestFeatureExtractor()(imgs_uint8).double().numpy()


def fid_plain(real, fake):
    m1, m2 = real.mean(0), fake.mean(0)
    c1 = (real - m1).T @ (real - m1) / len(real)
    c2 = (fake - m2).T @ (fake - m2) / len(fake)
    return ((m1 - m2)**2).sum() + np.trace(c1 + c2) - 2 * np.trace(
        scipy.linalg.sqrtm(c2 @ c1).real)


def make_runner(tmp_path,
                dataset,
                model,
                evaluator,
                stage='test',
                loop=None,
                checkpoint=None,
                **kwargs):
    loader = dict(
        dataset=dataset,
        sampler=dict(type='DefaultSampler', shuffle=False),
        batch_size=5,
        num_workers=0)
    cfg = dict(
        model=model,
        work_dir=str(tmp_path / 'work'),
        # Unique: mmengine shares visualizers/loggers by experiment name.
        experiment_name=f'{tmp_path.name}-{uuid.uuid4().hex[:8]}',
        default_scope='mmgen_ada',
        env_cfg=dict(dist_cfg=dict(backend='gloo')),
        default_hooks=dict(
            logger=dict(
                type='LoggerHook', interval=1, log_metric_by_epoch=False),
            checkpoint=checkpoint),
        log_processor=dict(by_epoch=False),
        **kwargs)
    loop = loop or dict(
        type='GenTestLoop' if stage == 'test' else 'GenValLoop')
    cfg.update({
        f'{stage}_dataloader': loader,
        f'{stage}_cfg': loop,
        f'{stage}_evaluator': evaluator
    })
    return Runner(**cfg)


def all_metrics(tmp_path, fake_nums, real_nums=-1, cache=True):
    common = dict(
        fake_nums=fake_nums,
        real_nums=real_nums,
        feature_extractor=TINY,
        real_cache_dir=str(tmp_path / 'stats') if cache else None)
    return [
        dict(type='FrechetInceptionDistance', **common),
        dict(type='KernelInceptionDistance', num_subsets=3, **common),
        dict(type='PrecisionAndRecall', **common),
    ]


def test_fakes_equal_to_reals_score_perfectly(tmp_path):
    data = ToyImages(24)
    gen = BankGenerator(bank_of(data))
    runner = make_runner(tmp_path, data, gen, all_metrics(tmp_path, 24))
    out = runner.test()
    assert out['FID-Full/fid'] == pytest.approx(0, abs=1e-6)
    assert out['PR-Full/precision'] == 1 and out['PR-Full/recall'] == 1
    feats = tiny_feats(data.images)
    # KID of a set against itself with the unbiased estimator, by hand.
    d, m = feats.shape[1], len(feats)
    k = (feats @ feats.T / d + 1)**3
    kid = 2 * (k.sum() - np.trace(k)) / (m * (m - 1)) - 2 * k.sum() / m**2
    # Features are float32 and the sums run in another order: rel 1e-7.
    assert out['KID-Full/kid'] == pytest.approx(kid, rel=1e-7)
    # Generation contract: truncation 1, NVlabs' random noise, G_ema.
    assert {(c['psi'], c['noise_mode'], c['use_ema'], c['c'] is None)
            for c in gen.calls} == {(1.0, 'random', True, True)}
    assert max(c['n'] for c in gen.calls) == 5  # the dataloader batch size


def test_shifted_fakes_match_independent_fid(tmp_path):
    data = ToyImages(24)
    gen = BankGenerator(bank_of(data))
    gen.offset.data.fill_(0.3)
    metric = dict(
        type='FrechetInceptionDistance',
        fake_nums=17,
        real_nums=20,
        feature_extractor=TINY,
        real_cache_dir=None)
    loop = dict(type='GenTestLoop', fake_batch_size=4, noise_mode='const')
    out = make_runner(tmp_path, data, gen, [metric], loop=loop).test()
    real = tiny_feats(data.images[:20])
    fake = tiny_feats(to_uint8(bank_of(data)[:17] + 0.3))
    assert out['FID/fid'] == pytest.approx(fid_plain(real, fake), rel=1e-6)
    assert {c['noise_mode'] for c in gen.calls} == {'const'}
    assert sum(c['n'] for c in gen.calls) == 17


def test_real_statistics_are_cached_and_keyed_by_content(tmp_path):
    data = ToyImages(24)
    metrics = all_metrics(tmp_path, 24)
    first = make_runner(tmp_path, data, BankGenerator(bank_of(data)),
                        metrics).test()
    files = sorted(glob.glob(str(tmp_path / 'stats' / '*.npz')))
    # FID keeps mean/cov; KID and P&R share one file of all real features.
    names = [osp.basename(f) for f in files]
    assert len(files) == 2, names
    assert names[0].startswith('features-tiny-test-16-4-0-24-8px-')
    assert names[1].startswith('mean-cov-tiny-test-16-4-0-24-8px-')
    feats = tiny_feats(data.images)
    with np.load(files[1]) as npz:
        np.testing.assert_allclose(npz['mean'], feats.mean(0), 1e-6)
        assert int(npz['num']) == 24
    with np.load(files[0]) as npz:
        np.testing.assert_allclose(npz['features'], feats, 1e-6)

    # A fresh runner finds the cache: only the fingerprint probes are read.
    data.reads = 0
    again = make_runner(tmp_path / 'b', data, BankGenerator(bank_of(data)),
                        metrics).test()
    # FID is ~0 here, so a relative tolerance alone would be meaningless.
    assert again == pytest.approx(first, rel=1e-6, abs=1e-6)
    assert data.reads <= 16 + 1  # probes + resolution, no full real pass

    # Other content -> other keys -> recomputed.
    other = ToyImages(24, seed=1)
    make_runner(tmp_path / 'c', other, BankGenerator(bank_of(other)),
                metrics).test()
    assert len(glob.glob(str(tmp_path / 'stats' / '*.npz'))) == 4


def test_periodic_evaluation_reuses_real_statistics_in_memory(tmp_path):
    data = ToyImages(12)
    runner = make_runner(tmp_path, data, BankGenerator(bank_of(data)),
                         all_metrics(tmp_path, 12, cache=False))
    first = runner.test()
    data.reads = 0
    runner.test_loop.run()  # e.g. the next val_interval: no real pass
    assert data.reads == 0
    second = runner.test_loop.run()
    assert second == pytest.approx(first, rel=1e-6, abs=1e-6)


def test_conditional_labels_come_from_the_dataset(tmp_path):
    for with_get_label in (True, False):
        data = ToyImages(12, label_dim=3, with_get_label=with_get_label)
        gen = BankGenerator(bank_of(data), label_dim=3)
        metric = all_metrics(tmp_path, 12, cache=False)[:1]
        make_runner(tmp_path / str(with_get_label), data, gen, metric).test()
        labels = torch.cat([c['c'] for c in gen.calls])
        assert labels.shape == (12, 3)
        assert ((labels == 0) | (labels == 1)).all()
        assert (labels.sum(1) == 1).all()


def test_evaluation_leaves_the_training_rng_alone(tmp_path):
    data = ToyImages(10)
    runner = make_runner(tmp_path, data, BankGenerator(bank_of(data)),
                         all_metrics(tmp_path, 10, cache=False)[:1])
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    runner.test()
    assert torch.equal(torch.rand(3), expected)


def test_loop_rejects_bad_configuration(tmp_path):
    data = ToyImages(10)
    with pytest.raises(ValueError, match="noise_mode must be one of"):
        make_runner(
            tmp_path,
            data,
            BankGenerator(bank_of(data)),
            all_metrics(tmp_path, 10)[:1],
            loop=dict(type='GenTestLoop', noise_mode='fixed')).test()
    with pytest.raises(TypeError, match='needs a model with generate'):
        make_runner(tmp_path / 'b', data, nn.Linear(2, 2),
                    all_metrics(tmp_path, 10)[:1]).test()


def test_training_keeps_best_fid_checkpoint_and_logs_scalars(tmp_path):
    data = ToyImages(16)
    # FID after iters 1, 2, 3: bad, good, bad -> best is iter 2.
    gen = BankGenerator(bank_of(data), schedule=[0.6, 0.0, 0.6])
    runner = make_runner(
        tmp_path,
        data,
        gen,
        all_metrics(tmp_path, 16)[:1],
        stage='val',
        train_dataloader=dict(
            dataset=data,
            sampler=dict(type='InfiniteSampler', shuffle=True),
            batch_size=4,
            num_workers=0),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=3, val_interval=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.0)),
        visualizer=dict(
            type='Visualizer', vis_backends=[dict(type='LocalVisBackend')]),
        checkpoint=dict(
            type='CheckpointHook',
            interval=100,
            by_epoch=False,
            save_best='FID-Full/fid',
            rule='less'))
    runner.train()
    work = tmp_path / 'work'
    best = glob.glob(str(work / 'best_FID-Full_fid_iter_*.pth'))
    assert [osp.basename(b) for b in best] == ['best_FID-Full_fid_iter_2.pth']
    scalars = glob.glob(str(work / '*' / 'vis_data' / 'scalars.json'))
    lines = [json.loads(x) for x in open(scalars[0])]
    fids = [(x['step'], x['FID-Full/fid']) for x in lines
            if 'FID-Full/fid' in x]
    assert [s for s, _ in fids] == [1, 2, 3]
    assert fids[1][1] == pytest.approx(0, abs=1e-6)
    assert fids[0][1] > 1
    assert fids[0][1] == pytest.approx(fids[2][1])


DDP_WORKER = textwrap.dedent('''
    import gc, json, os, sys
    import torch, torch.distributed as dist
    sys.path.insert(0, sys.argv[1])
    sys.path.insert(0, os.path.dirname(sys.argv[2]))
    from test_gen_loops import ToyImages, BankGenerator, bank_of, make_runner
    import pathlib
    dist.init_process_group('gloo')
    tmp = pathlib.Path(sys.argv[3])
    data = ToyImages(21)
    metrics = [dict(type='FrechetInceptionDistance', fake_nums=19,
                    feature_extractor=dict(type='TinyTestFeatureExtractor'),
                    real_cache_dir=str(tmp / 'stats')),
               dict(type='PrecisionAndRecall', fake_nums=21,
                    feature_extractor=dict(type='TinyTestFeatureExtractor'),
                    real_cache_dir=None)]
    # CPU DDP: no device_ids (mmengine's default passes the local rank).
    runner = make_runner(tmp / 'run', data, BankGenerator(bank_of(data)),
                         metrics, launcher='pytorch',
                         cfg=dict(model_wrapper_cfg=dict(
                             type='MMDistributedDataParallel',
                             device_ids=None)))
    assert type(runner.model).__name__ == 'MMDistributedDataParallel'
    out = runner.test()
    with open(tmp / f'out{dist.get_rank()}.json', 'w') as f:
        json.dump(out, f)
    # Free the DDP-wrapped model while the process group is alive: torn
    # down after it, a worker aborted at exit ("terminate called without an
    # active exception", exit -6) in a CI dry run.
    del runner
    gc.collect()
    dist.destroy_process_group()
''')


def test_two_process_gloo_gathers_reals_and_fakes_in_order(tmp_path):
    worker = tmp_path / 'worker.py'
    worker.write_text(DDP_WORKER)
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    env = dict(
        os.environ,
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(port),
        WORLD_SIZE='2',
        OMP_NUM_THREADS='1')
    procs = [
        subprocess.Popen(
            [sys.executable,
             str(worker), REPO, __file__,
             str(tmp_path)],
            env=dict(env, RANK=str(r), LOCAL_RANK=str(r))) for r in range(2)
    ]
    assert [p.wait(timeout=240) for p in procs] == [0, 0]
    outs = [
        json.loads((tmp_path / f'out{r}.json').read_text()) for r in range(2)
    ]
    assert outs[0] == outs[1]  # broadcast to every rank
    data = ToyImages(21)
    # Gathered in dataset order: fakes are bank[0:19], reals all 21 images.
    expected = fid_plain(tiny_feats(data.images), tiny_feats(data.images[:19]))
    assert outs[0]['FID-Full/fid'] == pytest.approx(expected, rel=1e-5)
    assert outs[0]['PR-Full/precision'] == 1.0
    assert outs[0]['PR-Full/recall'] == 1.0
