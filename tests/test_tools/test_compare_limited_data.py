# Copyright (c) mmgen-ada contributors. All rights reserved.
import json
import os
import os.path as osp

import pytest

from mmgen_ada.testing import load_tool_module

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool():
    module = load_tool_module(
        osp.join(REPO, 'tools', 'analysis', 'compare_limited_data.py'),
        'compare_limited_data')
    return module


def write_eval(tool, root, config, seed, entries, iters=100, fake_nums=250):
    work_dir = tool.run_dir(str(root), config, seed)
    os.makedirs(work_dir)
    with open(osp.join(work_dir, 'eval.json'), 'w') as f:
        json.dump(entries, f)
    with open(osp.join(work_dir, 'compare.json'), 'w') as f:
        json.dump(
            dict(
                seed=seed,
                iters=iters,
                fake_nums=fake_nums,
                train=['/usr/bin/python3', 'tools/train.py', config],
                eval=['/usr/bin/python3', 'eval.py']), f)


def entry(it, fid, kid, kid_std=0.003):
    return {
        'iter': it,
        'kimg': it * 16 / 1000,
        'FID-Full/fid': fid,
        'KID-Full/kid': kid,
        'KID-Full/kid_std': kid_std,
        'D_real_sign': 0.5,
        'eval_seconds': 100.0,
    }


def test_arm_configs_exist():
    tool = load_tool()
    for _, config in tool.ARMS:
        assert osp.isfile(osp.join(REPO, tool.CONFIG_DIR, config)), config
    assert len({c for _, c in tool.ARMS}) == 5


def test_commands_set_seed_iterations_and_one_final_checkpoint():
    tool = load_tool()
    train, evaluate = tool.run_commands('a.py', 'wd/a_seed1', 1, 250, 300)
    assert train[1:5] == [
        'tools/train.py',
        osp.join('configs', 'stylegan2', 'a.py'), '--work-dir', 'wd/a_seed1'
    ]
    assert train[5:] == [
        '--cfg-options', 'randomness.seed=1', 'train_cfg.max_iters=250',
        'default_hooks.checkpoint.interval=250'
    ]
    assert evaluate[1:] == [
        'tools/analysis/eval_checkpoints.py',
        osp.join('configs', 'stylegan2', 'a.py'),
        osp.join('wd/a_seed1', 'iter_250.pth'), '--out',
        osp.join('wd/a_seed1', 'eval.json'), '--cfg-options',
        'test_evaluator.metrics.0.fake_nums=300',
        'test_evaluator.metrics.1.fake_nums=300'
    ]


def test_dry_run_is_seed_major_and_skips_finished_runs(tmp_path, capsys):
    tool = load_tool()
    config = tool.ARMS[1][1]
    write_eval(tool, tmp_path, config, 0, [entry(100, 300.0, 0.3)])
    tool.main([
        'run', '--root',
        str(tmp_path), '--iters', '100', '--fake-nums', '250', '--dry-run'
    ])
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == (f'[ADA, seed 0] done already: '
                        f'{tool.run_dir(str(tmp_path), config, 0)}')
    seeds = [int(line.split('seed ')[1][0]) for line in lines]
    # No augmentation first (train + eval), then ADA done; 9 runs left,
    # train + eval each, plus the line of the finished one.
    assert len(lines) == 19
    assert seeds == sorted(seeds)
    assert 'randomness.seed=1' in lines[-2]
    # A finished run made with other settings is not silently mixed in.
    with pytest.raises(ValueError, match='fake_nums=250, not 100, 1000'):
        tool.main(
            ['run', '--root',
             str(tmp_path), '--iters', '100', '--dry-run'])


def test_table_means_ranges_and_missing_runs(tmp_path):
    tool = load_tool()
    none_cfg, ada_cfg = tool.ARMS[0][1], tool.ARMS[1][1]
    # The last checkpoint counts, whatever the order in the file.
    write_eval(tool, tmp_path, none_cfg, 0,
               [entry(200, 310.0, 0.30),
                entry(100, 999.0, 0.9)])
    write_eval(tool, tmp_path, none_cfg, 1, [entry(200, 290.0, 0.26, 0.004)])
    write_eval(tool, tmp_path, ada_cfg, 1, [entry(200, 280.0, 0.25)])
    table = tool.collect(str(tmp_path), [0, 1])
    assert [t['arm'] for t in table] == [a for a, _ in tool.ARMS]
    assert [r['fid'] for r in table[0]['runs']] == [310.0, 290.0]
    assert [r['seed'] for r in table[1]['runs']] == [1]
    assert table[1]['runs'][0]['fake_nums'] == 250
    assert table[1]['runs'][0]['train_command'] == (
        f'python tools/train.py {ada_cfg}')
    assert table[1]['runs'][0]['eval_command'] == 'python eval.py'
    assert table[2]['runs'] == []
    lines = tool.markdown(table, [0, 1]).splitlines()
    assert lines[0].startswith('| arm | kimg | FID seed 0 | FID seed 1 |')
    assert lines[2] == (
        '| no augmentation | 3.2 | 310.0 | 290.0 | 300.0 '
        '| 20.0 | 300.0 ± 3.0 | 260.0 ± 4.0 | 280.0 | 40.0 | 0.50 / 0.50 |')
    assert lines[3] == (
        '| ADA | 3.2 | not run | 280.0 | 280.0 | - '
        '| not run | 250.0 ± 3.0 | 250.0 | - | not run / 0.50 |')
    assert lines[4].startswith('| DiffAugment | - | not run | not run | - |')


def test_eval_without_kid_names_the_file(tmp_path):
    tool = load_tool()
    bad = entry(10, 300.0, 0.3)
    del bad['KID-Full/kid']
    write_eval(tool, tmp_path, tool.ARMS[0][1], 0, [bad])
    with pytest.raises(KeyError, match=r'eval\.json.*KID-Full/kid'):
        tool.collect(str(tmp_path), [0])


def test_table_writes_json_and_markdown_into_new_folders(tmp_path, capsys):
    tool = load_tool()
    write_eval(tool, tmp_path, tool.ARMS[0][1], 0, [entry(200, 310.0, 0.30)])
    out = tmp_path / 'docs' / 'data'  # does not exist yet
    tool.main([
        'table', '--root',
        str(tmp_path), '--seeds', '0', '--json',
        str(out / 'c.json'), '--markdown',
        str(out / 'c.md')
    ])
    data = json.loads((out / 'c.json').read_text())
    assert data[0]['runs'][0]['fid'] == 310.0
    assert (out / 'c.md').read_text().startswith('| arm | kimg |')
