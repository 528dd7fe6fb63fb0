# Copyright (c) mmgen-ada contributors. All rights reserved.
"""tools/analysis/check_cuda.py at CPU/quick size: every step runs and
passes, and a failing step is recorded without stopping the others."""
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mmgen_ada.evaluation.feature_extractors.inception_weights import \
    find_inception_weights
from mmgen_ada.ops import mmcv_kernels
from mmgen_ada.testing import load_tool_module

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / 'tools' / 'analysis' / 'check_cuda.py'
OPS = ('upfirdn2d', 'upsample2d', 'downsample2d', 'filter2d', 'bias_act',
       'filtered_lrelu', 'conv2d', 'conv_transpose2d', 'grid_sample')
STEPS = (['env', 'pytest-cuda'] + [f'op:{n}' for n in OPS] + [
    'mmcv:upfirdn2d', 'mmcv:bias_act', 'mmcv:filtered_lrelu', 'fp16:G',
    'fp16:D', 'train:stylegan2-ada', 'inception', 'fid',
    'resume:stylegan2-ada', 'train:stylegan3-t'
])


def _load_script():
    module = load_tool_module(SCRIPT, 'check_cuda')
    return module


def _weights_found() -> bool:
    try:
        find_inception_weights(None, download=False)
    except FileNotFoundError:
        return False
    return True


def test_quick_cpu_run_passes_every_step(tmp_path):
    out = tmp_path / 'check.json'
    proc = subprocess.run([
        sys.executable,
        str(SCRIPT), '--device', 'cpu', '--quick', '--out',
        str(out), '--work-dir',
        str(tmp_path / 'work')
    ],
                          cwd=REPO_ROOT,
                          capture_output=True,
                          text=True,
                          timeout=600)
    report = json.loads(out.read_text())
    steps = {s['name']: s for s in report['steps']}
    assert list(steps) == STEPS
    expected = dict.fromkeys(STEPS, 'pass')
    for name in ('mmcv:upfirdn2d', 'mmcv:bias_act', 'mmcv:filtered_lrelu'):
        # Kernels are CUDA-only: 'absent' without mmcv.ops, else 'skipped'.
        expected[name] = 'skipped' if mmcv_kernels.available() else 'absent'
    if not _weights_found():
        expected['inception'] = 'skipped'
    got = {name: s['status'] for name, s in steps.items()}
    errors = {n: s['error'] for n, s in steps.items() if s['error']}
    assert got == expected, errors
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert report['finished'] is True
    # The table went to stdout, one row per step.
    rows = re.findall(r'^\| (\S+) \| (\w+) \|', proc.stdout, re.M)
    assert rows[1:] == list(got.items())

    # The rows hold measurements, not just a status.
    assert steps['pytest-cuda']['metrics']['failed'] == 0
    op = steps['op:filtered_lrelu']['metrics']
    assert 0 < op['fp32_value'] < 1e-4 and 0 < op['fp16_value'] < 1e-2
    assert op['fp32_grad2'] > 0  # second derivatives were compared
    G = steps['fp16:G']['metrics']
    # On the CPU the fp16 step runs in a float16 autocast: the float16
    # blocks really computed in float16, so the error is not zero.
    assert G['fp16_blocks'] == ['b16', 'b8'] and G['value_rel_l2'] > 0
    assert steps['fp16:D']['metrics']['output_dtype'] == 'torch.float32'
    train = steps['train:stylegan2-ada']['metrics']
    assert train['sec_per_kimg'] > 0 and train['timed_iterations'] == 2
    assert train['nonfinite_grads_G'] == train['nonfinite_grads_D'] == 0
    assert 0 <= train['p'] <= 1
    assert steps['resume:stylegan2-ada']['metrics']['exact_with_ada']
    assert math.isfinite(steps['fid']['metrics']['fid'])


def test_failing_step_is_recorded_and_the_rest_runs(tmp_path, monkeypatch):
    script = _load_script()

    def broken(ctx):
        raise RuntimeError('injected failure')

    monkeypatch.setattr(script, 'check_fp16_generator', broken)
    out = tmp_path / 'check.json'
    rc = script.main([
        '--device', 'cpu', '--quick', '--out',
        str(out), '--steps', 'fp16:,inception', '--inception',
        str(tmp_path / 'missing.pt'), '--work-dir',
        str(tmp_path / 'work')
    ])
    steps = {s['name']: s for s in json.loads(out.read_text())['steps']}
    assert rc == 1
    assert list(steps) == ['fp16:G', 'fp16:D', 'inception']
    assert steps['fp16:G']['status'] == 'fail'
    assert 'injected failure' in steps['fp16:G']['error']
    assert steps['fp16:D']['status'] == 'pass'  # ran after the failure
    # An explicit --inception that does not exist is an error, not a skip.
    assert steps['inception']['status'] == 'fail'
    assert 'missing.pt' in steps['inception']['summary']


def test_unknown_step_names_are_rejected(tmp_path):
    script = _load_script()
    with pytest.raises(SystemExit, match="unknown \\['op:nope'\\]"):
        script.main(['--out', str(tmp_path / 'x.json'), '--steps', 'op:nope'])


def test_every_cuda_only_test_carries_the_cuda_marker():
    # `pytest -m cuda` (and so check_cuda.py) must see every CUDA test.
    unmarked = []
    for path in (REPO_ROOT / 'tests').rglob('test_*.py'):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            skipif = line.startswith('@pytest.mark.skipif(')
            if skipif and 'cuda.is_available' in ' '.join(lines[i:i + 2]):
                if '@pytest.mark.cuda' not in lines[max(i - 3, 0):i]:
                    unmarked.append(f'{path.name}:{i + 1}')
    assert not unmarked, unmarked
