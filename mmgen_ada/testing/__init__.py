# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Helpers for the tests of mmgen-ada and of code built on it."""
from .tiny_stylegan2 import TINY_STYLEGAN2_D_CFG, TINY_STYLEGAN2_G_CFG
from .tool_module import load_tool_module

__all__ = ['TINY_STYLEGAN2_G_CFG', 'TINY_STYLEGAN2_D_CFG', 'load_tool_module']
