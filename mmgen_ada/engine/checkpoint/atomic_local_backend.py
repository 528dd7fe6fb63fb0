# Copyright (c) mmgen-ada contributors. All rights reserved.
"""A local file backend whose writes are atomic."""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """``LocalBackend`` that writes through a temporary file and a rename.

    A run killed while a checkpoint is being written leaves either the
    complete new file or nothing at that path (plus, at worst, a stray
    ``.tmp`` file), never a truncated checkpoint; earlier checkpoints are
    untouched. Select it with
    ``CheckpointHook(backend_args=dict(backend='atomic_local'))``.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write ``obj`` to ``filepath`` atomically.

        Args:
            obj (bytes): Data to be written.
            filepath (str or Path): Destination path.
        """
        self._atomic_write(obj, filepath, 'wb')

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text ``obj`` to ``filepath`` atomically.

        Args:
            obj (str): Text to be written.
            filepath (str or Path): Destination path.
            encoding (str): Text encoding. Defaults to 'utf-8'.
        """
        self._atomic_write(obj.encode(encoding), filepath, 'wb')

    @staticmethod
    def _atomic_write(data: bytes, filepath: Union[str, Path],
                      mode: str) -> None:
        filepath = str(filepath)
        dirname = osp.dirname(osp.abspath(filepath))
        os.makedirs(dirname, exist_ok=True)
        fd, tmp_path = tempfile.mkstemp(
            dir=dirname, prefix=osp.basename(filepath) + '.', suffix='.tmp')
        try:
            with os.fdopen(fd, mode) as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp_path, filepath)
        except BaseException:
            if osp.exists(tmp_path):
                os.remove(tmp_path)
            raise
