# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The block ``tools/train.py`` prints before training, and its checks.

:func:`check_data_matches_model` compares the training data with the
built model (resolution, channels, labels) and raises on a mismatch, naming
both numbers and the fix; :func:`run_summary` returns the summary text and
the warnings (e.g. labels that an unconditional model ignores).
"""
import os.path as osp
from typing import List, Optional, Tuple

from mmengine.dist import get_world_size
from mmengine.hooks import CheckpointHook
from mmengine.model import is_model_wrapper

from mmgen_ada.image_size import compact_size, parse_image_size
from mmgen_ada.models.ada.augment_presets import ALL_OPS


def _unwrap(module):
    return module.module if is_model_wrapper(module) else module


def _sizes(module, *names) -> Optional[int]:
    for name in names:
        value = getattr(module, name, None)
        if value is not None:
            return int(value)
    return None


def _image_hw(module) -> Optional[Tuple[int, int]]:
    """A G's or D's ``(H, W)`` from ``out_size``/``in_size`` (n or (H, W))."""
    for name in ('out_size', 'in_size'):
        value = getattr(module, name, None)
        if value is not None:
            return parse_image_size(value, name, 1)
    return None


def _wxh(hw: Tuple[int, int]) -> str:
    return f'{hw[1]}x{hw[0]}'


def check_data_matches_model(dataset, model) -> List[str]:
    """Raise when the data cannot train the model; return warnings.

    Args:
        dataset (ImageFolderDataset): The training dataset.
        model (nn.Module): The (possibly wrapped) GAN, with ``generator`` and
            ``discriminator``.

    Returns:
        list[str]: Warnings (labels the model ignores).

    Raises:
        ValueError: Resolution, channels or label dimension differ; the
            message names both values, the config keys and the fix.
    """
    model = _unwrap(model)
    gen, disc = _unwrap(model.generator), _unwrap(model.discriminator)
    root = getattr(dataset, 'data_root', type(dataset).__name__)
    data_hw = _dataset_hw(dataset)
    res = compact_size(data_hw)
    for name, module, key in (('generator', gen, 'model.generator.out_size'),
                              ('discriminator', disc,
                               'model.discriminator.in_size')):
        hw = _image_hw(module)
        if hw is not None and hw != data_hw:
            size = compact_size(hw)
            option = f'{res}' if isinstance(res, int) else \
                f'"({res[0]}, {res[1]})"'
            raise ValueError(
                f'dataset {root} has {_wxh(data_hw)} images (width x height) '
                f'but the {name} is built for {_wxh(hw)} ({key}={size!r}, '
                f'(H, W) = {hw}); use a config for {_wxh(data_hw)}, '
                f'--cfg-options {key}={option}, train with --cfg auto (sizes '
                'from the data), or resize the data with '
                f'tools/dataset_tool.py --resolution {_wxh(hw)}')
    channels = dataset.num_channels
    for name, module, key, attrs in (
            ('generator', gen, 'model.generator.out_channels',
             ('out_channels', 'img_channels')),
            ('discriminator', disc, 'model.discriminator.img_channels',
             ('img_channels', ))):
        size = _sizes(module, *attrs)
        if size is not None and size != channels:
            raise ValueError(
                f'dataset {root} has {channels}-channel images but the {name}'
                f' has {size} ({key}={size}); set {key}={channels} (--cfg '
                'auto does) or convert the data with tools/dataset_tool.py')
    label_dim = dataset.label_dim
    g_cond = int(getattr(gen, 'cond_size', 0) or 0)
    d_cond = int(getattr(disc, 'cond_size', 0) or 0)
    if g_cond != d_cond:
        raise ValueError(
            f'the generator has label dimension {g_cond} '
            f'(model.generator.cond_size) but the discriminator {d_cond} '
            '(model.discriminator.cond_size); set both to the dataset\'s '
            f'{label_dim} (--cond does)')
    if g_cond and g_cond != label_dim:
        have = (f'labels of dimension {label_dim}'
                if label_dim else 'no labels')
        fix = (f'set cond_size={label_dim} on both (--cond does)' if label_dim
               else 'add labels (dataset.json) or set cond_size=0 on both')
        raise ValueError(
            f'the model is conditional with label dimension {g_cond} '
            f'(model.generator/discriminator.cond_size) but dataset {root} '
            f'has {have}; {fix}')
    warnings = []
    if label_dim and not g_cond:
        warnings.append(
            f'dataset {root} has labels of dimension {label_dim} but the '
            'model is unconditional (cond_size=0): the labels are ignored. '
            'Train a conditional model with --cond (or --cfg-options '
            f'model.generator.cond_size={label_dim} '
            f'model.discriminator.cond_size={label_dim}), or set '
            'train_dataloader.dataset.use_labels=False to silence this.')
    return warnings


def _lecam(model) -> str:
    weight = float(getattr(model, 'lecam_weight', 0) or 0)
    if weight <= 0:
        return 'off'
    return f'weight {weight:g}, anchor decay {model.lecam_decay:g}'


def _augmentation(disc, hook_types) -> str:
    data_aug = getattr(disc, 'data_aug', None)
    if data_aug is None:
        return 'none'
    if not hasattr(data_aug, 'aug_pipeline'):  # DiffAugment: fixed policy
        policy = ','.join(data_aug.policy) or 'none (identity)'
        return (f'DiffAugment, fixed policy {policy} (translation ratio '
                f'{data_aug.translation_ratio:g}, cutout ratio '
                f'{data_aug.cutout_ratio:g})')
    pipe = data_aug.aug_pipeline
    ops = [op for op in ALL_OPS if float(getattr(pipe, op, 0) or 0) > 0]
    ops_text = f'{len(ops)} ops ({",".join(ops)})'
    if 'ADAHook' not in hook_types:
        return f'fixed p = {data_aug.p:g}, {ops_text}'
    return (f'ADA, p from {data_aug.p:g} towards r_t = {data_aug.ada_target:g}'
            f', moving at most 1 per {data_aug.ada_kimg:g} kimg, updated '
            f'every {data_aug.update_interval} iterations; {ops_text}')


def _low_precision_blocks(module) -> int:
    """Number of blocks that compute in float16 (CUDA) / bfloat16 (CPU AMP)."""
    return sum(1 for m in module.modules() if getattr(m, 'use_fp16', False))


def check_precision(model, optim_wrapper_cfg) -> Tuple[str, List[str]]:
    """The ``precision`` row of the summary, and a warning for a no-op AMP.

    AMP (an ``*AmpOptimWrapper``) changes the precision only of the
    networks' float16 blocks (``num_fp16_scales``; StyleGAN3
    ``num_fp16_res``), as NVlabs does; with none of them it trains in
    float32, which the warning says, with the fix.

    Args:
        model: The GAN, with ``generator`` and ``discriminator``.
        optim_wrapper_cfg (dict): ``cfg.optim_wrapper``: one wrapper config
            or one per sub-model.

    Returns:
        tuple[str, list[str]]: The row text and the warnings.
    """
    cfgs = ([optim_wrapper_cfg] if 'type' in optim_wrapper_cfg else
            [v for v in optim_wrapper_cfg.values() if isinstance(v, dict)])
    amp = [c for c in cfgs if 'Amp' in str(c.get('type', ''))]
    blocks = {
        name: _low_precision_blocks(_unwrap(getattr(model, name)))
        for name in ('generator', 'discriminator')
    }
    counts = (f'{blocks["generator"]} G / {blocks["discriminator"]} D '
              'float16 blocks')
    if not amp:
        return ('float32' + (f'; on CUDA float16 in the {counts}'
                             if sum(blocks.values()) else '')), []
    dtype = str(amp[0].get('dtype') or 'float16 on CUDA, bfloat16 on CPU')
    if sum(blocks.values()):
        return f'AMP {dtype} in the {counts}', []
    return f'AMP {dtype}, but no float16 blocks: float32', [
        'AMP is on (optim_wrapper type '
        f'{amp[0].get("type")}) but neither G nor D has a float16 block '
        '(num_fp16_scales=0), so every layer still computes in float32. '
        'To train the highest resolutions in low precision, as NVlabs '
        'does, add --cfg-options model.generator.num_fp16_scales=4 '
        'model.discriminator.num_fp16_scales=4.'
    ]


def run_summary(runner, world_size: Optional[int] = None
                ) -> Tuple[str, List[str]]:
    """The run summary of a built Runner, after checking data and model.

    Builds the train loop (and its dataloader) if needed.

    Args:
        runner (Runner): Built with ``Runner.from_cfg``.
        world_size (int, optional): Processes to report; defaults to the
            current world size (``tools/train.py --dry-run --gpus N``
            previews N).

    Returns:
        tuple[str, list[str]]: The summary block and the warnings.
    """
    world = world_size or get_world_size()
    loader = runner.train_loop.dataloader
    dataset = loader.dataset
    model = _unwrap(runner.model)
    if not (hasattr(model, 'generator') and hasattr(model, 'discriminator')
            and hasattr(dataset, 'resolution')):
        return (f'Run summary: {type(model).__name__} on '
                f'{type(dataset).__name__} is not a GAN on an image data '
                'set; nothing to summarise or check', [])
    warnings = check_data_matches_model(dataset, model)
    precision, precision_warnings = check_precision(model,
                                                    runner.cfg.optim_wrapper)
    warnings += precision_warnings
    gen, disc = _unwrap(model.generator), _unwrap(model.discriminator)
    batch = loader.batch_size or loader.batch_sampler.batch_size
    global_batch = batch * world
    iters = runner.train_loop.max_iters
    hook_types = [type(h).__name__ for h in runner.hooks]

    label_dim = dataset.label_dim
    cond = int(getattr(gen, 'cond_size', 0) or 0)
    if not label_dim:
        labels = 'none'
    else:
        labels = (f'{label_dim}-dim, model conditional' if cond else
                  f'{label_dim}-dim, model UNCONDITIONAL (labels ignored)')
    num = dataset.num_images
    images = f'{num}' + (f' ({len(dataset)} with x-flips)'
                         if dataset.mirror else '')

    r1_gamma = float(getattr(model, 'r1_gamma', 0.0))
    r1_interval = getattr(model, 'r1_interval', None)
    r1 = (f'gamma = {r1_gamma:g}' + (f', every {r1_interval} iterations'
                                     if r1_interval else ', every iteration')
          if r1_gamma > 0 else 'off')
    ema = getattr(model, 'generator_ema', None)
    if ema is None:
        ema_text = 'off'
    else:
        ramp = getattr(ema, 'ema_rampup', None)
        ema_text = f'half-life {ema.ema_kimg:g} kimg' + (
            f', ramp-up {ramp:g}' if ramp else ', no ramp-up')

    checkpoint = next(
        (h for h in runner.hooks if isinstance(h, CheckpointHook)), None)
    ckpt_text = 'not saved'
    if checkpoint is not None:
        out = getattr(checkpoint, 'out_dir', None) or runner.work_dir
        kimg = checkpoint.interval * global_batch / 1000
        ckpt_text = (f'{osp.abspath(out)} every {checkpoint.interval} '
                     f'iterations ({kimg:g} kimg)')
        if getattr(checkpoint, 'save_last', False):
            ckpt_text += ', and after the last'
    vis = next((h for h in runner.hooks
                if type(h).__name__ == 'GenVisualizationHook'), None)
    samples = 'none'
    if vis is not None:
        out = vis.out_dir or osp.join(runner.work_dir, 'samples')
        samples = (f'{osp.abspath(out)} every {vis.interval} iterations, '
                   'and after the last')

    metrics = 'none during training'
    val_evaluator = runner.cfg.get('val_evaluator', None)
    if val_evaluator and runner.cfg.get('val_dataloader', None):
        names = [m.get('prefix') or m['type'] for m in val_evaluator.metrics]
        metrics = (f'{", ".join(names)} every '
                   f'{runner.cfg.train_cfg.get("val_interval")} iterations')

    rows = [
        ('images', f'{images} from {dataset.data_root}'),
        ('resolution', f'{_wxh(_dataset_hw(dataset))} (width x height)'),
        ('channels', str(dataset.num_channels)),
        ('labels', labels),
        ('mirror', 'yes' if dataset.mirror else 'no'),
        ('batch', f'global {global_batch} = {batch} per process x {world} '
         f'process{"es" if world > 1 else ""}'),
        ('length', f'{iters * global_batch / 1000:g} kimg = {iters} '
         'iterations'),
        ('augment', _augmentation(disc, hook_types)),
        ('R1', r1),
        ('LeCam', _lecam(model)),
        ('precision', precision),
        ('G_ema', ema_text),
        ('checkpoints', ckpt_text),
        ('samples', samples),
        ('metrics', metrics),
    ]
    width = max(len(k) for k, _ in rows)
    lines = ['---- run summary ' + '-' * 50]
    lines += [f'{k:<{width}} : {v}' for k, v in rows]
    lines.append('-' * 67)
    return '\n'.join(lines), warnings


def _dataset_hw(dataset) -> Tuple[int, int]:
    """The dataset's ``(H, W)``: ``image_hw``, else from ``resolution``."""
    hw = getattr(dataset, 'image_hw', None)
    if hw is not None:
        return tuple(hw)
    res = dataset.resolution
    return (res, res) if isinstance(res, int) else tuple(res)
