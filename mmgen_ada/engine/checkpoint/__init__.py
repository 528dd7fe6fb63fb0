# Copyright (c) mmgen-ada contributors. All rights reserved.
from .atomic_local_backend import AtomicLocalBackend, atomic_write, tmp_target
from .checkpoint_config import (CheckpointConfigError, config_from_checkpoint,
                                config_to_plain)
from .load_state_dict_checked import (StateDictMismatchError,
                                      load_state_dict_checked, state_dict_fit)
from .read_checkpoint import (CheckpointReadError, read_checkpoint,
                              sniff_checkpoint_format)
from .safe_globals import (MMENGINE_CHECKPOINT_SAFE_GLOBALS,
                           register_checkpoint_safe_globals)

__all__ = [
    'AtomicLocalBackend', 'CheckpointConfigError', 'CheckpointReadError',
    'MMENGINE_CHECKPOINT_SAFE_GLOBALS', 'StateDictMismatchError',
    'atomic_write', 'config_from_checkpoint', 'config_to_plain',
    'load_state_dict_checked', 'read_checkpoint',
    'register_checkpoint_safe_globals', 'sniff_checkpoint_format',
    'state_dict_fit', 'tmp_target'
]
