# Copyright (c) mmgen-ada contributors. All rights reserved.
"""An official NVlabs .pkl where a checkpoint goes: generate.py,
tools/test.py and training's load_from; a malicious pickle is refused."""
import os
import pickle
import runpy
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tests' / 'test_apis'))
import nvlabs_pickle_factory as factory  # noqa: E402

from mmgen_ada.apis import init_model, sample  # noqa: E402
from mmgen_ada.engine.checkpoint import CheckpointReadError  # noqa: E402

pytestmark = pytest.mark.skipif(
    not factory.FIXTURE.is_dir(),
    reason=f'NVlabs fixture folder {factory.FIXTURE} missing')
QUICKSTART = (
    REPO / 'configs' / 'stylegan2' /
    'stylegan2-ada_quickstart_1xb16_twemoji-32x32.py')


class _System:

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


@pytest.fixture(scope='module')
def pkl(tmp_path_factory):
    return factory.write_fixture_snapshot(
        str(tmp_path_factory.mktemp('pkl') / 'network-snapshot.pkl'))


@pytest.fixture
def evil(tmp_path):
    payload = _System()
    payload.marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pkl'
    with open(path, 'wb') as f:
        pickle.dump(dict(G_ema=payload), f)
    return str(path), payload.marker


def tool_main(name):
    return runpy.run_path(str(REPO / 'tools' / name))['main']


def _images(root, num=6, size=32):
    root.mkdir(parents=True)
    rng = np.random.RandomState(0)
    for i in range(num):
        Image.fromarray(rng.randint(0, 256, (size, size, 3),
                                    dtype=np.uint8)).save(root / f'{i}.png')
    return str(root)


def _fixture_cfg(tmp_path, data_root):
    """The quickstart at the fixture's architecture (32x32, 64 channels,
    64-d styles, 2-layer mapping): the config of a transfer run."""
    cfg = Config.fromfile(str(QUICKSTART))
    cfg.merge_from_dict({
        'model.generator.style_channels': 64,
        'model.generator.noise_size': 64,
        'model.generator.mix_prob': 0.0,
        'model.pl_weight': 0.0,  # no regularisation passes: test speed
        'model.r1_gamma': 0.0,
        'train_dataloader.batch_size': 4,
        'train_dataloader.dataset.data_root': data_root,
        'test_dataloader.dataset.data_root': data_root,
        'test_dataloader.batch_size': 4,
        'test_dataloader.num_workers': 0,
        'test_dataloader.persistent_workers': False,
        'test_evaluator.metrics.0.fake_nums': 4,
        'test_evaluator.metrics.0.feature_extractor.type':
        'TinyTestFeatureExtractor',
        'test_evaluator.metrics.0.real_cache_dir': str(tmp_path / 'stats'),
        # docs/transfer_learning.md: the paper's transfer recipe.
        'model.discriminator.data_aug.ada_kimg': 100,
        'model.ema_config.ema_rampup': None,
        'model.discriminator.freeze_layers': 2,
        'train_cfg.max_iters': 1,
        'default_hooks.logger.interval': 1,
    })
    cfg.custom_hooks = [
        h for h in cfg.custom_hooks if h['type'] != 'GenVisualizationHook'
    ]
    cfg.work_dir = str(tmp_path / 'work')
    cfg.experiment_name = f'pkl-{uuid.uuid4().hex[:8]}'
    cfg.env_cfg.dist_cfg.backend = 'gloo'
    return cfg


def test_generate_from_official_pickle(pkl, tmp_path):
    tool_main('generate.py')(
        [pkl, '--seeds', '0-1', '--outdir', str(tmp_path)])
    expected = sample(init_model(checkpoint=pkl), seeds=[0, 1])
    for seed, ref in zip((0, 1), expected):
        got = np.array(Image.open(tmp_path / f'seed{seed:04d}.png'))
        np.testing.assert_array_equal(got, ref)


def test_generate_refuses_malicious_pickle(evil, tmp_path):
    path, marker = evil
    with pytest.raises(CheckpointReadError, match='evil.pkl'):
        tool_main('generate.py')(
            [path, '--seeds', '0', '--outdir',
             str(tmp_path / 'o')])
    assert not marker.exists()


def test_test_tool_and_load_from_take_official_pickle(pkl, evil, tmp_path):
    from mmengine.runner import Runner
    cfg = _fixture_cfg(tmp_path, _images(tmp_path / 'imgs'))
    cfg_path = tmp_path / 'transfer.py'
    cfg.dump(str(cfg_path))

    metrics = tool_main('test.py')([str(cfg_path), pkl])
    assert np.isfinite(metrics['FID-Full/fid'])
    path, marker = evil
    with pytest.raises(CheckpointReadError, match='evil.pkl'):
        tool_main('test.py')([str(cfg_path), path])
    assert not marker.exists()

    # load_from: the run starts from the official weights and trains.
    cfg.load_from = pkl
    cfg.experiment_name = f'pkl-{uuid.uuid4().hex[:8]}'
    runner = Runner.from_cfg(cfg)
    runner.load_or_resume()
    official = init_model(checkpoint=pkl).state_dict()
    for key, value in runner.model.state_dict().items():
        if key.startswith(('generator.', 'generator_ema.module.')):
            torch.testing.assert_close(value, official[key], atol=0, rtol=0)
    frozen = {
        k: v.clone()
        for k, v in runner.model.discriminator.state_dict().items()
        # Freeze-D: the first 2 conv layers (fromrgb, conv0 of b32)
        if k.startswith(('b32.fromrgb.', 'b32.conv0.'))
    }
    assert frozen
    trained = runner.model.discriminator.b32.conv1.weight.detach().clone()
    runner.train()
    assert runner.iter == 1
    d_state = runner.model.discriminator.state_dict()
    for key, value in frozen.items():
        torch.testing.assert_close(d_state[key], value, atol=0, rtol=0)
    assert not torch.equal(d_state['b32.conv1.weight'], trained)
