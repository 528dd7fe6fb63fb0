# Copyright (c) mmgen-ada contributors. All rights reserved.
"""A real mmengine Runner trains the shipped quickstart config (tiny)."""
import glob
import json
import os.path as osp

import torch
from mmengine.runner import Runner

import mmgen_ada  # noqa: F401  (registers checkpoint safe globals)


def test_quickstart_config_trains_three_iterations(tmp_path, train_kit):
    torch.set_num_threads(1)
    data_root = train_kit.write_image_folder(tmp_path / 'data', num=8, size=16)
    work_dir = str(tmp_path / 'work')
    cfg = train_kit.tiny_quickstart_cfg(data_root, work_dir, max_iters=3)
    runner = Runner.from_cfg(cfg)
    runner.train()

    model = runner.model
    assert int(model.num_batches) == 3
    assert int(model.cur_nimg) == 3 * 4
    assert int(model.generator_ema.steps) == 3
    assert model.generator_ema.batch_size == 4
    # Path length ran at iterations 0 and 2 (pl_interval=2).
    assert float(model.pl_mean) > 0

    # ADA: p moved from 0.2 by +-count / (ada_kimg * 1000) = 4 / 10 per update.
    p = float(model.discriminator.data_aug.p)
    assert p != 0.2

    # Checkpoints with the model state, G_ema and RNG states.
    ckpt = torch.load(train_kit.latest_checkpoint(work_dir), weights_only=True)
    assert ckpt['meta']['iter'] == 3
    keys = ckpt['state_dict'].keys()
    assert any(k.startswith('generator_ema.module.') for k in keys)
    assert 'pl_mean' in keys and 'generator_ema.steps' in keys
    assert len(ckpt['rng_states']) == 1

    # Sample grids: initial fakes/reals and every 2 iterations + last.
    samples = sorted(
        osp.basename(p)
        for p in glob.glob(osp.join(work_dir, 'samples', '*.png')))
    # Names carry kimg and p, e.g. fakes_000002_kimg0.008_p0.600.png.
    assert len(samples) == 6
    assert samples[2:4] == ['fakes_init.png', 'reals.png']
    for name, (step, kimg) in zip(samples[:2] + samples[4:],
                                  [(2, 0.008), (3, 0.012)] * 2):
        prefix = 'fakes' if name.startswith('fakes') else 'reals_aug'
        assert name.startswith(f'{prefix}_{step:06d}_kimg{kimg:.3f}_p'), name
    assert samples[1].endswith(f'_p{p:.3f}.png')  # the final p

    # TensorBoard event files beside scalars.json, by default.
    assert glob.glob(
        osp.join(work_dir, '*', 'vis_data', 'events.out.tfevents.*'))

    # Scalars reach the vis backend: losses, kimg and ADA's p / r_t.
    scalars = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    assert scalars
    with open(scalars[0]) as f:
        records = [json.loads(line) for line in f]
    logged = set().union(*records)
    for key in ('loss_G', 'loss_D', 'kimg'):
        assert key in logged, (key, logged)
    assert any('ada' in k for k in logged), logged
