# Copyright (c) mmgen-ada contributors. All rights reserved.
from .atomic_local_backend import AtomicLocalBackend
from .safe_globals import (MMENGINE_CHECKPOINT_SAFE_GLOBALS,
                           register_checkpoint_safe_globals)

__all__ = [
    'AtomicLocalBackend', 'MMENGINE_CHECKPOINT_SAFE_GLOBALS',
    'register_checkpoint_safe_globals'
]
