# Copyright (c) mmgen-ada contributors. All rights reserved.
"""mmengine's local checkpoint loader, replaced by ours.

mmengine's ``Runner`` (``load_from``, ``resume``) reads local files through
``CheckpointLoader``'s ``''`` scheme. Registering
:func:`mmgen_ada.apis.checkpoint_file.read_local_checkpoint_file` there lets
every runner of this package take official NVlabs ``.pkl`` snapshots (read
without running their code) and report unreadable files with our own error.
"""
from typing import Any, Optional

from mmengine.runner import CheckpointLoader


def load_from_local(filename: str, map_location: Optional[Any] = None) -> Any:
    """The ``''`` scheme loader (named as mmengine's, which it replaces)."""
    # Imported on first use: mmgen_ada.apis pulls in the model zoo.
    from mmgen_ada.apis.checkpoint_file import read_local_checkpoint_file
    return read_local_checkpoint_file(filename, map_location)


def register_checkpoint_file_loader() -> None:
    """Make :func:`load_from_local` mmengine's loader of local files."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)
