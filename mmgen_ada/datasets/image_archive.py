# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Uniform read access to image files kept in a folder or a ``.zip`` file."""
import logging
import os
import os.path as osp
import zipfile
from typing import Dict, List, Optional

from mmengine.logging import print_log

#: File extensions (lower case) treated as images when listing an archive.
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.webp', '.tif', '.tiff',
                    '.ppm', '.pgm')


def is_image_name(name: str) -> bool:
    """Whether ``name`` (a ``/``-separated relative path) is an image file.

    Hidden files and folders (any path component starting with ``.``, such
    as ``.ipynb_checkpoints/`` or macOS ``._x.png`` forks) and anything
    under ``__MACOSX/`` are not images.
    """
    parts = name.split('/')
    if any(p.startswith('.') or p == '__MACOSX' for p in parts):
        return False
    return osp.splitext(name)[1].lower() in IMAGE_EXTENSIONS


class ImageArchive:
    """A folder or a ``.zip`` file holding a dataset's images.

    Names are relative paths with ``/`` separators, as NVlabs'
    ``dataset_tool.py`` writes them (``00000/img00000000.png``). The zip
    handle is opened lazily and reopened in every new process, so an archive
    object can be shared with forked or spawned dataloader workers (a handle
    shared across ``fork`` would share its file offset and corrupt reads).

    Args:
        path (str): A folder or a ``.zip`` file.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: ``path`` is a file that is not a readable zip archive.
    """

    def __init__(self, path: str) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f'archive path must be a str, got {path!r}')
        path = os.fspath(path)
        if osp.isdir(path):
            self.kind = 'folder'
        elif osp.isfile(path):
            if not path.lower().endswith('.zip'):
                raise ValueError(f'{path}: a dataset must be a folder or a '
                                 '.zip file')
            if not zipfile.is_zipfile(path):
                raise ValueError(f'{path}: not a valid zip archive')
            self.kind = 'zip'
        else:
            raise FileNotFoundError(f'{path}: no such folder or .zip file')
        self.path = path
        self._zip: Optional[zipfile.ZipFile] = None
        self._zip_pid: Optional[int] = None
        self._all_names: Optional[List[str]] = None

    def _zipfile(self) -> zipfile.ZipFile:
        if self._zip is None or self._zip_pid != os.getpid():
            try:
                self._zip = zipfile.ZipFile(self.path)
            except (zipfile.BadZipFile, OSError) as e:
                raise ValueError(f'{self.path}: cannot open zip archive '
                                 f'({e})') from e
            self._zip_pid = os.getpid()
        return self._zip

    def list_files(self) -> List[str]:
        """All file names in the archive, sorted (cached after first call)."""
        if self._all_names is None:
            if self.kind == 'zip':
                names = [
                    info.filename for info in self._zipfile().infolist()
                    if not info.is_dir()
                ]
            else:
                names = self._walk_folder()
            self._all_names = sorted(names)
        return list(self._all_names)

    def _walk_folder(self) -> List[str]:
        """Files under the folder, not descending into symlinked folders.

        As NVlabs (``os.walk`` without ``followlinks``): a link to a folder
        inside the dataset (``loop -> ..``, ``more -> /other/data``) is not
        entered, so a cycle or a sibling folder cannot leak into the data;
        each such link is named in a warning. Links to files are read, and
        ``path`` itself may be a link.
        """
        names, skipped = [], []
        for root, dirs, files in os.walk(self.path):
            dirs.sort()
            rel = osp.relpath(root, self.path)
            for dname in dirs:
                full = osp.join(root, dname)
                if osp.islink(full):
                    skipped.append(f'{full} -> {os.readlink(full)}')
            for fname in files:
                name = fname if rel == '.' else osp.join(rel, fname)
                names.append(name.replace(os.sep, '/'))
        if skipped:
            print_log(
                f'{self.path}: not following {len(skipped)} symlinked '
                f'folder(s): {", ".join(skipped)}. Folder datasets do not '
                'follow links to folders (as NVlabs); move or copy the '
                'images into the dataset, or set the path to the target.',
                logger='current',
                level=logging.WARNING)
        return names

    def image_names(self) -> List[str]:
        """Sorted names of the image files (see :func:`is_image_name`)."""
        return [n for n in self.list_files() if is_image_name(n)]

    def exists(self, name: str) -> bool:
        """Whether the archive holds a file called ``name``."""
        if self.kind == 'zip':
            try:
                self._zipfile().getinfo(name)
            except KeyError:
                return False
            return True
        return osp.isfile(osp.join(self.path, name))

    def display_name(self, name: str) -> str:
        """How error messages name file ``name``: ``folder/name`` or
        ``archive.zip:name``."""
        if self.kind == 'zip':
            return f'{self.path}:{name}'
        return osp.join(self.path, name)

    def read_bytes(self, name: str) -> bytes:
        """The raw bytes of file ``name``.

        Raises:
            FileNotFoundError: No such file; the message names it.
            ValueError: The zip member cannot be read (bad CRC, ...).
        """
        if self.kind == 'zip':
            zf = self._zipfile()
            try:
                return zf.read(name)
            except KeyError:
                raise FileNotFoundError(
                    f'{self.display_name(name)}: no such file in the '
                    'archive') from None
            except (zipfile.BadZipFile, OSError, EOFError) as e:
                raise ValueError(f'{self.display_name(name)}: cannot read '
                                 f'zip member ({e})') from e
        full = osp.join(self.path, name)
        try:
            with open(full, 'rb') as f:
                return f.read()
        except FileNotFoundError:
            raise FileNotFoundError(f'{full}: no such file') from None

    def close(self) -> None:
        """Close the zip handle if this process opened one."""
        if self._zip is not None and self._zip_pid == os.getpid():
            self._zip.close()
        self._zip = None
        self._zip_pid = None

    def __getstate__(self) -> Dict:
        state = self.__dict__.copy()
        state['_zip'] = None
        state['_zip_pid'] = None
        return state

    def __repr__(self) -> str:
        return f'{type(self).__name__}(path={self.path!r}, kind={self.kind!r})'
