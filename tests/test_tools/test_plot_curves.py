# Copyright (c) mmgen-ada contributors. All rights reserved.
import json
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmgen_ada.testing import load_tool_module

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool():
    module = load_tool_module(
        osp.join(REPO, 'tools', 'analysis', 'plot_curves.py'), 'plot_curves')
    return module


def write_run(work_dir, timestamp, records):
    vis = work_dir / timestamp / 'vis_data'
    vis.mkdir(parents=True)
    with open(vis / 'scalars.json', 'w') as f:
        for r in records:
            f.write(json.dumps(r) + '\n')


def train_record(step, batch=16, **extra):
    return dict(
        step=step,
        iter=step,
        kimg=step * batch / 1000,
        lr=0.002,
        loss_gen=1.0 / step,
        loss_disc=0.5,
        ada_p=0.001 * step,
        ada_rt=0.6,
        **extra)


def test_plot_from_work_dir_with_resume(tmp_path):
    tool = load_tool()
    write_run(tmp_path, '20240101_000000',
              [train_record(s) for s in (10, 20, 30)] + [{
                  'FID-Full/fid': 80.0,
                  'step': 30
              }])
    # The resumed run re-logs step 30 (later value wins) and continues.
    write_run(tmp_path, '20240102_000000',
              [train_record(30, ada_p_extra=1.0)] +
              [train_record(s) for s in (40, 50)] + [{
                  'FID-Full/fid': 60.0,
                  'KID-Full/kid': 0.05,
                  'step': 60
              }])
    files = tool.find_scalar_files(str(tmp_path))
    assert [osp.basename(osp.dirname(osp.dirname(f)))
            for f in files] == ['20240101_000000', '20240102_000000']
    series = tool.collect_series(tool.load_records(files), batch=None)
    x, p = series['ada_p']
    np.testing.assert_allclose(x, [0.16, 0.32, 0.48, 0.64, 0.8])
    np.testing.assert_allclose(p, [0.01, 0.02, 0.03, 0.04, 0.05])
    # Evaluation at step 60 is past the last kimg record: 60 * 16 / 1000.
    x, fid = series['FID-Full/fid']
    np.testing.assert_allclose(x, [0.48, 0.96])
    np.testing.assert_allclose(fid, [80, 60])

    out = tool.main([str(tmp_path)])
    assert out == str(tmp_path / 'curves.png')
    w, h = Image.open(out).size
    assert w > 100 and h > 100
    assert tool.plot_curves(series, str(
        tmp_path / 'b.png')) == ['ADA p', 'ADA r_t', 'losses', 'FID', 'KID']


def test_kimg_from_batch_when_not_logged(tmp_path):
    tool = load_tool()
    path = tmp_path / 'scalars.json'
    path.write_text('\n'.join(
        json.dumps(dict(step=s, loss_gen=1.0, ada_p=0.1)) for s in (5, 10)))
    with pytest.raises(ValueError, match='--batch'):
        tool.main([str(path)])
    out = tool.main(
        [str(path), '--batch', '64', '--out',
         str(tmp_path / 'c.png')])
    assert osp.isfile(out)
    series = tool.collect_series(tool.load_records([str(path)]), 64)
    np.testing.assert_allclose(series['ada_p'][0], [0.32, 0.64])


def test_bad_inputs_name_the_problem(tmp_path):
    tool = load_tool()
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        tool.find_scalar_files(str(tmp_path))
    bad = tmp_path / 'scalars.json'
    bad.write_text('{"step": 1}\nnot json\n')
    with pytest.raises(ValueError, match='scalars.json:2'):
        tool.load_records([str(bad)])
    bad.write_text('{"step": 1, "kimg": 0.1, "time": 0.5}\n')
    with pytest.raises(ValueError, match="found keys: \\['time'\\]"):
        tool.main([str(bad)])


def test_two_runs_overlaid_with_checkpoint_metrics(tmp_path):
    tool = load_tool()
    ada, plain = tmp_path / 'ada', tmp_path / 'plain'
    write_run(ada, '20240101_000000', [train_record(s) for s in (10, 20)])
    write_run(plain, '20240101_000000',
              [dict(step=s, kimg=s * 16 / 1000, loss_gen=1.0)
               for s in (10, 20)])
    # eval_checkpoints.py output: a list, one entry per checkpoint.
    (plain / 'eval.json').write_text(json.dumps([
        dict(checkpoint='iter_10.pth', iter=10, kimg=0.16,
             **{'FID-Full/fid': 90.0}, D_real_sign=0.9, eval_seconds=3.0),
        dict(checkpoint='iter_20.pth', iter=20, kimg=0.32,
             **{'FID-Full/fid': 70.0}, D_real_sign=0.7, eval_seconds=3.0),
    ]))
    records = tool.load_eval_records(str(plain))
    assert records[1] == {'step': 20, 'kimg': 0.32, 'ckpt/FID-Full/fid': 70.0,
                          'ckpt/D_real_sign': 0.7}
    assert tool.load_eval_records(str(ada)) == []

    out = str(tmp_path / 'both.png')
    assert tool.main([str(ada), str(plain), '--labels', 'ADA', 'no ADA',
                      '--out', out]) == out
    assert Image.open(out).size[1] > 100
    runs = {
        'ADA': tool.collect_series(
            tool.load_records(tool.find_scalar_files(str(ada))), None),
        'no ADA': tool.collect_series(
            tool.load_records(tool.find_scalar_files(str(plain))) + records,
            None),
    }
    np.testing.assert_allclose(runs['no ADA']['ckpt/D_real_sign'][1],
                               [0.9, 0.7])
    # D_real_sign of a checkpoint is drawn with the logged r_t.
    assert tool.plot_curves(runs, str(tmp_path / 'c.png')) == [
        'ADA p', 'ADA r_t', 'losses', 'FID'
    ]
    with pytest.raises(SystemExit):
        tool.main([str(ada), str(plain), '--labels', 'only one'])
    (plain / 'eval.json').write_text('{"iter": 1}')
    with pytest.raises(ValueError, match='eval.json: expected a list'):
        tool.load_eval_records(str(plain))
