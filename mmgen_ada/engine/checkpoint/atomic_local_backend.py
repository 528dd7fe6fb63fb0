# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Atomic local file writes, and the file backend that uses them."""
import os
import os.path as osp
import re
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

#: Suffix of the temporary files of :func:`atomic_write`; a file named
#: ``<name>.<8 random chars>.tmp`` is a write to ``<name>`` that never
#: finished.
TMP_SUFFIX = '.tmp'
_TMP_NAME = re.compile(r'^(?P<target>.+)\.[A-Za-z0-9_]{8}' +
                       re.escape(TMP_SUFFIX) + '$')


def _current_umask() -> int:
    """The process umask (read without a window where it is changed)."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def tmp_target(name: str) -> Union[str, None]:
    """The file a leftover temporary file of :func:`atomic_write` was for.

    Args:
        name (str): A file name (no directory).

    Returns:
        str | None: The target name, or None if ``name`` is not one of
        :func:`atomic_write`'s temporary files.
    """
    match = _TMP_NAME.match(name)
    return match.group('target') if match else None


def atomic_write(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` so that it is all there or not at all.

    Writes a temporary file in the same directory, fsyncs it, renames it
    over ``filepath`` and fsyncs the directory. A process killed at any
    moment leaves the old file (or none) and at worst a temporary file
    ``<name>.XXXXXXXX.tmp`` (see :func:`tmp_target`). The new file gets the
    mode a plain ``open`` would give it (0666 minus the umask), not
    ``mkstemp``'s 0600.

    Args:
        data (bytes): File content.
        filepath (str | Path): Destination.
    """
    filepath = str(filepath)
    dirname = osp.dirname(osp.abspath(filepath))
    os.makedirs(dirname, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        dir=dirname, prefix=osp.basename(filepath) + '.', suffix=TMP_SUFFIX)
    try:
        with os.fdopen(fd, 'wb') as f:
            os.fchmod(f.fileno(), 0o666 & ~_current_umask())
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, filepath)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise
    _fsync_dir(dirname)


def _fsync_dir(dirname: str) -> None:
    """Make a rename in ``dirname`` durable (no-op where unsupported)."""
    try:
        fd = os.open(dirname, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """``LocalBackend`` that writes through a temporary file and a rename.

    A run killed while a checkpoint is being written leaves either the
    complete new file or nothing at that path (plus, at worst, a stray
    ``.tmp`` file), never a truncated checkpoint; earlier checkpoints are
    untouched. See :func:`atomic_write`. Select it with
    ``CheckpointHook(backend_args=dict(backend='atomic_local'))``.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write ``obj`` to ``filepath`` atomically.

        Args:
            obj (bytes): Data to be written.
            filepath (str or Path): Destination path.
        """
        atomic_write(obj, filepath)

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
        atomic_write(obj.encode(encoding), filepath)
