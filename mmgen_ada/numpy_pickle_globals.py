# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The globals a pickle of numpy arrays needs, for allow-list unpicklers.

``pickle.dump`` of an ``ndarray`` refers to a few numpy functions and classes
(``_reconstruct``, ``scalar``, ``ndarray``, ``dtype`` and the ``DType``
classes of numpy 2, ``_frombuffer`` with protocol 5), under the module names
of numpy 1.x (``numpy.core``) or 2.x (``numpy._core``). An unpickler that
must never run other code resolves exactly :data:`NUMPY_ARRAY_GLOBALS` for
them; used by the NVlabs snapshot reader
(:mod:`mmgen_ada.apis.nvlabs_pickle`) and the real-statistics files of the
metrics (:mod:`mmgen_ada.evaluation.metrics.real_stats_file`).
"""
import pickle
from typing import Any, Callable, Dict, Tuple

import numpy as np


class GuardedCallable:
    """A callable handed out by ``find_class``: immutable, no ``__dict__``.

    Handing out plain Python functions would let a pickle's BUILD opcode
    rewrite their ``__defaults__``; this wrapper refuses every attribute
    write.

    Args:
        fn (callable): The function to call.
        name (str): Its dotted name, for error messages.
    """

    __slots__ = ('_fn', '_name')

    def __init__(self, fn: Callable, name: str) -> None:
        object.__setattr__(self, '_fn', fn)
        object.__setattr__(self, '_name', name)

    def __call__(self, *args: Any) -> Any:
        return self._fn(*args)

    def __setattr__(self, name: str, value: Any) -> None:
        raise pickle.UnpicklingError(
            f'refusing to set {self._name}.{name} while unpickling')

    def __repr__(self) -> str:
        return f'<allowed {self._name}>'


def _numpy_frombuffer(buffer: Any, dtype: Any, shape: Any,
                      order: str) -> np.ndarray:
    """numpy's pickle helper for arrays (protocol 5), type-checked."""
    if not isinstance(buffer, (bytes, bytearray)) or not isinstance(
            dtype, np.dtype) or dtype.hasobject:
        raise pickle.UnpicklingError(
            'numpy _frombuffer needs bytes and a non-object dtype')
    return np.frombuffer(
        buffer, dtype=dtype).reshape(
            tuple(shape), order=order).copy()


def _numpy_array_globals() -> Dict[Tuple[str, str], Any]:
    core = getattr(np, '_core', None) or np.core
    found = {}
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        found[(module, '_reconstruct')] = core.multiarray._reconstruct
        found[(module, 'scalar')] = core.multiarray.scalar
    for module in ('numpy.core.numeric', 'numpy._core.numeric'):
        found[(module, '_frombuffer')] = GuardedCallable(
            _numpy_frombuffer, f'{module}._frombuffer')
    found[('numpy', 'ndarray')] = np.ndarray
    found[('numpy', 'dtype')] = np.dtype
    for scalar_type in (np.bool_, np.int8, np.int16, np.int32, np.int64,
                        np.uint8, np.uint16, np.uint32, np.uint64, np.float16,
                        np.float32, np.float64):
        dtype_class = type(np.dtype(scalar_type))
        found[('numpy.dtypes', dtype_class.__name__)] = dtype_class
    return found


#: ``(module, name)`` -> what an unpickler hands out for it: numpy arrays of
#: bool, int, uint and float dtypes (no object arrays), numpy 1.x and 2.x.
NUMPY_ARRAY_GLOBALS: Dict[Tuple[str, str], Any] = _numpy_array_globals()

__all__ = ['GuardedCallable', 'NUMPY_ARRAY_GLOBALS']
