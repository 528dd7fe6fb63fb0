# Copyright (c) mmgen-ada contributors. All rights reserved.
"""An Inception weights_path that is a directory or not TorchScript is
named for what it is."""
import pytest

from mmgen_ada.evaluation.feature_extractors import InceptionV3TorchScript
from mmgen_ada.evaluation.feature_extractors.inception_weights import \
    find_inception_weights


def test_directory_is_reported_as_a_directory(tmp_path):
    with pytest.raises(IsADirectoryError) as err:
        find_inception_weights(str(tmp_path), url=None, download=False)
    msg = str(err.value)
    assert f'weights_path={str(tmp_path)!r} is a directory' in msg
    assert 'does not exist' not in msg


def test_missing_file_is_still_reported_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match='does not exist'):
        find_inception_weights(str(tmp_path / 'nope.pt'), download=False)


@pytest.mark.parametrize('content', [b'', b'not a zip archive'])
def test_unloadable_file_is_named(tmp_path, content):
    path = tmp_path / 'inception.pt'
    path.write_bytes(content)
    with pytest.raises(RuntimeError) as err:
        InceptionV3TorchScript(weights_path=str(path), download=False)
    assert str(path) in str(err.value)
    assert 'cannot be loaded as TorchScript' in str(err.value)
