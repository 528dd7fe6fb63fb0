# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Import a script of ``tools/`` (not a package) as a module, for tests."""
import importlib.util
import os
from types import ModuleType
from typing import Union


def load_tool_module(path: Union[str, os.PathLike], name: str) -> ModuleType:
    """Execute the script at ``path`` as a fresh module called ``name``.

    Args:
        path (str | PathLike): The ``.py`` file, e.g. ``tools/test.py``.
        name (str): Module name; each call builds a new module object.

    Returns:
        ModuleType: The executed module (its ``main`` is not run).
    """
    spec = importlib.util.spec_from_file_location(name, os.fspath(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
