# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Nothing stored in a checkpoint is executed.

Each test plants a payload that creates a marker file when run, in one of
the places mmengine or the NVlabs converter would execute or copy it, and
asserts that the marker never appears and the outcome is a clear error or
a safe result.
"""
import os
import os.path as osp
import subprocess
import sys
import uuid

import pytest
import torch
from mmengine.config import Config

from mmgen_ada.apis import init_model
from mmgen_ada.apis.nvlabs_checkpoint import (convert_nvlabs_pickle,
                                              nvlabs_generator_cfg)
from mmgen_ada.apis.nvlabs_pickle import NVlabsModuleRecord
from mmgen_ada.engine.checkpoint import (CheckpointConfigError,
                                         config_from_checkpoint,
                                         read_checkpoint)
from mmgen_ada.engine.runner import build_runner

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))
TOY_CONFIG = osp.join(HERE, 'checkpoint_toy_config.py')


def _payload(marker) -> str:
    return f"__import__('os').system('touch {marker}')"


def _toy_state_dict():
    return {
        'linear.weight': torch.eye(4),
        'linear.bias': torch.zeros(4),
        'steps': torch.tensor(0)
    }


def test_init_model_never_executes_meta_cfg_text(tmp_path):
    marker = tmp_path / 'MARKER'
    text = ("model = dict(type='ToyCheckpointModel')\n"
            f'_x = {_payload(marker)}\n')
    ckpt = tmp_path / 'evil.pth'
    torch.save(dict(meta=dict(cfg=text), state_dict=_toy_state_dict()), ckpt)
    with pytest.raises(
            CheckpointConfigError, match='line 2 .* never executed'):
        init_model(checkpoint=str(ckpt))
    assert not marker.exists()


def test_plain_data_config_cannot_name_an_importable_function(tmp_path):
    # mmengine's registry imports and calls a dotted `type` it does not
    # know, so plain data alone would still run a command.
    marker = tmp_path / 'MARKER'
    ckpt = tmp_path / 'evil.pth'
    torch.save(
        dict(
            meta=dict(
                cfg=dict(
                    model=dict(
                        type='subprocess.getoutput', cmd=f'touch {marker}'))),
            state_dict={}), ckpt)
    with pytest.raises(
            CheckpointConfigError, match="model.type='subprocess.getoutput'"):
        init_model(checkpoint=str(ckpt))
    assert not marker.exists()


def test_config_text_of_old_checkpoints_is_read_as_data():
    # mmengine's pretty_text of a plain config parses as literals.
    cfg = Config(
        dict(
            model=dict(type='StyleGAN2', scales=(1, -2.5), flag=None),
            items=[dict(a='x')]))
    read = config_from_checkpoint(
        dict(meta=dict(cfg=cfg.pretty_text)), 'old.pth')
    assert read.model.to_dict() == dict(
        type='StyleGAN2', scales=[1, -2.5], flag=None)  # tuples: lists
    assert read['items'][0]['a'] == 'x'


def test_train_resume_never_executes_meta_config(tmp_path, monkeypatch):
    marker = tmp_path / 'MARKER'
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        PYTHONPATH=os.pathsep.join([REPO, HERE]))
    work_dir = tmp_path / 'work'

    def train(*extra):
        return subprocess.run([
            sys.executable,
            osp.join(REPO, 'tools', 'train.py'), TOY_CONFIG, '--work-dir',
            str(work_dir), *extra
        ],
                              cwd=REPO,
                              env=env,
                              capture_output=True,
                              text=True,
                              timeout=120)

    # A real checkpoint at iteration 2 (trained here, to spare a process),
    # its meta given the payload that mmengine's Runner.resume runs
    # (Config.fromstring(meta['config'])).
    monkeypatch.syspath_prepend(HERE)
    cfg = Config.fromfile(TOY_CONFIG)
    cfg.train_cfg.max_iters = 2
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'no-code-{uuid.uuid4().hex[:8]}'
    build_runner(cfg).train()
    ckpt_path = work_dir / 'iter_2.pth'
    ckpt = read_checkpoint(str(ckpt_path))
    assert isinstance(ckpt['meta']['cfg'], dict)  # stored as data
    ckpt['meta']['config'] = f'gpu_ids = [0]\n_x = {_payload(marker)}\n'
    ckpt['meta']['cfg'] = f'_x = {_payload(marker)}\n'
    torch.save(ckpt, ckpt_path)

    proc = train('--resume', str(ckpt_path), '--cfg-options',
                 'train_cfg.max_iters=3')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not marker.exists()
    resumed = read_checkpoint(str(work_dir / 'iter_3.pth'))
    assert resumed['meta']['iter'] == 3
    assert resumed['meta']['cfg']['model'] == dict(type='ToyCheckpointModel')


def _generator_record(class_name='Generator', **kwargs):
    init_kwargs = dict(
        z_dim=8, c_dim=0, w_dim=8, img_resolution=8, img_channels=3)
    init_kwargs.update(kwargs)
    return NVlabsModuleRecord(class_name, '', 6,
                              dict(_init_kwargs=init_kwargs))


def test_nvlabs_converter_refuses_foreign_class_names(tmp_path):
    marker = tmp_path / 'MARKER'
    record = _generator_record(class_name=f"0))))\n_x = {_payload(marker)}\n#")
    with pytest.raises(ValueError, match='expected one of .*Generator'):
        convert_nvlabs_pickle(dict(G=record, D=None, G_ema=None))
    with pytest.raises(ValueError, match='expected one of .*Generator'):
        nvlabs_generator_cfg(record)
    assert not marker.exists()


def test_nvlabs_converter_refuses_non_plain_kwargs(tmp_path):
    marker = tmp_path / 'MARKER'
    # A persistence record in place of a number: its text (class_name)
    # would have reached the stored config.
    nested = NVlabsModuleRecord(_payload(marker), '', 6, {})
    record = _generator_record(synthesis_kwargs=dict(conv_clamp=nested))
    with pytest.raises(
            ValueError,
            match='synthesis_kwargs.conv_clamp is a '
            'NVlabsModuleRecord'):
        nvlabs_generator_cfg(record)
    assert not marker.exists()
