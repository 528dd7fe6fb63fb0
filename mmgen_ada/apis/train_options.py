# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The short-path options of ``tools/train.py`` (NVlabs-style flags).

Every flag is sugar for config keys, written into the config before
``--cfg-options`` (which therefore wins) and saved with it in the work dir:

==================  ====================================================
``--data PATH``     ``{train,val,test}_dataloader.dataset.data_root``
``--gpus N``        checks the launcher's world size (and feeds ``auto``)
``--batch B``       ``global_batch_size`` (per process: ``B // world``)
``--kimg K``        ``train_cfg.max_iters = ceil(K * 1000 / batch)``
``--snap S``        checkpoint, sample and metric interval of S kimg
``--mirror``        ``dataset.mirror=True`` (train and metrics)
``--cond``          G and D ``cond_size`` = the dataset's label dimension
``--aug``           ``ada`` (ADAAug + ADAHook), ``fixed`` (ADAAug at
                    ``--p``, no ADAHook) or ``noaug`` (``data_aug=None``)
``--target``        ``data_aug.ada_target``
``--augpipe``       ``data_aug.aug_pipeline=dict(preset=...)``
``--gamma``         ``model.r1_gamma``
``--freezed N``     ``model.discriminator.freeze_layers``
``--resume-from``   ``load_from`` + NVlabs' transfer settings
                    (``ada_kimg=100``, no G_ema ramp-up)
``--metrics``       ``val_evaluator`` / ``test_evaluator`` metrics
==================  ====================================================

Without a CONFIG, ``--data`` starts from ``--cfg auto``
(:mod:`.auto_config`).
"""
import argparse
import copy
import os.path as osp
from pathlib import Path
from typing import List, Optional

from mmengine.config import Config

from mmgen_ada.engine.runner.global_batch import (GLOBAL_BATCH_KEY,
                                                  apply_global_batch)
from mmgen_ada.evaluation.metrics.nvlabs_metric_names import \
    nvlabs_metric_cfgs
from mmgen_ada.models.ada.augment_presets import AUGMENT_PRESETS
from .auto_config import (AUTO_BASE_CONFIG, apply_auto_spec, kimg_to_iters,
                          nvlabs_auto_spec)

#: ``configs/`` of the repository.
CONFIG_ROOT = Path(__file__).resolve().parents[2] / 'configs'

#: NVlabs' snapshot interval of the auto config: 50 ticks of 4 kimg.
AUTO_SNAP_KIMG = 200

#: NVlabs' transfer-learning settings (``--resume`` in stylegan2-ada
#: train.py): ADA adapts faster, G_ema starts without ramp-up.
TRANSFER_ADA_KIMG = 100

AUG_MODES = ('ada', 'noaug', 'fixed')
LOADER_KEYS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def add_short_path_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the NVlabs-style flags (see the module docstring) to ``parser``."""
    group = parser.add_argument_group(
        'short path (NVlabs-style flags that write config keys)')
    group.add_argument('--data', help='dataset folder or .zip (train, val '
                       'and test roots); CONFIG is optional with it')
    group.add_argument(
        '--cfg',
        choices=['auto'],
        help="base config when CONFIG is not given: 'auto' = NVlabs "
        '--cfg=auto (sizes from the data and the GPU count)')
    group.add_argument(
        '--gpus', type=int, help='number of processes; must match the '
        "launcher's world size (tools/dist_train.sh CONFIG N)")
    group.add_argument(
        '--batch', type=int, help='GLOBAL batch (all processes together)')
    group.add_argument(
        '--kimg', type=float, help='training length in thousands of reals')
    group.add_argument(
        '--snap', type=float, help='checkpoint/sample interval in kimg')
    group.add_argument(
        '--mirror', action='store_true', help='add x-flipped images')
    group.add_argument(
        '--cond',
        action='store_true',
        help="conditional model with the dataset's label dimension")
    group.add_argument('--aug', choices=AUG_MODES, help='augmentation mode')
    group.add_argument('--p', type=float, help='p of --aug fixed')
    group.add_argument('--target', type=float, help='ADA target r_t')
    group.add_argument(
        '--augpipe',
        choices=sorted(AUGMENT_PRESETS),
        help='augmentation preset')
    group.add_argument('--gamma', type=float, help='R1 weight')
    group.add_argument(
        '--freezed', type=int, help='Freeze-D: frozen D layers')
    group.add_argument(
        '--resume-from',
        help='transfer learning: weights (checkpoint, NVlabs .pkl or URL) to '
        'start from, with a fresh schedule')
    group.add_argument(
        '--metrics',
        help='NVlabs metric names, e.g. fid50k_full,kid50k_full,pr50k3_full, '
        'or none')
    group.add_argument(
        '--dry-run',
        action='store_true',
        help='build everything, print the run summary, train nothing')


def check_short_path_arguments(args: argparse.Namespace) -> None:
    """Refuse contradictory flags (NVlabs' rules), naming them.

    An empty CONFIG (``tools/dist_train.sh '' N --data D``) means none.

    Raises:
        ValueError: The first contradiction found.
    """
    if not args.config:
        args.config = None
    if args.config is None and args.data is None:
        raise ValueError('give a CONFIG, or --data PATH (with --cfg auto, '
                         'the default without CONFIG)')
    if args.config is not None and args.cfg is not None:
        raise ValueError(f'--cfg {args.cfg} and CONFIG {args.config} are '
                         'alternatives; give one')
    for name in ('gpus', 'batch', 'freezed'):
        value = getattr(args, name)
        low = 0 if name == 'freezed' else 1
        if value is not None and value < low:
            raise ValueError(f'--{name} must be >= {low}, got {value}')
    for name in ('kimg', 'snap'):
        value = getattr(args, name)
        if value is not None and not value > 0:
            raise ValueError(f'--{name} must be > 0, got {value}')
    if args.p is not None and args.aug != 'fixed':
        raise ValueError('--p is the strength of --aug fixed; add --aug '
                         'fixed (or drop --p: ADA adapts p itself)')
    if args.aug == 'fixed' and args.p is None:
        raise ValueError('--aug fixed needs --p (e.g. --p 0.2)')
    if args.p is not None and not 0 <= args.p <= 1:
        raise ValueError(f'--p must be in [0, 1], got {args.p}')
    if args.target is not None and args.aug not in (None, 'ada'):
        raise ValueError(f'--target is the ADA target; it has no effect '
                         f'with --aug {args.aug}')
    if args.target is not None and not 0 <= args.target <= 1:
        raise ValueError(f'--target must be in [0, 1], got {args.target}')
    if args.augpipe is not None and args.aug == 'noaug':
        raise ValueError('--augpipe has no effect with --aug noaug')
    if args.gamma is not None and not args.gamma >= 0:
        raise ValueError(f'--gamma must be >= 0, got {args.gamma}')
    if args.resume_from is not None and args.resume is not None:
        raise ValueError('--resume continues a run (weights, optimizers, '
                         'iteration); --resume-from starts a new run from '
                         'pretrained weights. Give one.')


def load_train_config(args: argparse.Namespace) -> Config:
    """The CONFIG file, or the ``--cfg auto`` base when CONFIG is omitted."""
    check_short_path_arguments(args)
    if args.config is not None:
        return Config.fromfile(args.config)
    base = CONFIG_ROOT / AUTO_BASE_CONFIG
    if not base.is_file():
        raise FileNotFoundError(
            f'--cfg auto needs {base} (the configs/ of a source checkout '
            'installed with pip install -e .); pass a CONFIG instead')
    return Config.fromfile(str(base))


def default_work_dir(args: argparse.Namespace) -> str:
    """``./work_dirs/<config name>``, or ``<data name>-auto`` for ``auto``."""
    if args.config is not None:
        name = osp.splitext(osp.basename(args.config))[0]
    else:
        stem = osp.splitext(osp.basename(osp.normpath(args.data)))[0]
        name = f'stylegan2-ada_auto_{stem}'
    return osp.join('./work_dirs', name)


def _datasets(cfg: Config) -> List[dict]:
    """The dataset configs of the train/val/test loaders that exist."""
    found = []
    for key in LOADER_KEYS:
        loader = cfg.get(key, None)
        if loader is not None and loader.get('dataset', None) is not None:
            if not any(loader.dataset is d for d in found):
                found.append(loader.dataset)
    return found


def _probe_dataset(data_root: str, cfg: Config):
    """Build the training dataset once to read its shape and labels."""
    from mmgen_ada.datasets import ImageFolderDataset
    dataset_cfg = cfg.train_dataloader.dataset
    return ImageFolderDataset(
        data_root,
        use_labels=dataset_cfg.get('use_labels', True),
        num_classes=dataset_cfg.get('num_classes', None),
        max_size=dataset_cfg.get('max_size', None))


def apply_short_path_options(cfg: Config, args: argparse.Namespace,
                             world_size: int) -> None:
    """Write the short-path flags into ``cfg`` (before ``--cfg-options``).

    Args:
        cfg (Config): From :func:`load_train_config` (modified in place).
        args (Namespace): Parsed arguments of ``tools/train.py``.
        world_size (int): Processes of the run (``--gpus`` is checked
            against it by the caller).
    """
    if args.data is not None:
        for dataset in _datasets(cfg):
            dataset.data_root = args.data
    probe = None
    if args.config is None or args.cond:
        root = cfg.train_dataloader.dataset.get('data_root', None)
        if root is None:
            raise ValueError('--cond and --cfg auto read the dataset: give '
                             '--data PATH')
        probe = _probe_dataset(root, cfg)
    if args.config is None:  # --cfg auto
        spec = nvlabs_auto_spec(probe.resolution, world_size)
        apply_auto_spec(cfg, spec, probe.resolution, probe.num_channels)
        if args.kimg is None:
            args.kimg = spec.kimg
        if args.snap is None:
            args.snap = AUTO_SNAP_KIMG
    if args.batch is not None:
        cfg[GLOBAL_BATCH_KEY] = args.batch
    if args.mirror:
        for dataset in _datasets(cfg):
            dataset.mirror = True
    if args.cond:
        if probe.label_dim == 0:
            raise ValueError(
                f'--cond: dataset {probe.data_root} has no labels (no '
                'dataset.json, or "labels": null); add labels (e.g. '
                'tools/dataset_tool.py --labels-from-subdirs) or drop --cond')
        cfg.train_dataloader.dataset.use_labels = True
        cfg.model.generator.cond_size = probe.label_dim
        cfg.model.discriminator.cond_size = probe.label_dim
    _apply_augmentation(cfg, args)
    if args.gamma is not None:
        cfg.model.r1_gamma = args.gamma
    if args.freezed is not None:
        cfg.model.discriminator.freeze_layers = args.freezed
    if args.resume_from is not None:
        cfg.load_from = args.resume_from
        cfg.resume = False
        data_aug = cfg.model.discriminator.get('data_aug', None)
        if data_aug is not None:
            data_aug.ada_kimg = TRANSFER_ADA_KIMG
        if cfg.model.get('ema_config', None) is not None:
            cfg.model.ema_config.ema_rampup = None
    if args.metrics is not None:
        _apply_metrics(cfg, nvlabs_metric_cfgs(args.metrics))


def apply_schedule_options(cfg: Config, args: argparse.Namespace,
                           world_size: int) -> int:
    """Derive the per-process batch, then ``--kimg`` / ``--snap`` iterations.

    Called after ``--cfg-options``, so both use the final global batch.

    Returns:
        int: The global batch.

    Raises:
        ValueError: ``--cfg-options train_dataloader.batch_size=...`` on a
            config that states ``global_batch_size`` (the value would be
            replaced by the derived one).
    """
    options = args.cfg_options or {}
    if ('train_dataloader.batch_size' in options
            and GLOBAL_BATCH_KEY not in options and args.batch is None
            and cfg.get(GLOBAL_BATCH_KEY, None) is not None):
        raise ValueError(
            f'this config states {GLOBAL_BATCH_KEY}='
            f'{cfg[GLOBAL_BATCH_KEY]} (all processes together) and derives '
            'train_dataloader.batch_size from it, so --cfg-options '
            'train_dataloader.batch_size='
            f'{options["train_dataloader.batch_size"]} would be replaced; '
            f'give --batch B or --cfg-options {GLOBAL_BATCH_KEY}=B instead')
    global_batch = apply_global_batch(cfg, world_size)
    if args.kimg is not None:
        cfg.train_cfg.max_iters = kimg_to_iters(args.kimg, global_batch)
    if args.snap is not None:
        interval = kimg_to_iters(args.snap, global_batch)
        cfg.default_hooks.checkpoint.interval = interval
        hooks = list(cfg.default_hooks.values()) + list(
            cfg.get('custom_hooks', None) or [])
        for hook in hooks:
            if (isinstance(hook, dict)
                    and hook.get('type') == 'GenVisualizationHook'):
                hook.interval = interval
        if cfg.get('val_evaluator', None) is not None:
            cfg.train_cfg.val_interval = interval
    return global_batch


def _hook_index(cfg: Config, hook_type: str) -> Optional[int]:
    for i, hook in enumerate(cfg.get('custom_hooks', None) or []):
        if hook.get('type') == hook_type:
            return i
    return None


def _apply_augmentation(cfg: Config, args: argparse.Namespace) -> None:
    """``--aug``, ``--p``, ``--target``, ``--augpipe``."""
    if args.aug is None and args.target is None and args.augpipe is None:
        return
    disc = cfg.model.discriminator
    hooks = cfg.setdefault('custom_hooks', [])
    ada_hook = _hook_index(cfg, 'ADAHook')
    if args.aug == 'noaug':
        if disc.get('data_aug', None) is not None:
            disc.data_aug = None
        if ada_hook is not None:
            hooks.pop(ada_hook)
        return
    if disc.type == 'StyleGAN2Discriminator':
        disc.type = 'ADAStyleGAN2Discriminator'
    elif disc.type != 'ADAStyleGAN2Discriminator':
        raise ValueError(f'--aug/--target/--augpipe need a StyleGAN2-type '
                         f'discriminator, got model.discriminator.type='
                         f'{disc.type!r}')
    if disc.get('data_aug', None) is None:
        disc.data_aug = dict(type='ADAAug', aug_pipeline=dict(preset='bgc'))
    if disc.data_aug.get('type', 'ADAAug') != 'ADAAug':
        raise ValueError(
            '--aug/--target/--augpipe configure an ADAAug, but '
            f'model.discriminator.data_aug.type={disc.data_aug.type!r}; '
            'use --aug noaug, or a config with ADA (e.g. '
            'stylegan2-ada_quickstart_1xb16_twemoji-32x32.py)')
    if args.augpipe is not None:
        disc.data_aug.aug_pipeline = dict(preset=args.augpipe)
    if args.target is not None:
        disc.data_aug.ada_target = args.target
    if args.aug == 'fixed':
        disc.data_aug.augment_initial_p = args.p
        if ada_hook is not None:
            hooks.pop(ada_hook)
    elif ada_hook is None:  # ada
        ema = _hook_index(cfg, 'GeneratorEMAHook')
        hooks.insert(0 if ema is None else ema + 1, dict(type='ADAHook'))


def _apply_metrics(cfg: Config, metrics: List[dict]) -> None:
    """Metrics during training (every snapshot) and for tools/test.py."""
    if not metrics:
        for key in ('val_dataloader', 'val_cfg', 'val_evaluator'):
            cfg[key] = None
        cfg.test_evaluator = None
        return
    reals = cfg.get('val_dataloader', None) or cfg.get(
        'test_dataloader', None)
    if reals is None:
        dataset = copy.deepcopy(cfg.train_dataloader.dataset)
        dataset.test_mode = True
        reals = dict(
            batch_size=32,
            num_workers=cfg.train_dataloader.get('num_workers', 0),
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate'),
            dataset=dataset)
    cfg.val_dataloader = reals
    cfg.test_dataloader = copy.deepcopy(reals)
    cfg.val_cfg = cfg.get('val_cfg', None) or dict(
        type='GenValLoop', noise_mode='random', seed=0)
    cfg.test_cfg = cfg.get('test_cfg', None) or dict(
        type='GenTestLoop', noise_mode='random', seed=0)
    cfg.val_evaluator = dict(type='Evaluator', metrics=metrics)
    cfg.test_evaluator = dict(type='Evaluator', metrics=copy.deepcopy(metrics))
