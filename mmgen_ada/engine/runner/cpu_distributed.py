# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Distributed runs on machines without CUDA (gloo)."""
import torch
import torch.distributed as torch_dist
from mmengine.config import Config


def setup_cpu_distributed(cfg: Config, launcher: str) -> None:
    """Prepare ``cfg`` and the process group for DDP on CPU.

    mmengine's launchers call ``torch.cuda.set_device`` before they create
    the process group, which fails on a machine without CUDA. For the
    ``pytorch`` launcher (torchrun, ``tools/dist_train.sh``) we create the
    gloo process group from torchrun's environment ourselves; the Runner then
    finds it initialised and skips its own setup. A no-op with CUDA or
    without a launcher.

    Args:
        cfg (Config): The config; its ``env_cfg.dist_cfg.backend`` is set
            to ``'gloo'``.
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.

    Raises:
        RuntimeError: For the slurm and mpi launchers without CUDA.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise RuntimeError(
            f'--launcher {launcher} needs CUDA; on a machine without GPUs '
            'use --launcher pytorch (tools/dist_train.sh), which runs DDP '
            'with the gloo backend.')
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg.backend = 'gloo'
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
