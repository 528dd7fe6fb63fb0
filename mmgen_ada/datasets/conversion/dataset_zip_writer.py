# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Output side of ``tools/dataset_tool.py``: a zip in NVlabs' layout."""
import io
import os
import os.path as osp
import zipfile
from typing import Optional, Sequence, Union

import numpy as np
from PIL import Image

from ..dataset_json import DATASET_JSON, dump_dataset_json


class DatasetZipWriter:
    """Write images as PNG into an uncompressed zip, with ``dataset.json``.

    Image ``i`` is stored as ``{i // 1000:05d}/img{i:08d}.png`` (the NVlabs
    layout). The zip is written to ``dest + '.tmp'`` and renamed over
    ``dest`` by :meth:`finish`, so an interrupted run never leaves a
    half-written dataset under the final name; :meth:`abort` (or leaving the
    ``with`` block by an exception) deletes the temporary file. Entries get a
    fixed timestamp, so the same input gives the same zip bytes.

    Args:
        dest (str): Output path; must end with ``.zip``.
        compress_level (int): PNG compression 0-9. 0 (NVlabs' choice)
            decodes fastest; higher is smaller. Defaults to 0.
    """

    def __init__(self, dest: str, compress_level: int = 0) -> None:
        if not dest.lower().endswith('.zip'):
            raise ValueError(f'output must be a .zip file, got {dest!r}')
        if not (isinstance(compress_level, int) and 0 <= compress_level <= 9):
            raise ValueError('compress_level must be an int in [0, 9], got '
                             f'{compress_level!r}')
        self.dest = dest
        self.compress_level = compress_level
        if osp.dirname(dest):
            os.makedirs(osp.dirname(dest), exist_ok=True)
        self._tmp = dest + '.tmp'
        self._zip = zipfile.ZipFile(self._tmp, 'w', zipfile.ZIP_STORED)
        self.num_images = 0

    def add_image(self, array: np.ndarray) -> str:
        """Append one uint8 ``(H, W, C)`` image, C in (1, 3).

        Returns:
            str: Its name inside the zip.
        """
        idx = self.num_images
        name = f'{idx // 1000:05d}/img{idx:08d}.png'
        img = Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)
        buf = io.BytesIO()
        img.save(buf, format='png', compress_level=self.compress_level)
        self._write(name, buf.getvalue())
        self.num_images += 1
        return name

    def add_file(self, name: str, data: Union[str, bytes]) -> None:
        """Store an extra file (licence text, ...) at ``name``."""
        if isinstance(data, str):
            data = data.encode('utf-8')
        self._write(name, data)

    def _write(self, name: str, data: bytes) -> None:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        self._zip.writestr(info, data)

    def finish(self,
               labels: Optional[Sequence[Sequence]] = None,
               class_names: Optional[Sequence[str]] = None) -> None:
        """Write ``dataset.json`` and move the zip to its final name.

        Args:
            labels (Sequence[(str, label)] | None): ``[name, label]`` pairs
                or None. Defaults to None.
            class_names (Sequence[str], optional): Defaults to None.
        """
        self._write(DATASET_JSON,
                    dump_dataset_json(labels, class_names).encode('utf-8'))
        self._zip.close()
        os.replace(self._tmp, self.dest)

    def abort(self) -> None:
        """Close and delete the partial output."""
        self._zip.close()
        if osp.exists(self._tmp):
            os.remove(self._tmp)

    def __enter__(self) -> 'DatasetZipWriter':
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
