# Copyright (c) mmgen-ada contributors. All rights reserved.
"""tools/analysis/eval_checkpoints.py on a toy GAN and the tiny extractor."""
import json
import os.path as osp
import textwrap

import numpy as np
import pytest
import torch

from mmgen_ada.testing import load_tool_module

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

HERE = osp.dirname(osp.abspath(__file__))


def load_tool():
    module = load_tool_module(
        osp.join(REPO, 'tools', 'analysis', 'eval_checkpoints.py'),
        'mmgen_ada_eval_checkpoints_tool')
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


def test_ragged_last_batch_with_minibatch_std(tmp_path):
    """13 reals in batches of 8: the last batch of 5 is not a multiple of
    the mbstd group (4); the D sign pass still covers all 13."""
    from mmengine.config import Config
    from PIL import Image

    from mmgen_ada.apis import build_checkpoint

    root = tmp_path / 'reals'
    root.mkdir()
    rng = np.random.RandomState(0)
    for i in range(13):
        Image.fromarray(rng.randint(0, 256, (16, 16, 3),
                                    dtype=np.uint8)).save(root / f'{i}.png')
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'stylegan2',
                 'stylegan2-ada_quickstart_1xb16_twemoji-32x32.py'))
    small = dict(channel_base=128, channel_max=16, num_fp16_scales=0)
    cfg.merge_from_dict({
        'model.generator': dict(out_size=16, style_channels=16, **small),
        'model.discriminator': dict(in_size=16, mbstd_group_size=4, **small),
        'test_dataloader.dataset.data_root': str(root),
        'test_dataloader.batch_size': 8,
        'test_dataloader.num_workers': 0,
        'test_dataloader.persistent_workers': False,
        'test_evaluator.metrics.0.fake_nums': 4,
        'test_evaluator.metrics.0.feature_extractor.type':
        'TinyTestFeatureExtractor',
        'test_evaluator.metrics.0.real_cache_dir': str(tmp_path / 'stats'),
    })
    cfg_path = tmp_path / 'ragged.py'
    cfg.dump(str(cfg_path))
    run = tmp_path / 'run'
    run.mkdir()
    torch.manual_seed(0)
    torch.save(build_checkpoint(cfg.model.to_dict(), None), run / 'iter_2.pth')

    tool = load_tool()
    results = tool.main([str(cfg_path), str(run)])
    saved = json.loads((run / 'eval.json').read_text())
    assert saved == results and len(saved) == 1
    assert np.isfinite(saved[0]['FID-Full/fid'])
    # a mean of 13 signs
    assert saved[0]['D_real_sign'] * 13 == pytest.approx(
        round(saved[0]['D_real_sign'] * 13))


def test_mbstd_chunks():
    chunks = load_tool()._mbstd_chunks
    assert chunks(9, 4) == [slice(0, 8), slice(8, 9)]
    assert chunks(8, 4) == [slice(0, 8)]
    assert chunks(3, 4) == [slice(0, 3)]
    assert chunks(5, None) == [slice(0, 5)]
