# Copyright (c) mmgen-ada contributors. All rights reserved.
"""mmengine's local checkpoint loader, replaced by ours.

mmengine reads local files through ``CheckpointLoader``'s ``''`` scheme
(``mmengine.runner.load_checkpoint``, ``Pretrained`` init configs, a plain
``Runner``). Registering :func:`mmgen_ada.engine.checkpoint.read_checkpoint`
there gives those paths what :class:`~mmgen_ada.engine.runner.GANRunner`
has: official NVlabs ``.pkl`` snapshots (read without running their code)
and our own errors for unreadable files.
"""
from typing import Any, Optional

from mmengine.runner import CheckpointLoader

from mmgen_ada.engine.checkpoint import read_checkpoint


def load_from_local(filename: str, map_location: Optional[Any] = None) -> Any:
    """The ``''`` scheme loader (named as mmengine's, which it replaces)."""
    return read_checkpoint(filename, map_location)


def register_checkpoint_file_loader() -> None:
    """Make :func:`load_from_local` mmengine's loader of local files."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)
