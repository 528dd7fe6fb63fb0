# Copyright (c) mmgen-ada contributors. All rights reserved.
"""tools/test.py on configs/_base_/evaluation.py with a toy generator."""
import importlib.util
import os.path as osp
import sys
import textwrap

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

TOY_MODULE = textwrap.dedent('''
    import torch
    import torch.nn as nn
    from torch.utils.data import Dataset
    from mmengine.model import BaseModel
    from mmgen_ada.registry import DATASETS, MODELS


    @DATASETS.register_module(force=True)
    class ToyEvalImages(Dataset):
        def __init__(self, n=12):
            g = torch.Generator().manual_seed(0)
            self.images = torch.randint(0, 256, (n, 3, 8, 8), generator=g,
                                        dtype=torch.uint8)

        def __len__(self):
            return len(self.images)

        def __getitem__(self, i):
            return dict(inputs=self.images[i],
                        data_samples=dict(label=torch.zeros(0)))


    @MODELS.register_module(force=True)
    class ToyEvalGenerator(BaseModel):
        """Replays the dataset's images shifted by a saved offset."""

        def __init__(self):
            super().__init__()
            self.offset = nn.Parameter(torch.zeros(()))
            self.bank = (ToyEvalImages().images.float() - 128) / 127.5
            self.made = 0

        def sample_z(self, num, device):
            return torch.randn(num, 2, device=device)

        def generate(self, z, c=None, truncation_psi=1.0,
                     noise_mode='const', use_ema=True):
            idx = torch.arange(self.made, self.made + len(z)) % 12
            self.made += len(z)
            return self.bank[idx] + self.offset

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return inputs
''')


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'mmgen_ada_test_tool', osp.join(REPO, 'tools', 'test.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_test_tool_evaluates_a_checkpoint(tmp_path, monkeypatch, capsys):
    (tmp_path / 'toy_eval_model.py').write_text(TOY_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    base = osp.join(REPO, 'configs', '_base_', 'evaluation.py')
    cfg = tmp_path / 'toy_config.py'
    cfg.write_text(
        textwrap.dedent(f'''
        _base_ = [{base!r}]
        custom_imports = dict(imports=['toy_eval_model'],
                              allow_failed_imports=False)
        default_scope = 'mmgen_ada'
        model = dict(type='ToyEvalGenerator')
        test_dataloader = dict(
            batch_size=4, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(type='ToyEvalImages'))
        val_dataloader = test_dataloader
        '''))
    # A "trained" checkpoint: offset 0 reproduces the reals exactly.
    sys.modules.pop('toy_eval_model', None)
    ckpt = tmp_path / 'ckpt.pth'
    torch.save(dict(state_dict=dict(offset=torch.tensor(0.0))), ckpt)

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
