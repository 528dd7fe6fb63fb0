# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The one function through which mmgen-ada reads checkpoint files.

Training (``resume``, ``load_from``), ``tools/test.py``, the inference API
and the tools all call :func:`read_checkpoint`, so what a checkpoint may
contain and how a bad file is reported is decided here once:

* ``torch.load(weights_only=True)`` with exactly the types of mmengine
  checkpoints allow-listed (:mod:`.safe_globals`): no pickled code runs.
* A pickle that is not a torch file is taken for an official NVlabs
  network snapshot (``stylegan2-ada-pytorch`` / ``stylegan3`` ``.pkl``):
  it is read only by the restricted unpickler of
  :mod:`mmgen_ada.apis.nvlabs_pickle` and converted to our checkpoint, whose
  ``meta['cfg']`` is the derived config as plain data
  (:func:`mmgen_ada.apis.checkpoint_file.read_nvlabs_snapshot`).
* An empty, truncated or otherwise unreadable file raises
  :class:`CheckpointReadError` naming the file and what is wrong with it,
  never a bare ``EOFError`` or zip error, and never a suggestion to load
  with ``weights_only=False``.
"""
import io
import os
import os.path as osp
import re
from typing import Callable, Union

import torch

from .safe_globals import register_checkpoint_safe_globals

MapLocation = Union[str, torch.device, Callable, None]

# What torch's weights-only unpickler refused; the rest of its message
# advises loading with weights_only=False or allow-listing, never done here.
_TORCH_REFUSAL = re.compile(
    r'(?:Unsupported global: GLOBAL|unsupported GLOBAL|Unsupported operand)'
    r' (\S+)')


#: First bytes of a zip archive (``torch.save`` since torch 1.6).
ZIP_MAGIC = b'PK\x03\x04'
#: Pickle protocol opcode (``PROTO``), the first byte of pickles >= 2.
PICKLE_PROTO = b'\x80'
# torch's legacy format pickles MAGIC_NUMBER = 0x1950a86a20f9469cfc6c first,
# as a LONG1 opcode with 10 little-endian bytes after the 2-byte PROTO.
_LEGACY_TORCH_MAGIC = b'\x8a\x0a' + (0x1950a86a20f9469cfc6c).to_bytes(
    10, 'little')


class CheckpointReadError(ValueError):
    """A checkpoint file that cannot be read; the message names the file."""


def sniff_checkpoint_format(path: str) -> str:
    """What kind of file ``path`` is, from its first bytes.

    Args:
        path (str): Local file.

    Returns:
        str: ``'torch-zip'``, ``'torch-legacy'``, ``'pickle'`` (a pickle
        that is not a torch file, e.g. an NVlabs snapshot) or ``'unknown'``.
    """
    with open(path, 'rb') as f:
        head = f.read(16)
    if head.startswith(ZIP_MAGIC):
        return 'torch-zip'
    if head.startswith(PICKLE_PROTO):
        if head[2:2 + len(_LEGACY_TORCH_MAGIC)] == _LEGACY_TORCH_MAGIC:
            return 'torch-legacy'
        return 'pickle'
    return 'unknown'


def _cached_download(url: str) -> str:
    """The local copy of an ``http(s)://`` checkpoint, downloaded once into
    torch's hub cache (``$TORCH_HOME/hub/checkpoints``), as mmengine and
    torchvision cache their weights."""
    from urllib.error import URLError
    from urllib.parse import urlparse

    from torch.hub import download_url_to_file, get_dir
    cache = osp.join(get_dir(), 'checkpoints')
    target = osp.join(cache, osp.basename(urlparse(url).path) or 'checkpoint')
    if not osp.isfile(target):
        os.makedirs(cache, exist_ok=True)
        try:  # writes a temporary file and renames it: never half a file
            download_url_to_file(url, target, progress=True)
        except (URLError, OSError, ValueError) as e:
            raise CheckpointReadError(
                f'checkpoint {url} could not be downloaded ({e}); download '
                'it yourself and pass the local path') from e
    return target


def _remote_bytes(path: str) -> bytes:
    from mmengine.fileio import get
    return get(path)


def _refusal_reason(error: BaseException) -> str:
    """What torch refused, without its advice to disable weights_only."""
    match = _TORCH_REFUSAL.search(str(error))
    if match is None:
        return type(error).__name__
    return match.group(0).replace('GLOBAL', 'global').strip()


def read_checkpoint(path: str, map_location: MapLocation = 'cpu') -> dict:
    """Read a checkpoint without running anything stored in it.

    Args:
        path (str): Local path (a ``.pth`` of ours or mmengine's, or an
            official NVlabs ``.pkl``), or a URI mmengine's file backends
            read: ``http(s)://`` files are downloaded once into torch's hub
            cache and read like local ones; other schemes (``s3://``, ...)
            hold torch checkpoints only.
        map_location (str | torch.device | callable, optional): As for
            ``torch.load``. Defaults to 'cpu'.

    Returns:
        dict: The checkpoint (mmengine layout: ``meta``, ``state_dict``,
        ``message_hub``, ``optimizer``, ...; or a bare state dict).

    Raises:
        CheckpointReadError: If the file is missing, empty, truncated,
            neither a torch checkpoint nor an NVlabs snapshot that can be read
            safely, holds anything but tensors and plain data, or is not a
            dict.
    """
    register_checkpoint_safe_globals()
    path = str(path)
    if path.startswith(('http://', 'https://')):
        path = _cached_download(path)
    remote = '://' in path
    if not remote:
        if not osp.exists(path):
            raise CheckpointReadError(f'checkpoint {path} does not exist')
        if not osp.isfile(path):
            raise CheckpointReadError(
                f'checkpoint {path} is not a file (a directory?)')
        if os.path.getsize(path) == 0:
            raise CheckpointReadError(
                f'checkpoint {path} is empty (0 bytes); a save was probably '
                'interrupted. Use an earlier checkpoint of the run.')
        kind = sniff_checkpoint_format(path)
        if kind == 'pickle':
            # Imported on use: the converter pulls in the model zoo.
            from mmgen_ada.apis.checkpoint_file import read_nvlabs_snapshot
            return read_nvlabs_snapshot(path, map_location)
        if kind == 'unknown':
            with open(path, 'rb') as f:
                head = f.read(8)
            raise CheckpointReadError(
                f'{path} is not a checkpoint: it is neither a torch '
                'checkpoint (zip or legacy torch.save) nor an NVlabs network '
                f'pickle (it starts with bytes {head!r}). Give a .pth written '
                'by mmgen-ada/mmengine or an official '
                'stylegan2-ada-pytorch/stylegan3 .pkl.')
    try:
        source = io.BytesIO(_remote_bytes(path)) if remote else path
        checkpoint = torch.load(
            source, map_location=map_location, weights_only=True)
    except FileNotFoundError as e:
        raise CheckpointReadError(f'checkpoint {path} does not exist') from e
    except PermissionError as e:
        raise CheckpointReadError(
            f'checkpoint {path} is not readable: permission denied') from e
    except (EOFError, RuntimeError) as e:
        raise CheckpointReadError(
            f'checkpoint {path} is truncated or corrupt and cannot be read '
            f'({type(e).__name__}); a save was probably interrupted or the '
            'copy is incomplete. Use an earlier checkpoint of the run.') from e
    except Exception as e:  # torch raises pickle and zip errors of its own
        if 'weights_only' in str(e) or 'GLOBAL' in str(e):
            raise CheckpointReadError(
                f'checkpoint {path} holds objects other than tensors and '
                f'plain data ({_refusal_reason(e)}); mmgen-ada does not '
                'unpickle code from checkpoints. Re-save its state dicts '
                'with torch.save from a trusted environment.') from None
        raise CheckpointReadError(
            f'checkpoint {path} is not a readable torch checkpoint '
            f'({type(e).__name__}: {str(e)[:200]})') from e
    if not isinstance(checkpoint, dict):
        raise CheckpointReadError(
            f'checkpoint {path} holds a {type(checkpoint).__name__}; '
            'expected a dict (an mmengine checkpoint or a state dict)')
    return checkpoint
