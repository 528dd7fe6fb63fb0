# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Translation of MMagic/MMGeneration constructor arguments onto ours."""
from .mmagic_arguments import (MMagicArgumentError, colour_flag_is_identity,
                               fp16_scales, mbstd_from_cfg, refuse_unless,
                               resample_filter_from_blur_kernel,
                               style_mixing_prob)
from .pretrained_weights import load_pretrained

__all__ = [
    'MMagicArgumentError', 'colour_flag_is_identity', 'fp16_scales',
    'load_pretrained', 'mbstd_from_cfg', 'refuse_unless',
    'resample_filter_from_blur_kernel', 'style_mixing_prob'
]
