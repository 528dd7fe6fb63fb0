# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The global batch of a config and the per-process batch derived from it.

NVlabs keeps the batch of one optimisation step (``--batch``, summed over
GPUs) fixed and derives the batch of each GPU (``batch // gpus``); kimg per
iteration, the ADA ``p`` speed and the G_ema half-life all depend on the
global batch. Configs state it as the top-level key::

    global_batch_size = 64   # e.g. the paper's 8 GPUs x 8

and :func:`apply_global_batch` (called by ``tools/train.py`` before the
Runner is built) writes ``train_dataloader.batch_size = global_batch_size //
world_size``, refusing a world size that does not divide it. A config without
the key keeps mmengine's meaning of ``train_dataloader.batch_size`` (per
process); the global batch is then that times the world size.
"""
import os
from typing import Optional

from mmengine.config import Config

#: Top-level config key holding the global batch.
GLOBAL_BATCH_KEY = 'global_batch_size'

#: Environment variables that hold the world size, per launcher (the ones
#: mmengine's ``init_dist`` reads).
WORLD_SIZE_ENV = dict(
    pytorch='WORLD_SIZE', slurm='SLURM_NTASKS', mpi='OMPI_COMM_WORLD_SIZE')


def launcher_world_size(launcher: str) -> int:
    """Number of processes a launcher started (1 without a launcher).

    Args:
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.

    Returns:
        int: The world size read from the launcher's environment.

    Raises:
        ValueError: The launcher's variable is missing or not a positive int.
    """
    if launcher == 'none':
        return 1
    if launcher not in WORLD_SIZE_ENV:
        raise ValueError(f'unknown launcher {launcher!r}; expected one of '
                         f"{['none'] + sorted(WORLD_SIZE_ENV)}")
    name = WORLD_SIZE_ENV[launcher]
    value = os.environ.get(name)
    if value is None or not value.isdigit() or int(value) < 1:
        raise ValueError(f'--launcher {launcher}: environment variable {name} '
                         f'must hold the number of processes, got {value!r} '
                         '(start the job with tools/dist_train.sh, torchrun, '
                         'srun or mpirun)')
    return int(value)


def per_process_batch(global_batch: int, world_size: int) -> int:
    """``global_batch // world_size``, refusing a batch that does not divide.

    Args:
        global_batch (int): Images per optimisation step over all processes.
        world_size (int): Number of processes.

    Returns:
        int: Images per process and step.

    Raises:
        ValueError: ``global_batch`` is not a positive multiple of
            ``world_size``; the message names both numbers and the nearest
            valid batches.
    """
    if isinstance(global_batch, bool) or not isinstance(
            global_batch, int) or global_batch < 1:
        raise ValueError(f'the global batch must be a positive int, got '
                         f'{global_batch!r}')
    if global_batch % world_size:
        lower = global_batch // world_size * world_size
        upper = lower + world_size
        choices = f'{lower} or {upper}' if lower else f'{upper}'
        raise ValueError(
            f'global batch {global_batch} does not divide over {world_size} '
            f'processes ({global_batch} / {world_size} = '
            f'{global_batch / world_size:g} images each); use a global batch '
            f'that is a multiple of {world_size} (e.g. {choices}) or a '
            f'number of processes that divides {global_batch}')
    return global_batch // world_size


def apply_global_batch(cfg: Config, world_size: int) -> int:
    """Write the per-process batch of ``cfg`` from its global batch.

    With ``cfg.global_batch_size`` set, ``train_dataloader.batch_size``
    becomes ``global_batch_size // world_size``; without it,
    ``global_batch_size`` is filled in as ``batch_size * world_size`` so the
    saved config states what ran.

    Args:
        cfg (Config): The training config (modified in place).
        world_size (int): Number of training processes.

    Returns:
        int: The global batch.

    Raises:
        ValueError: The global batch does not divide over ``world_size``, or
            the per-process batch is not a multiple of the minibatch-std group
            of the discriminator.
    """
    loader = cfg.get('train_dataloader', None)
    if loader is None:
        raise ValueError('the config has no train_dataloader')
    global_batch: Optional[int] = cfg.get(GLOBAL_BATCH_KEY, None)
    if global_batch is None:
        if loader.get('batch_size', None) is None:
            raise ValueError(
                f'the config sets neither {GLOBAL_BATCH_KEY} nor '
                'train_dataloader.batch_size; give --batch B (the global '
                f'batch) or set {GLOBAL_BATCH_KEY} in the config')
        global_batch = int(loader.batch_size) * world_size
        cfg[GLOBAL_BATCH_KEY] = global_batch
    batch = per_process_batch(global_batch, world_size)
    loader.batch_size = batch
    group = cfg.get('model', {}).get('discriminator',
                                     {}).get('mbstd_group_size', None)
    if group is not None and batch % min(group, batch):
        raise ValueError(
            f'per-process batch {batch} (global {global_batch} over '
            f'{world_size} processes) is not a multiple of the minibatch-std '
            f'group size {group} (model.discriminator.mbstd_group_size); '
            f'use a global batch that is a multiple of {group * world_size} '
            'or set --cfg-options model.discriminator.mbstd_group_size=G '
            f'with G dividing {batch}')
    return global_batch
