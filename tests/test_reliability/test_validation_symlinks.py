# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Folder datasets do not enter symlinked folders (as NVlabs' os.walk)."""
import logging
import os

import numpy as np
import pytest
from PIL import Image

from mmgen_ada.datasets import ImageArchive, ImageFolderDataset, image_archive
from mmgen_ada.datasets.conversion.image_source import ImageSource

pytestmark = pytest.mark.skipif(
    not hasattr(os, 'symlink') or os.name == 'nt',
    reason='needs POSIX symlinks')


def _images(folder, names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(folder / name)


@pytest.fixture
def linked_tree(tmp_path):
    """data/ds holds 2 images, a ``loop -> .`` cycle, a link to the sibling
    ``data/other`` (3 images) and a file link to one of them."""
    _images(tmp_path / 'data' / 'ds' / 'sub', ['a.png', 'b.png'])
    _images(tmp_path / 'data' / 'other', ['x.png', 'y.png', 'z.png'])
    ds = tmp_path / 'data' / 'ds'
    os.symlink('.', ds / 'loop')
    os.symlink('..', ds / 'sub' / 'up')
    os.symlink(os.path.join('..', 'other'), ds / 'sibling')
    os.symlink(os.path.join('..', 'other', 'x.png'), ds / 'linked.png')
    return ds


def test_archive_lists_no_image_behind_a_folder_link(linked_tree):
    names = ImageArchive(str(linked_tree)).image_names()
    # The file link is read (as NVlabs); folder links are not entered.
    assert names == ['linked.png', 'sub/a.png', 'sub/b.png']


def test_dataset_warns_about_each_skipped_link(linked_tree, monkeypatch):
    logged = []
    monkeypatch.setattr(image_archive, 'print_log',
                        lambda msg, **kwargs: logged.append((msg, kwargs)))
    dataset = ImageFolderDataset(str(linked_tree))
    assert len(dataset) == 3
    assert len(logged) == 1 and logged[0][1]['level'] == logging.WARNING
    out = logged[0][0]
    assert 'not following 3 symlinked folder(s)' in out
    for link in ('loop -> .', 'up -> ..', 'sibling -> ../other'):
        assert link in out


def test_root_may_be_a_link(linked_tree, tmp_path):
    os.symlink(linked_tree, tmp_path / 'alias')
    assert len(ImageFolderDataset(str(tmp_path / 'alias'))) == 3


def test_dataset_tool_source_skips_folder_links(linked_tree):
    source = ImageSource(str(linked_tree))
    assert [item.name for item in source.items
            ] == ['linked.png', 'sub/a.png', 'sub/b.png']
