# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Let ``torch.load(weights_only=True)`` read mmengine checkpoints.

Since torch 2.6, ``torch.load`` only unpickles allow-listed globals, and
mmengine's resume fails on the message hub it saves
(``HistoryBuffer`` objects holding numpy arrays). We allow exactly the types
such a checkpoint contains, instead of falling back to
``weights_only=False`` (which executes arbitrary pickled code from a
possibly foreign file).

``HistoryBuffer.__getstate__`` also pickles its statistics methods, which
pickle as ``getattr(HistoryBuffer, 'mean')``. Allowing the real
``builtins.getattr`` would hand out any attribute of any allowed object (e.g.
``ndarray.tofile``, which writes files), so that name is bound to a
restricted ``getattr`` that only resolves HistoryBuffer's own statistics.
"""
import pickle
from typing import Any, List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

_HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` restricted to ``HistoryBuffer``'s statistics methods.

    Raises:
        pickle.UnpicklingError: for anything else.
    """
    if obj is HistoryBuffer and name in _HISTORY_BUFFER_STATISTICS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'Refusing getattr({obj!r}, {name!r}) while loading a checkpoint: '
        f'only HistoryBuffer.{{{", ".join(_HISTORY_BUFFER_STATISTICS)}}} '
        'are allowed.')


def _numpy_globals() -> List[Any]:
    """The numpy objects that pickled arrays, dtypes and scalars refer to."""
    # numpy 2 moved these to ``numpy._core``; the objects keep their own
    # ``__module__`` so registering the objects covers both layouts.
    multiarray = getattr(np, '_core', None) or np.core
    found = [
        multiarray.multiarray._reconstruct,
        multiarray.multiarray.scalar,
        np.ndarray,
        np.dtype,
    ]
    # Pickled dtypes name their DType class in numpy >= 1.25.
    for scalar_type in (np.bool_, np.int8, np.int16, np.int32, np.int64,
                        np.uint8, np.uint16, np.uint32, np.uint64,
                        np.float16, np.float32, np.float64):
        found.append(type(np.dtype(scalar_type)))
    return found


MMENGINE_CHECKPOINT_SAFE_GLOBALS: List[Any] = [
    HistoryBuffer,
    (_history_buffer_getattr, 'builtins.getattr'),
] + _numpy_globals()


def register_checkpoint_safe_globals() -> None:
    """Allow-list the types of mmengine checkpoints for ``torch.load``.

    Idempotent. A no-op on torch versions without
    ``torch.serialization.add_safe_globals`` (< 2.4), where ``torch.load``
    does not restrict globals by default anyway.
    """
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals',
                               None)
    if add_safe_globals is not None:
        add_safe_globals(MMENGINE_CHECKPOINT_SAFE_GLOBALS)
