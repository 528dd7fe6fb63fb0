# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Evaluate several checkpoints of one run and write the metrics as JSON.

``python tools/analysis/eval_checkpoints.py CONFIG CKPT_OR_WORK_DIR [...]
[--out metrics.json] [--work-dir DIR] [--cfg-options ...]``

With a single work dir and no ``--out`` the results go to
``<work dir>/eval.json``, where ``plot_curves.py`` finds them.

For each checkpoint (a ``.pth`` file, or every ``iter_*.pth`` of a work dir,
in iteration order) this runs the config's test loop as ``tools/test.py``
does (``GenTestLoop`` + ``test_evaluator``), so FID/KID use G_ema and the
real statistics cached by the first checkpoint. When the model has a
``discriminator`` it also records ``D_real_sign``: the mean of
``sign(D(x))`` over the test reals, i.e. ADA's overfitting heuristic r_t
measured on that checkpoint's D (an ADA discriminator augments its input at
its saved ``p``, as in training; a ragged last batch is split so that the
minibatch-std layer sees whole groups). The JSON is rewritten after every
checkpoint, so an interrupted run keeps what it finished.
"""
import argparse
import glob
import json
import os.path as osp
import re
import time
import uuid
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.utils import ProgressBar

from mmgen_ada.engine.checkpoint import read_checkpoint
from mmgen_ada.engine.runner import CfgOptionsAction, build_runner
from mmgen_ada.models.stylegan2.discriminator_blocks import MinibatchStdLayer

_ITER = re.compile(r'iter_(\d+)\.pth$')


def find_checkpoints(paths: Sequence[str]) -> List[str]:
    """Checkpoint files of ``paths``: files as given, work dirs expanded.

    Raises:
        FileNotFoundError: A path does not exist, or a folder has no
            ``iter_*.pth``.
    """
    found = []
    for path in paths:
        if osp.isfile(path):
            found.append(path)
        elif osp.isdir(path):
            ckpts = [
                p for p in glob.glob(osp.join(path, 'iter_*.pth'))
                if _ITER.search(p)
            ]
            if not ckpts:
                raise FileNotFoundError(f'No iter_*.pth in {path!r}')
            found += sorted(
                ckpts, key=lambda p: int(_ITER.search(p).group(1)))
        else:
            raise FileNotFoundError(
                f'{path!r} is neither a checkpoint file nor a work dir')
    return found


@torch.no_grad()
def real_sign_mean(runner: Runner) -> Optional[float]:
    """Mean of ``sign(D(x))`` over the test dataloader's reals.

    Returns:
        float | None: A value in ``[-1, 1]``, or None when the model has no
        discriminator.
    """
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    disc = getattr(model, 'discriminator', None)
    if disc is None:
        return None
    group = mbstd_group_size(disc)
    total, count = 0.0, 0
    bar = ProgressBar(len(runner.test_dataloader.dataset))
    # A fixed seed: an ADA discriminator draws augmentations.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        for batch in runner.test_dataloader:
            data = model.data_preprocessor(batch, False)
            inputs, labels = data['inputs'], data['labels']
            for part in _mbstd_chunks(len(inputs), group):
                logits = disc(inputs[part],
                              None if labels is None else labels[part])
                total += float(torch.sign(logits).sum())
                count += logits.numel()
                bar.update(len(logits))
    print(flush=True)
    return total / count


def mbstd_group_size(disc: torch.nn.Module) -> Optional[int]:
    """The largest minibatch-std group size in ``disc`` (None: no groups)."""
    sizes = [
        m.group_size for m in disc.modules()
        if isinstance(m, MinibatchStdLayer) and m.group_size is not None
    ]
    return max(sizes) if sizes else None


def _mbstd_chunks(n: int, group: Optional[int]) -> List[slice]:
    """Split a batch of ``n`` so that minibatch std sees whole groups.

    A ragged last batch (e.g. 9 reals with groups of 4) is fed as 8 + 1: a
    part smaller than the group forms one group (``G = min(group, N)``, as
    in NVlabs' D).
    """
    if group is None or n % group == 0 or n < group:
        return [slice(0, n)]
    whole = n - n % group
    return [slice(0, whole), slice(whole, n)]


def evaluate(config: str,
             checkpoint: str,
             work_dir: str,
             cfg_options: Optional[dict] = None) -> Dict[str, float]:
    """Test one checkpoint with the config's test loop.

    Returns:
        dict: The evaluator's metrics plus ``iter`` (from the checkpoint's
        meta, else the file name), ``kimg`` (the model's ``cur_nimg`` / 1000
        when saved), ``D_real_sign`` (when the model has a discriminator) and
        ``eval_seconds``.
    """
    start = time.time()
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.work_dir = work_dir
    # Unique per runner: mmengine names its logger, message hub and
    # visualizer after the experiment (default: the timestamp, to the
    # second), and runners built within one second would share them.
    cfg.experiment_name = (
        f'eval_{osp.splitext(osp.basename(checkpoint))[0]}_'
        f'{uuid.uuid4().hex[:8]}')
    cfg.load_from = checkpoint
    cfg.resume = False
    cfg.launcher = 'none'
    runner = build_runner(cfg)
    result = dict(runner.test())
    sign = real_sign_mean(runner)
    if sign is not None:
        result['D_real_sign'] = sign

    ckpt = read_checkpoint(checkpoint)
    meta_iter = ckpt.get('meta', {}).get('iter')
    match = _ITER.search(checkpoint)
    if meta_iter is not None:
        result['iter'] = int(meta_iter)
    elif match:
        result['iter'] = int(match.group(1))
    nimg = ckpt.get('state_dict', {}).get('cur_nimg')
    if nimg is not None:
        result['kimg'] = int(nimg) / 1000
    result['eval_seconds'] = time.time() - start
    return result


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Evaluate checkpoints with the config\'s test loop.')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        'checkpoints',
        nargs='+',
        help='checkpoint files and/or work dirs (all their iter_*.pth)')
    parser.add_argument(
        '--out',
        help='JSON file written with the results (default: '
        '<work dir>/eval.json when one work dir is given, which '
        'plot_curves.py then picks up)')
    parser.add_argument(
        '--work-dir',
        help='work dir for the test runs (default: next to --out)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override settings of the config, xxx=yyy format')
    args = parser.parse_args(argv)
    if args.out is None:
        if len(args.checkpoints) != 1 or not osp.isdir(args.checkpoints[0]):
            parser.error('--out is required unless a single work dir is '
                         'given')
        args.out = osp.join(args.checkpoints[0], 'eval.json')
    return args


def main(argv: Optional[List[str]] = None) -> List[dict]:
    args = parse_args(argv)
    checkpoints = find_checkpoints(args.checkpoints)
    work_dir = args.work_dir or osp.join(
        osp.dirname(osp.abspath(args.out)), 'eval_checkpoints')
    results = []
    for checkpoint in checkpoints:
        metrics = evaluate(args.config, checkpoint, work_dir,
                           args.cfg_options)
        results.append(dict(checkpoint=checkpoint, **metrics))
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(results, f, indent=1)
        print(f'{checkpoint}: {json.dumps(metrics)}', flush=True)
    return results


if __name__ == '__main__':
    main()
