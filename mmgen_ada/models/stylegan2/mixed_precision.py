# Copyright (c) mmgen-ada contributors. All rights reserved.
"""When the float16 layers of StyleGAN2/3 compute in float16.

NVlabs' mixed precision (StyleGAN2-ADA, Karras et al. 2020, appendix on
mixed-precision training): the layers of the highest resolutions
(``num_fp16_scales`` / ``num_fp16_res``) compute in float16 with their
outputs clamped to ``+-conv_clamp``; the mapping network, the low resolutions, the discriminator epilogue and the
image accumulation stay in float32, and outputs are float32.

* CUDA: the float16 layers run in float16 unless ``force_fp32``.
* CPU: float32 (float16 convolutions are slow there; NVlabs' networks
  force float32 off CUDA too), unless the caller asks for float16 with
  ``torch.autocast('cpu', dtype=torch.float16)``: then the same layers as on
  CUDA run in float16, so the float16 path runs (and is tested) without a
  GPU. Other autocast dtypes (bfloat16) do not switch anything on.
* Other devices: float32.

The networks choose every layer's dtype themselves: their modules compute
inside :func:`autocast_disabled`, so an enclosing autocast region never
changes the precision of a float32 layer or the dtype of an output.
"""
import contextlib
from typing import ContextManager

import torch


def cpu_float16_autocast() -> bool:
    """Whether a ``torch.autocast('cpu', dtype=torch.float16)`` is active.

    False where this torch cannot autocast the CPU to float16 (it then
    disables the region with a warning when it is entered).
    """
    if hasattr(torch, 'get_autocast_dtype'):  # torch >= 2.4
        return (torch.is_autocast_enabled('cpu')
                and torch.get_autocast_dtype('cpu') == torch.float16)
    return (torch.is_autocast_cpu_enabled()
            and torch.get_autocast_cpu_dtype() == torch.float16)


def use_float16(use_fp16: bool, force_fp32: bool,
                device: torch.device) -> bool:
    """Whether a layer built with ``use_fp16`` computes in float16 now.

    Args:
        use_fp16 (bool): The layer is one of the float16 layers.
        force_fp32 (bool): The caller disabled float16 for this call.
        device (torch.device): Device of the layer's input.

    Returns:
        bool: True on CUDA, and on CPU inside a float16 CPU autocast region;
        always False when ``force_fp32`` or not ``use_fp16``.
    """
    if not use_fp16 or force_fp32:
        return False
    if device.type == 'cuda':
        return True
    return device.type == 'cpu' and cpu_float16_autocast()


def autocast_disabled(device: torch.device) -> ContextManager:
    """A region where autocast is off for ``device`` (cpu/cuda; else no-op).

    Modules compute their own dtypes inside it; the state of an enclosing
    region is read by :func:`use_float16` before entering.
    """
    if device.type in ('cpu', 'cuda'):
        return torch.autocast(device_type=device.type, enabled=False)
    return contextlib.nullcontext()


__all__ = ['use_float16', 'autocast_disabled', 'cpu_float16_autocast']
