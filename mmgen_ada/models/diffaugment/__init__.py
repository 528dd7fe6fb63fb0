# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Differentiable Augmentation (Zhao et al. 2020)."""
from .diff_augment import POLICIES, DiffAugment, parse_policy
from .diff_augment_transforms import (adjust_brightness, adjust_contrast,
                                      adjust_saturation, cutout, translate)

__all__ = [
    'DiffAugment', 'POLICIES', 'parse_policy', 'adjust_brightness',
    'adjust_contrast', 'adjust_saturation', 'cutout', 'translate'
]
