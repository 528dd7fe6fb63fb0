# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Resume through tools/train.py in fresh processes is bit-exact."""
import os
import subprocess
import sys

import torch

import mmgen_ada  # noqa: F401  (registers checkpoint safe globals)


def _train(train_kit, config, work_dir, *extra):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([
        sys.executable,
        str(train_kit.repo_root / 'tools' / 'train.py'),
        str(config), '--work-dir',
        str(work_dir), *extra
    ],
                          cwd=str(train_kit.repo_root),
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_cli_resume_in_new_process_is_exact(tmp_path, train_kit):
    # Every run is its own process, as for a user: anything that draws from
    # the global RNGs outside the checkpointed state (e.g. a lazily run
    # first-call probe) breaks this, not only missing state.
    data_root = train_kit.write_image_folder(tmp_path / 'data', num=8)
    cfg = train_kit.tiny_quickstart_cfg(
        data_root, str(tmp_path / 'unused'), max_iters=4)
    cfg.randomness = dict(seed=0)
    config = tmp_path / 'tiny.py'
    cfg.dump(str(config))

    _train(train_kit, config, tmp_path / 'straight')
    _train(train_kit, config, tmp_path / 'split', '--cfg-options',
           'train_cfg.max_iters=2')
    _train(train_kit, config, tmp_path / 'split', '--resume',
           str(tmp_path / 'split' / 'iter_2.pth'))

    a = torch.load(tmp_path / 'straight' / 'iter_4.pth', weights_only=True)
    b = torch.load(tmp_path / 'split' / 'iter_4.pth', weights_only=True)
    assert a['meta']['iter'] == b['meta']['iter'] == 4
    differing = [
        key for key, value in a['state_dict'].items()
        if isinstance(value, torch.Tensor)
        and not torch.equal(value, b['state_dict'][key])
    ]
    assert not differing, f'{len(differing)} tensors differ: {differing[:5]}'
    for name in ('generator', 'discriminator'):
        for pid, state in a['optimizer'][name]['state'].items():
            other = b['optimizer'][name]['state'][pid]
            for key in ('exp_avg', 'exp_avg_sq', 'step'):
                assert torch.equal(state[key], other[key]), (name, pid, key)
