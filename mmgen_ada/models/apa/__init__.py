# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Adaptive pseudo augmentation (Jiang et al. 2021)."""
from .apa import APA

__all__ = ['APA']
