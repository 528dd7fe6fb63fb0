# Copyright (c) mmgen-ada contributors. All rights reserved.
"""tools/analysis/eval_checkpoints.py on a toy GAN and the tiny extractor."""
import importlib.util
import json
import os.path as osp
import textwrap

import numpy as np
import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

HERE = osp.dirname(osp.abspath(__file__))


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'mmgen_ada_eval_checkpoints_tool',
        osp.join(REPO, 'tools', 'analysis', 'eval_checkpoints.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _save(path, iteration, offset, threshold, nimg):
    torch.save(
        dict(
            meta=dict(iter=iteration),
            state_dict={
                'offset': torch.tensor(offset),
                'discriminator.threshold': torch.tensor(threshold),
                'cur_nimg': torch.tensor(nimg, dtype=torch.int64),
            }), path)


def test_eval_checkpoints_writes_metrics_per_checkpoint(tmp_path,
                                                        monkeypatch):
    monkeypatch.syspath_prepend(HERE)  # toy_eval_gan.py
    base = osp.join(HERE, 'toy_eval_config.py')
    cfg = tmp_path / 'toy_ckpt_config.py'
    cfg.write_text(
        textwrap.dedent(f'''
        _base_ = [{base!r}]
        test_evaluator = dict(metrics=[
            dict(type='FrechetInceptionDistance', fake_nums=12,
                 feature_extractor=dict(type='TinyTestFeatureExtractor'),
                 real_cache_dir={str(tmp_path / 'stats')!r}),
            dict(type='KernelInceptionDistance', fake_nums=12,
                 num_subsets=2,
                 feature_extractor=dict(type='TinyTestFeatureExtractor'),
                 real_cache_dir={str(tmp_path / 'stats')!r}),
        ])
        '''))

    # Per-image mean in [-1, 1], computed here independently of the tool.
    g = torch.Generator().manual_seed(0)
    images = torch.randint(
        0, 256, (12, 3, 8, 8), generator=g, dtype=torch.uint8)
    means = np.sort(images.double().numpy().mean((1, 2, 3)) / 127.5 - 1)
    # A threshold between the 4th and 5th smallest means: 8 of 12 above.
    threshold = float((means[3] + means[4]) / 2)

    run = tmp_path / 'run'
    run.mkdir()
    # iter_10 must sort after iter_2 (numeric, not lexicographic order).
    _save(run / 'iter_10.pth', 10, 0.0, threshold, 160)
    _save(run / 'iter_2.pth', 2, 0.5, 10.0, 32)
    (run / 'last_checkpoint').write_text('not a checkpoint')

    out = tmp_path / 'metrics.json'
    tool = load_tool()
    results = tool.main([str(cfg), str(run), '--out', str(out)])

    assert [osp.basename(r['checkpoint']) for r in results] == [
        'iter_2.pth', 'iter_10.pth'
    ]
    assert json.loads(out.read_text()) == results
    early, last = results
    assert (early['iter'], early['kimg']) == (2, 0.032)
    assert (last['iter'], last['kimg']) == (10, 0.16)
    # offset 0 replays the reals: FID 0; a shifted generator is worse.
    assert last['FID-Full/fid'] == pytest.approx(0, abs=1e-6)
    assert early['FID-Full/fid'] > 1e-3
    assert early['KID-Full/kid'] > last['KID-Full/kid']
    assert early['D_real_sign'] == -1.0
    assert last['D_real_sign'] == pytest.approx((8 - 4) / 12)


def test_find_checkpoints_rejects_missing_paths(tmp_path):
    tool = load_tool()
    with pytest.raises(FileNotFoundError, match='no_such_run'):
        tool.find_checkpoints([str(tmp_path / 'no_such_run')])
    with pytest.raises(FileNotFoundError, match='No iter_'):
        tool.find_checkpoints([str(tmp_path)])


def test_out_defaults_to_the_work_dir_eval_json(tmp_path, capsys):
    tool = load_tool()
    run = tmp_path / 'run'
    run.mkdir()
    args = tool.parse_args(['cfg.py', str(run)])
    assert args.out == str(run / 'eval.json')
    # Several paths, or a checkpoint file: there is no obvious place.
    for paths in ([str(run), str(run)], [str(run / 'iter_1.pth')]):
        with pytest.raises(SystemExit):
            tool.parse_args(['cfg.py', *paths])
        assert '--out is required' in capsys.readouterr().err
