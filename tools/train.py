# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Train a GAN: ``python tools/train.py CONFIG [options]``, or the short path
``python tools/train.py --data D [--gpus N --batch B --kimg K ...]`` (see
:mod:`mmgen_ada.apis.train_options` and docs/own_data.md)."""
import argparse
import logging
import os

from mmengine.config import Config
from mmengine.logging import print_log

from mmgen_ada.apis.train_options import (add_short_path_arguments,
                                          apply_schedule_options,
                                          apply_short_path_options,
                                          default_work_dir, load_train_config)
from mmgen_ada.engine.config_validation import validate_config
from mmgen_ada.engine.runner import (CfgOptionsAction, build_runner,
                                     setup_cpu_distributed)
from mmgen_ada.engine.runner.global_batch import launcher_world_size
from mmgen_ada.engine.runner.run_summary import run_summary


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a GAN with mmgen-ada')
    parser.add_argument(
        'config',
        nargs='?',
        help='train config file path (optional with --data: --cfg auto)')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the latest one in '
        'the work dir when no path is given')
    parser.add_argument(
        '--amp',
        nargs='?',
        const='auto',
        choices=['auto', 'fp16', 'bf16'],
        help='automatic mixed precision: the float16 layers of the networks '
        'compute in float16 (CUDA default) or bfloat16 (CPU default; refused '
        'on CPUs without AMX/AVX512-BF16 unless --force-bf16)')
    parser.add_argument(
        '--force-bf16',
        action='store_true',
        help='allow --amp bf16 on a CPU that emulates bfloat16 (slower than '
        'float32; for testing numerics)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override settings of the config, xxx=yyy format, e.g. '
        'model.discriminator.data_aug.aug_pipeline.rotate=0')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torchrun passes --local-rank (or --local_rank with older launchers)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_short_path_arguments(parser)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def world_size(args: argparse.Namespace) -> int:
    """The launcher's world size, checked against ``--gpus``.

    ``--dry-run --gpus N`` without a launcher previews a run on N processes.
    """
    world = launcher_world_size(args.launcher)
    if args.gpus is None or args.gpus == world:
        return world
    if args.launcher == 'none' and args.dry_run:
        return args.gpus
    if args.launcher == 'none':
        raise ValueError(
            f'--gpus {args.gpus} needs {args.gpus} processes; start them with '
            f'tools/dist_train.sh CONFIG {args.gpus} [options] (or torchrun '
            f'--nproc_per_node {args.gpus} tools/train.py ... --launcher '
            'pytorch)')
    raise ValueError(f'--gpus {args.gpus} but the launcher started {world} '
                     'processes; make them agree (or drop --gpus)')


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command-line options to ``cfg``."""
    cfg.launcher = args.launcher
    world = world_size(args)
    apply_short_path_options(cfg, args, world)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    apply_schedule_options(cfg, args, world)

    # work_dir: command line > config > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = default_work_dir(args)

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if args.force_bf16 and not args.amp:
        raise ValueError('--force-bf16 only applies with --amp (bf16)')
    if args.amp:
        for wrapper in _optim_wrapper_cfgs(cfg):
            wrapper.type = 'AmpOptimWrapper'
            wrapper.setdefault('loss_scale', 'dynamic')
            if args.amp != 'auto':
                wrapper.dtype = dict(fp16='float16', bf16='bfloat16')[args.amp]
            if args.force_bf16:
                wrapper.force_bf16 = True

    # NCCL needs GPUs: on CPU machines DDP runs with gloo.
    setup_cpu_distributed(cfg, args.launcher)
    return cfg


def _optim_wrapper_cfgs(cfg: Config) -> list:
    """The optim wrapper config(s): one, or one per sub-model (GANs)."""
    optim_wrapper = cfg.optim_wrapper
    if 'optimizer' in optim_wrapper:
        return [optim_wrapper]
    return [v for v in optim_wrapper.values() if isinstance(v, dict)]


def main() -> None:
    args = parse_args()
    cfg = merge_args(load_train_config(args), args)
    validate_config(cfg)  # unknown keys, wrong types: fail before building
    runner = build_runner(cfg)
    summary, warnings = run_summary(runner, world_size(args))
    print_log(summary, logger=runner.logger)
    for warning in warnings:
        print_log(warning, logger=runner.logger, level=logging.WARNING)
    if args.dry_run:
        runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
        print_log('dry run: built the model, data and optimizers; not '
                  'training', logger=runner.logger)
        return
    runner.train()


if __name__ == '__main__':
    main()
