# Copyright (c) mmgen-ada contributors. All rights reserved.
import os
import pickle
import zipfile

import pytest

from mmgen_ada.datasets import ImageArchive, is_image_name


def test_is_image_name():
    assert is_image_name('a/b.PNG') and is_image_name('x.jpeg')
    assert not is_image_name('dataset.json')
    assert not is_image_name('.hidden.png')
    assert not is_image_name('__MACOSX/a/._b.png')
    assert not is_image_name('.ipynb_checkpoints/a.png')


def test_folder_and_zip_listing_agree(tmp_path):
    files = {
        'b/2.png': b'2',
        'a.png': b'1',
        'b/c/3.jpg': b'3',
        'dataset.json': b'{}',
        '__MACOSX/._a.png': b'x'
    }
    folder = tmp_path / 'f'
    for name, data in files.items():
        os.makedirs(folder / os.path.dirname(name), exist_ok=True)
        (folder / name).write_bytes(data)
    zpath = str(tmp_path / 'f.zip')
    with zipfile.ZipFile(zpath, 'w') as zf:
        zf.writestr('b/', b'')  # a directory entry is not a file
        for name, data in files.items():
            zf.writestr(name, data)
    for arch in (ImageArchive(str(folder)), ImageArchive(zpath)):
        assert arch.image_names() == ['a.png', 'b/2.png', 'b/c/3.jpg']
        assert arch.read_bytes('b/c/3.jpg') == b'3'
        assert arch.exists('dataset.json') and not arch.exists('nope')
        with pytest.raises(FileNotFoundError, match='nope.png'):
            arch.read_bytes('nope.png')
    arch = ImageArchive(zpath)
    arch.read_bytes('a.png')
    assert arch.display_name('a.png') == f'{zpath}:a.png'
    # Pickling drops the open handle; the copy reopens on first read.
    clone = pickle.loads(pickle.dumps(arch))
    assert clone._zip is None and clone.read_bytes('a.png') == b'1'


def test_zip_reopened_after_fork(tmp_path):
    zpath = str(tmp_path / 'f.zip')
    with zipfile.ZipFile(zpath, 'w') as zf:
        zf.writestr('a.png', b'abc')
    arch = ImageArchive(zpath)
    arch.read_bytes('a.png')
    parent_handle = arch._zip
    arch._zip_pid = -1  # what a forked child sees: another pid
    assert arch.read_bytes('a.png') == b'abc'
    assert arch._zip is not parent_handle
