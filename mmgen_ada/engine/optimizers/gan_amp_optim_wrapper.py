# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Automatic mixed precision for GAN phases."""
from typing import Optional, Union

import torch
from mmengine.optim import AmpOptimWrapper

from mmgen_ada.registry import OPTIM_WRAPPERS
from .gan_optim_wrapper import GANOptimWrapper


def _build_grad_scaler(loss_scale: Union[str, float, dict],
                       device_type: str) -> torch.amp.GradScaler:
    if loss_scale == 'dynamic':
        kwargs = {}
    elif isinstance(loss_scale, (int, float)) and not isinstance(
            loss_scale, bool):  # MMagic configs write loss_scale=512
        kwargs = dict(init_scale=float(loss_scale))
    elif isinstance(loss_scale, dict):
        kwargs = dict(loss_scale)
    else:
        raise TypeError("loss_scale must be 'dynamic', a float or a dict of "
                        f'GradScaler arguments, got {loss_scale!r}')
    if hasattr(torch.amp, 'GradScaler'):  # torch >= 2.3: CPU and CUDA
        return torch.amp.GradScaler(device_type, **kwargs)
    if device_type != 'cuda':
        raise RuntimeError(
            f'AMP on {device_type!r} needs torch >= 2.3 '
            f'(torch.amp.GradScaler), found {torch.__version__}')
    return torch.cuda.amp.GradScaler(**kwargs)


def cpu_has_fast_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 natively (AMX or AVX512-BF16).

    Elsewhere oneDNN emulates bfloat16 with float32 instructions plus
    conversions: same numerics, slower than float32.
    """
    cpu = getattr(torch, 'cpu', None)
    checks = ('_is_amx_tile_supported', '_is_avx512_bf16_supported')
    return any(
        getattr(cpu, name, lambda: False)() for name in checks)


@OPTIM_WRAPPERS.register_module()
class GANAmpOptimWrapper(GANOptimWrapper, AmpOptimWrapper):
    """:class:`GANOptimWrapper` with mmengine's automatic mixed precision.

    Forward passes inside :meth:`optim_context` run under ``autocast``
    (mmengine's: float16 by default on CUDA, bfloat16 on the CPU), backward
    passes scale the loss (``AmpOptimWrapper.backward``), and the step is
    :class:`GANOptimWrapper`'s with the scaler's unscaling as its second
    stage: gradients are unscaled exactly once, before the non-finite repair
    and ``clip_grad``, so the scaler sees, and skips the step on, the inf/nan
    that the repair then replaces. Checkpoints hold the scaler state
    (``AmpOptimWrapper.state_dict``).

    mmengine's ``AmpOptimWrapper`` requires CUDA (or NPU/MLU/MUSA); this one
    also runs on the CPU, with ``torch.amp.GradScaler('cpu')`` (torch >= 2.3)
    and bfloat16 autocast (the default CPU autocast dtype). There the
    StyleGAN2 networks compute their float16 layers (the highest
    resolutions, ``num_fp16_scales``) in bfloat16, and the lazy R1 and
    path-length passes in float32 (see
    :mod:`mmgen_ada.models.stylegan2.mixed_precision`). CPU bfloat16 is
    refused on CPUs without AMX or AVX512-BF16 (emulated there: slower than
    float32) unless ``force_bf16``.

    Args:
        loss_scale (str | float | dict): ``'dynamic'`` (default), a static
            initial scale, or ``GradScaler`` keyword arguments.
        dtype (str | torch.dtype, optional): Autocast dtype, one of
            ``AmpOptimWrapper.valid_dtypes``; None (default) uses autocast's
            default for the device.
        force_bf16 (bool): Allow CPU bfloat16 where the CPU lacks AMX and
            AVX512-BF16 (emulated: for testing numerics, not for speed).
            Defaults to False.
        **kwargs: ``optimizer``, ``accumulative_counts``, ``clip_grad``
            (see :class:`GANOptimWrapper`).
    """

    def __init__(self,
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Optional[Union[str, torch.dtype]] = None,
                 force_bf16: bool = False,
                 **kwargs) -> None:
        # AmpOptimWrapper.__init__ asserts a CUDA-like device; its state is
        # set up here instead.
        GANOptimWrapper.__init__(self, **kwargs)
        device_type = 'cuda' if torch.cuda.is_available() else 'cpu'
        self.loss_scaler = _build_grad_scaler(loss_scale, device_type)
        self._scale_update_param = (
            loss_scale if isinstance(loss_scale, float) else None)
        if isinstance(dtype, str):
            if dtype not in self.valid_dtypes:
                raise ValueError(f'dtype must be one of {self.valid_dtypes} '
                                 f'or a torch.dtype, got {dtype!r}')
            dtype = getattr(torch, dtype)
        if dtype is not None and not isinstance(dtype, torch.dtype):
            raise TypeError(
                f'dtype must be a str or torch.dtype, got {dtype!r}')
        if (device_type == 'cpu' and dtype in (None, torch.bfloat16)
                and not force_bf16 and not cpu_has_fast_bfloat16()):
            raise RuntimeError(
                'GANAmpOptimWrapper: CPU autocast runs in bfloat16, but this '
                'CPU has neither AMX nor AVX512-BF16, so bfloat16 is '
                'emulated and slower than float32. Train without --amp (or '
                "without type='AmpOptimWrapper'), or set force_bf16=True "
                '(tools/train.py --force-bf16) to run it anyway, e.g. to '
                'test its numerics.')
        self.cast_dtype = dtype

    def _unscale_grads(self) -> None:
        self.loss_scaler.unscale_(self.optimizer)

    def _step_optimizer(self, **kwargs) -> None:
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update(self._scale_update_param)
