# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Console entry points (``mmgen-ada-generate`` ...) that run ``tools/``.

The tools stay plain scripts in the source tree (``python tools/x.py``
keeps working, and each tool has one home); every entry point runs its
script with :func:`runpy.run_path` as ``__main__``, with the command-line
arguments passed through. The scripts are found beside the package, so the
entry points need a source checkout installed with ``pip install -e .``;
without one they exit with a message saying so.
"""
import os.path as osp
import runpy
import sys
from typing import Callable, Dict

#: Console script name -> script path relative to ``tools/``.
TOOLS: Dict[str, str] = {
    'mmgen-ada-train': 'train.py',
    'mmgen-ada-test': 'test.py',
    'mmgen-ada-generate': 'generate.py',
    'mmgen-ada-style-mixing': 'style_mixing.py',
    'mmgen-ada-project': 'projector.py',
    'mmgen-ada-dataset-tool': 'dataset_tool.py',
    'mmgen-ada-convert-nvlabs-pkl':
    'model_converters/nvlabs_pkl_to_mmgen_ada.py',
}


def tools_dir() -> str:
    """``tools/`` of the source tree this package was imported from."""
    return osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'tools')


def run_tool(script: str) -> None:
    """Run ``tools/<script>`` as ``__main__`` with this process's argv.

    Raises:
        SystemExit: If the script is not there (no source checkout).
    """
    path = osp.join(tools_dir(), script)
    if not osp.isfile(path):
        raise SystemExit(
            f'mmgen-ada: {path} not found. The console entry points run the '
            'scripts of a source checkout; install mmgen-ada with '
            '`pip install -e .` from a clone, or run `python tools/'
            f'{script}` there.')
    sys.argv = [path] + sys.argv[1:]
    runpy.run_path(path, run_name='__main__')


def _entry(script: str) -> Callable[[], None]:

    def main() -> None:
        run_tool(script)

    main.__name__ = osp.splitext(osp.basename(script))[0]
    main.__doc__ = f'Run tools/{script}.'
    return main


train = _entry(TOOLS['mmgen-ada-train'])
test = _entry(TOOLS['mmgen-ada-test'])
generate = _entry(TOOLS['mmgen-ada-generate'])
style_mixing = _entry(TOOLS['mmgen-ada-style-mixing'])
project = _entry(TOOLS['mmgen-ada-project'])
dataset_tool = _entry(TOOLS['mmgen-ada-dataset-tool'])
convert_nvlabs_pkl = _entry(TOOLS['mmgen-ada-convert-nvlabs-pkl'])
