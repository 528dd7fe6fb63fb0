# Copyright (c) mmgen-ada contributors. All rights reserved.
"""tools/test.py on configs/_base_/evaluation.py with a toy generator."""
import os.path as osp

import pytest
import torch

from mmgen_ada.testing import load_tool_module

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

HERE = osp.dirname(osp.abspath(__file__))


def load_tool():
    module = load_tool_module(
        osp.join(REPO, 'tools', 'test.py'), 'mmgen_ada_test_tool')
    return module


def test_test_tool_evaluates_a_checkpoint(tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(HERE)  # toy_eval_gan.py
    cfg = osp.join(HERE, 'toy_eval_config.py')
    # A "trained" checkpoint: offset 0 reproduces the reals exactly.
    ckpt = tmp_path / 'ckpt.pth'
    # Every tensor of the model: test.py refuses checkpoints that do not fit.
    torch.save(
        dict(
            state_dict={
                'offset': torch.tensor(0.0),
                'discriminator.threshold': torch.tensor(0.0),
                'cur_nimg': torch.tensor(0)
            }), ckpt)

    options = []
    for i in range(3):
        options += [
            f'test_evaluator.metrics.{i}.fake_nums=12',
            f'test_evaluator.metrics.{i}.feature_extractor.type='
            'TinyTestFeatureExtractor',
            f'test_evaluator.metrics.{i}.real_cache_dir={tmp_path / "st"}',
        ]
    options += ['test_evaluator.metrics.1.num_subsets=2']
    tool = load_tool()
    metrics = tool.main([
        str(cfg),
        str(ckpt), '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', *options
    ])
    assert metrics['FID-Full/fid'] == pytest.approx(0, abs=1e-6)
    assert metrics['PR-Full/precision'] == 1.0
    assert metrics['PR-Full/recall'] == 1.0
    assert set(metrics) == {
        'FID-Full/fid', 'FID-Full/mean', 'FID-Full/cov', 'KID-Full/kid',
        'KID-Full/kid_std', 'PR-Full/precision', 'PR-Full/recall'
    }
    table = capsys.readouterr().out
    assert '| metric ' in table and '| PR-Full/recall' in table


def test_metrics_table_format():
    table = load_tool().format_metrics({'FID-Full/fid': 12.3456789, 'n': 3})
    assert table.splitlines()[3] == '| FID-Full/fid | 12.3457 |'
    assert table.splitlines()[4] == '| n            |       3 |'
