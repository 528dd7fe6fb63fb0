# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [options]``.

Runs the config's ``test_cfg`` loop (``GenTestLoop``: FID, KID,
precision/recall, see docs/evaluation.md) and prints the metrics as a table.
"""
import argparse
import os
import os.path as osp
from typing import Dict, List, Optional

from mmengine.config import Config
from mmengine.dist import is_main_process

from mmgen_ada.engine.config_validation import validate_config
from mmgen_ada.engine.runner import (CfgOptionsAction, build_runner,
                                     setup_cpu_distributed)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Evaluate a GAN checkpoint with mmgen-ada')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        'checkpoint', help='checkpoint (.pth) or official NVlabs .pkl')
    parser.add_argument(
        '--work-dir', help='where logs and metric files are written')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override settings of the config, xxx=yyy format, e.g. '
        'test_evaluator.metrics.0.fake_nums=10000')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torchrun passes --local-rank (or --local_rank with older launchers)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command-line options to ``cfg``."""
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    # work_dir: command line > config > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    cfg.resume = False
    # NCCL needs GPUs: on CPU machines DDP runs with gloo.
    setup_cpu_distributed(cfg, args.launcher)
    return cfg


def format_metrics(metrics: Dict[str, float]) -> str:
    """A plain two-column text table of the metrics."""
    rows = [(k, f'{v:.6g}' if isinstance(v, float) else str(v))
            for k, v in metrics.items()]
    width = max([len('metric')] + [len(k) for k, _ in rows])
    vwidth = max([len('value')] + [len(v) for _, v in rows])
    line = f'+-{"-" * width}-+-{"-" * vwidth}-+'
    out = [line, f'| {"metric":<{width}} | {"value":>{vwidth}} |', line]
    out += [f'| {k:<{width}} | {v:>{vwidth}} |' for k, v in rows]
    return '\n'.join(out + [line])


def main(argv: Optional[List[str]] = None) -> Dict[str, float]:
    args = parse_args(argv)
    cfg = merge_args(Config.fromfile(args.config), args)
    validate_config(cfg)  # unknown keys, wrong types: fail before building
    runner = build_runner(cfg)
    metrics = runner.test()
    if is_main_process():
        print(format_metrics(metrics), flush=True)
    return metrics


if __name__ == '__main__':
    main()
