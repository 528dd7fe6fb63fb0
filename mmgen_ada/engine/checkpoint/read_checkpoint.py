# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The one function through which mmgen-ada reads checkpoint files.

Training (``resume``, ``load_from``), ``tools/test.py``, the inference API
and the tools all call :func:`read_checkpoint`, so what a checkpoint may
contain and how a bad file is reported is decided here once:

* ``torch.load(weights_only=True)`` with exactly the types of mmengine
  checkpoints allow-listed (:mod:`.safe_globals`): no pickled code runs.
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


class CheckpointReadError(ValueError):
    """A checkpoint file that cannot be read; the message names the file."""


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
        path (str): Local path, or a URI mmengine's file backends read
            (``http://``, ``s3://``, ...).
        map_location (str | torch.device | callable, optional): As for
            ``torch.load``. Defaults to 'cpu'.

    Returns:
        dict: The checkpoint (mmengine layout: ``meta``, ``state_dict``,
        ``message_hub``, ``optimizer``, ...; or a bare state dict).

    Raises:
        CheckpointReadError: If the file is missing, empty, truncated, not a
            torch checkpoint, holds anything but tensors and plain data, or
            is not a dict.
    """
    register_checkpoint_safe_globals()
    path = str(path)
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
