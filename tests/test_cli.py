# Copyright (c) mmgen-ada contributors. All rights reserved.
import os.path as osp
import re
import sys
from pathlib import Path

import pytest

from mmgen_ada import cli

REPO = Path(__file__).resolve().parents[1]


def test_entry_points_in_setup_match_cli():
    text = (REPO / 'setup.py').read_text()
    declared = dict(
        re.findall(r"'(mmgen-ada-[a-z-]+)=mmgen_ada\.cli:(\w+)'", text))
    assert set(declared) == set(cli.TOOLS)
    for script, func in declared.items():
        assert callable(getattr(cli, func))
        assert getattr(cli, func).__doc__ == f'Run tools/{cli.TOOLS[script]}.'
    assert osp.samefile(cli.tools_dir(), REPO / 'tools')


def test_entry_point_runs_the_tool_as_main(monkeypatch, capsys):
    monkeypatch.setattr(sys, 'argv', ['mmgen-ada-generate', '--help'])
    with pytest.raises(SystemExit) as exc:
        cli.generate()
    assert exc.value.code == 0
    assert '--projected-w' in capsys.readouterr().out


def test_missing_tool_message(monkeypatch, tmp_path):
    monkeypatch.setattr(cli, 'tools_dir', lambda: str(tmp_path))
    with pytest.raises(SystemExit, match='pip install -e'):
        cli.run_tool('generate.py')
