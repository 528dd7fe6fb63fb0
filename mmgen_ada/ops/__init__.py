# Copyright (c) mmgen-ada contributors. All rights reserved.
"""StyleGAN ops: pure-PyTorch references with mmcv kernel dispatch on CUDA.

``conv2d_gradfix`` and ``grid_sample_gradfix`` are exported as modules
(``conv2d_gradfix.conv2d(...)``, ``conv2d_gradfix.no_weight_gradients()``,
``grid_sample_gradfix.grid_sample(...)``), like NVlabs' ``torch_utils.ops``.
"""
from . import conv2d_gradfix, grid_sample_gradfix, mmcv_kernels
from .bias_act import FusedBiasLeakyReLU, bias_act, fused_bias_leakyrelu
from .filtered_lrelu import filtered_lrelu
from .upfirdn2d import (downsample2d, filter2d, setup_filter, upfirdn2d,
                        upsample2d)

__all__ = [
    'upfirdn2d', 'setup_filter', 'upsample2d', 'downsample2d', 'filter2d',
    'bias_act', 'fused_bias_leakyrelu', 'FusedBiasLeakyReLU', 'conv2d_gradfix',
    'grid_sample_gradfix', 'filtered_lrelu', 'mmcv_kernels'
]
