# Copyright (c) mmgen-ada contributors. All rights reserved.
# Only the light checkpoint helpers are imported here; hooks, loops and
# optimizers are imported by the registries' ``locations`` when needed.
from .checkpoint import (AtomicLocalBackend, register_checkpoint_safe_globals)

__all__ = ['AtomicLocalBackend', 'register_checkpoint_safe_globals']
