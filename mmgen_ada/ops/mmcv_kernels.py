# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Lazy, cached access to mmcv's compiled StyleGAN kernels.

Every op in :mod:`mmgen_ada.ops` has a pure-PyTorch reference that always
works. On CUDA tensors, ``impl='auto'`` switches to mmcv's compiled kernels
when a full mmcv build (``mmcv.ops`` with ``mmcv._ext``) is importable. mmcv is
imported here the first time an op asks for it, never at import time, and the
outcome is logged once through mmengine's current logger.
"""
from types import ModuleType
from typing import Optional

import torch
from mmengine.logging import print_log

#: Values every public op accepts for ``impl``.
IMPLS = ('auto', 'ref', 'mmcv')

_UNSET = object()
_mmcv_ops = _UNSET  # ModuleType once loaded, None when unavailable.


def load() -> Optional[ModuleType]:
    """Import ``mmcv.ops`` once and return it, or None when it cannot load.

    mmcv-lite has no ``mmcv.ops``; a full mmcv build whose compiled extension
    does not match the installed torch raises ``ImportError``/``OSError``/
    ``RuntimeError`` on import. In all these cases the reference path is used.

    Returns:
        ModuleType | None: The ``mmcv.ops`` module, or None.
    """
    global _mmcv_ops
    if _mmcv_ops is _UNSET:
        try:
            import mmcv.ops as mmcv_ops  # noqa: PLC0415 (lazy on purpose)
        except (ImportError, OSError, RuntimeError) as err:
            _mmcv_ops = None
            print_log(
                'mmgen_ada.ops: mmcv compiled kernels unavailable '
                f'({type(err).__name__}: {err}); using the pure-PyTorch '
                'reference ops.',
                logger='current')
        else:
            _mmcv_ops = mmcv_ops
            print_log(
                'mmgen_ada.ops: using mmcv compiled kernels for CUDA '
                'tensors (impl="auto").',
                logger='current')
    return _mmcv_ops


def available() -> bool:
    """Whether mmcv's compiled kernels can be used (imports mmcv once)."""
    return load() is not None


def check_impl(impl: str) -> None:
    """Raise ValueError unless ``impl`` is one of :data:`IMPLS`."""
    if impl not in IMPLS:
        raise ValueError(f'impl must be one of {IMPLS}, but got {impl!r}.')


def resolve(impl: str, x: torch.Tensor) -> str:
    """Choose the implementation an op uses for one call.

    Args:
        impl (str): 'auto' (mmcv kernel for CUDA tensors when available,
            otherwise the reference), 'ref' (always the pure-PyTorch
            reference) or 'mmcv' (force the kernel; error if missing).
        x (Tensor): The op's main input; its device decides for 'auto'.

    Returns:
        str: 'ref' or 'mmcv'.
    """
    check_impl(impl)
    if impl == 'ref':
        return 'ref'
    if impl == 'mmcv':
        if not available():
            raise RuntimeError(
                'impl="mmcv" was requested but mmcv.ops (a full mmcv build '
                'with compiled kernels) cannot be imported; install it with '
                '`mim install mmcv` or use impl="auto"/"ref".')
        return 'mmcv'
    if x.device.type == 'cuda' and available():
        return 'mmcv'
    return 'ref'


def _reset_for_tests() -> None:
    """Forget the cached import result (used by tests only)."""
    global _mmcv_ops
    _mmcv_ops = _UNSET
