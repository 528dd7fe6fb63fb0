# Copyright (c) mmgen-ada contributors. All rights reserved.
"""read_checkpoint: our checkpoints and official .pkl, nothing else."""
import os
import os.path as osp
import pickle
import sys

import pytest
import torch
from mmengine.runner import CheckpointLoader

sys.path.insert(0, osp.dirname(__file__))
import nvlabs_pickle_factory as factory  # noqa: E402

import mmgen_ada.engine.runner  # noqa: E402,F401 (registers the loader)

from mmgen_ada.apis import init_model  # noqa: E402
from mmgen_ada.engine.checkpoint import (  # noqa: E402
    CheckpointReadError, read_checkpoint, sniff_checkpoint_format)

needs_fixture = pytest.mark.skipif(
    not factory.FIXTURE.is_dir(),
    reason=f'NVlabs fixture folder {factory.FIXTURE} missing')


class _System:

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command, ))


class _Foreign:
    """A class torch's weights-only unpickler does not allow."""


@needs_fixture
def test_official_pickle_reads_as_our_checkpoint(tmp_path):
    path = factory.write_fixture_snapshot(str(tmp_path / 'net.pkl'))
    assert sniff_checkpoint_format(path) == 'pickle'
    ckpt = read_checkpoint(path)
    cfg = ckpt['meta']['cfg']
    assert isinstance(cfg, dict)  # plain data, never text to execute
    assert cfg['model']['generator']['type'] == 'StyleGANv2Generator'
    assert cfg['model']['generator']['num_mlps'] == 2
    assert ckpt['meta']['augment_p'] == pytest.approx(0.25)
    assert any(
        k.startswith('generator_ema.module.') for k in ckpt['state_dict'])

    # The API builds the model from it with no config file and reproduces
    # the official network's output.
    model = init_model(checkpoint=path)
    io = torch.load(
        factory.FIXTURE / 'generator_small_io.pt', weights_only=True)
    with torch.no_grad():
        img = model.generator_ema.module(io['z'], None, noise_mode='const')
    torch.testing.assert_close(
        img, io['perturbed_img_psi1_const'], atol=1e-5, rtol=1e-5)


def test_malicious_pickle_is_refused_with_our_error(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pkl'
    with open(path, 'wb') as f:
        pickle.dump(dict(G=_System(f'touch {marker}')), f)
    for read in (read_checkpoint,
                 lambda p: CheckpointLoader.load_checkpoint(p, 'cpu'),
                 lambda p: init_model(checkpoint=p)):
        with pytest.raises(CheckpointReadError) as err:
            read(str(path))
        message = str(err.value)
        assert str(path) in message and 'system' in message
        assert 'weights_only' not in message
    assert not marker.exists()


def test_zip_checkpoint_with_foreign_objects_is_refused(tmp_path):
    path = tmp_path / 'foreign.pth'
    torch.save(dict(state_dict={}, meta=dict(x=_Foreign())), path)
    assert sniff_checkpoint_format(str(path)) == 'torch-zip'
    with pytest.raises(CheckpointReadError) as err:
        CheckpointLoader.load_checkpoint(str(path), 'cpu')
    message = str(err.value)
    assert str(path) in message and '_Foreign' in message
    assert 'weights_only' not in message


def test_other_files_are_named(tmp_path):
    path = tmp_path / 'notes.pth'
    path.write_text('not a checkpoint')
    with pytest.raises(CheckpointReadError, match='notes.pth is not a '):
        read_checkpoint(str(path))
    with pytest.raises(CheckpointReadError, match='missing.pth'):
        read_checkpoint(str(tmp_path / 'missing.pth'))


@pytest.mark.parametrize('zipfile', [True, False])
def test_our_checkpoints_read_as_saved(tmp_path, zipfile):
    path = tmp_path / 'ckpt.pth'
    saved = dict(state_dict=dict(w=torch.arange(3.)), meta=dict(iter=5))
    torch.save(saved, path, _use_new_zipfile_serialization=zipfile)
    assert sniff_checkpoint_format(str(path)) == (
        'torch-zip' if zipfile else 'torch-legacy')
    ckpt = CheckpointLoader.load_checkpoint(str(path), 'cpu')
    assert ckpt['meta'] == dict(iter=5)
    torch.testing.assert_close(ckpt['state_dict']['w'], torch.arange(3.))


@needs_fixture
def test_official_pickle_url_is_downloaded_once_into_the_cache(
        tmp_path, monkeypatch):
    import shutil

    import torch.hub
    pkl = factory.write_fixture_snapshot(str(tmp_path / 'src.pkl'))
    downloads = []

    def fake_download(url, dst, progress=True):
        downloads.append(url)
        shutil.copyfile(pkl, dst)

    monkeypatch.setattr(torch.hub, 'download_url_to_file', fake_download)
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path / 'hub'))
    url = 'https://example.invalid/nets/network-snapshot.pkl'
    for _ in range(2):
        ckpt = read_checkpoint(url)
        assert ckpt['meta']['cfg']['default_scope'] == 'mmgen_ada'
    assert downloads == [url]
    assert osp.isfile(tmp_path / 'hub' / 'checkpoints' /
                      'network-snapshot.pkl')


def test_unreachable_url_names_the_url(tmp_path, monkeypatch):
    import urllib.error

    import torch.hub

    def no_network(url, dst, progress=True):
        raise urllib.error.URLError('no network')

    monkeypatch.setattr(torch.hub, 'download_url_to_file', no_network)
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path / 'hub'))
    with pytest.raises(CheckpointReadError,
                       match='example.invalid/x.pth could not be downloaded'):
        read_checkpoint('https://example.invalid/x.pth')
