# Copyright (c) mmgen-ada contributors. All rights reserved.
"""When the float16 layers of StyleGAN2/3 compute in float16.

NVlabs' mixed precision (StyleGAN2-ADA, Karras et al. 2020, appendix on
mixed-precision training): the layers of the highest resolutions
(``num_fp16_scales`` / ``num_fp16_res``) compute in float16 with their
outputs clamped to ``+-conv_clamp``; the mapping network, the low resolutions, the discriminator epilogue and the
image accumulation stay in float32, and outputs are float32.

* CUDA: the float16 layers run in float16 unless ``force_fp32``.
* CPU: float32 (float16 convolutions are slow there; NVlabs' networks
  force float32 off CUDA too), unless the caller asks for a low precision
  with ``torch.autocast('cpu', dtype=...)``: with ``torch.float16`` the same
  layers as on CUDA run in float16 (so the float16 path runs, and is tested,
  without a GPU); with ``torch.bfloat16`` they run in bfloat16, which CPUs
  with AMX or AVX512-BF16 compute fast (``--amp bf16``). bfloat16 has the
  exponent range of float32, so it needs neither the float16 rescaling of
  the modulated convolution nor loss scaling, but the same clamping.
* Other devices: float32.

:func:`fp32_regularization` turns a CPU bfloat16 region off again for the
regularisation passes (R1, path length), whose input gradients are small
differences that bfloat16's 8-bit mantissa would round away.

The networks choose every layer's dtype themselves: their modules compute
inside :func:`autocast_disabled`, so an enclosing autocast region never
changes the precision of a float32 layer or the dtype of an output.
"""
import contextlib
from typing import ContextManager, Optional

import torch


def cpu_autocast_dtype() -> Optional[torch.dtype]:
    """The dtype of an active CPU autocast region, None outside one."""
    if hasattr(torch, 'get_autocast_dtype'):  # torch >= 2.4
        if not torch.is_autocast_enabled('cpu'):
            return None
        return torch.get_autocast_dtype('cpu')
    if not torch.is_autocast_cpu_enabled():
        return None
    return torch.get_autocast_cpu_dtype()


def cpu_float16_autocast() -> bool:
    """Whether a ``torch.autocast('cpu', dtype=torch.float16)`` is active.

    False where this torch cannot autocast the CPU to float16 (it then
    disables the region with a warning when it is entered).
    """
    return cpu_autocast_dtype() == torch.float16


def low_precision_dtype(use_fp16: bool, force_fp32: bool,
                        device: torch.device) -> Optional[torch.dtype]:
    """The dtype a layer built with ``use_fp16`` computes in now.

    Args:
        use_fp16 (bool): The layer is one of the float16 layers.
        force_fp32 (bool): The caller disabled float16 for this call.
        device (torch.device): Device of the layer's input.

    Returns:
        torch.dtype | None: float16 on CUDA; on CPU float16 or bfloat16
        inside a CPU autocast region of that dtype; None (the parameter
        dtype) otherwise, always when ``force_fp32`` or not ``use_fp16``.
    """
    if not use_fp16 or force_fp32:
        return None
    if device.type == 'cuda':
        return torch.float16
    if device.type == 'cpu':
        dtype = cpu_autocast_dtype()
        if dtype in (torch.float16, torch.bfloat16):
            return dtype
    return None


def fp32_regularization() -> ContextManager:
    """A region where a CPU bfloat16 autocast is off (else a no-op).

    StyleGAN2's lazy R1 and path-length passes run inside it, so their
    gradients are computed in float32 (float16 on CUDA is NVlabs' choice
    and stays as it is).
    """
    if cpu_autocast_dtype() == torch.bfloat16:
        return torch.autocast(device_type='cpu', enabled=False)
    return contextlib.nullcontext()


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
    return low_precision_dtype(use_fp16, force_fp32, device) == torch.float16


def autocast_disabled(device: torch.device) -> ContextManager:
    """A region where autocast is off for ``device`` (cpu/cuda; else no-op).

    Modules compute their own dtypes inside it; the state of an enclosing
    region is read by :func:`use_float16` before entering.
    """
    if device.type in ('cpu', 'cuda'):
        return torch.autocast(device_type=device.type, enabled=False)
    return contextlib.nullcontext()


__all__ = [
    'use_float16', 'low_precision_dtype', 'autocast_disabled',
    'cpu_float16_autocast', 'cpu_autocast_dtype', 'fp32_regularization'
]
