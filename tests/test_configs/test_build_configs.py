# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Every shipped config builds its model and optimizers at a tiny size."""
import glob
import os.path as osp
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapperDict, build_optim_wrapper
from mmengine.registry import init_default_scope

from mmgen_ada.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted(
    p
    for p in glob.glob(str(REPO / 'configs' / '**' / '*.py'), recursive=True)
    if '_base_' not in Path(p).parts)

# Keys shrunk wherever they occur in the model config (StyleGAN2 and 3).
TINY = dict(
    out_size=16,
    in_size=16,
    style_channels=16,
    noise_size=16,
    channel_base=256,
    channel_max=16,
    num_mlps=1,
    mbstd_group_size=2)


def _shrink(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ('out_size', 'in_size') and isinstance(
                    value, (list, tuple)):
                # Rectangular (H, W): 16 on the shorter side, same aspect.
                node[key] = tuple(16 * v // min(value) for v in value)
            elif key in TINY and value is not None:
                node[key] = TINY[key]
            else:
                _shrink(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _shrink(item)


def test_configs_found():
    names = {osp.basename(p) for p in CONFIGS}
    assert 'stylegan2-ada_quickstart_1xb16_twemoji-32x32.py' in names
    assert len([n for n in names if n.startswith('stylegan2')]) >= 11


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.relpath(p, REPO / 'configs') for p in CONFIGS])
def test_config_builds_tiny(path):
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'mmgen_ada'))

    # Name fields: {algo}_{module}_{gpus}xb{batch}_{dataset}-{res}.py
    name = osp.splitext(osp.basename(path))[0]
    fields = name.split('_')
    assert len(fields) == 4, f'{name}: expected 4 "_"-separated fields'
    match = re.fullmatch(r'(\d+)xb(\d+)', fields[2])
    assert match, f'{name}: training field must look like 8xb4'
    assert cfg.train_dataloader.batch_size == int(match.group(2)), name
    # The global batch is stated, so any number of processes keeps it.
    assert cfg.global_batch_size == int(match.group(1)) * int(
        match.group(2)), name
    # The resolution field is HxW (height first, as (H, W) sizes).
    height, width = map(int, re.search(r'-(\d+)x(\d+)$', fields[3]).groups())
    gen = cfg.model.generator
    size = gen.get('out_size')
    assert (size if isinstance(size, int) else
            tuple(size)) == (height if height == width else
                             (height, width)), name
    assert cfg.model.discriminator.get('in_size') == size, name
    data_res = cfg.train_dataloader.dataset.get('resolution')
    assert data_res in (None, size), name
    # 'ada' as a name token (e.g. stylegan2-ada_..., ..._ada-fp16-...) iff
    # the discriminator augments.
    # 'diffaugment' likewise iff it augments with DiffAugment.
    named_ada = re.search(r'(^|[-_])ada([-_]|$)', name) is not None
    disc = cfg.model.discriminator
    aug_type = None
    if 'ADA' in disc.type and disc.get('data_aug', {}) is not None:
        aug_type = disc.get('data_aug', {}).get('type', 'ADAAug')
    assert named_ada == (aug_type == 'ADAAug'), name
    named_diffaug = re.search(r'(^|[-_])diffaugment([-_]|$)', name)
    assert (named_diffaug is not None) == (aug_type == 'DiffAugment'), name
    # 'lecam' iff the LeCam penalty is on.
    named_lecam = re.search(r'(^|[-_])lecam([-_]|$)', name) is not None
    assert named_lecam == (cfg.model.get('lecam_weight', 0) > 0), name
    # 'apa' iff adaptive pseudo augmentation is on (with its hook).
    named_apa = re.search(r'(^|[-_])apa([-_]|$)', name) is not None
    assert named_apa == (cfg.model.get('apa') is not None), name
    # Runtime defaults from the bases (no config may lack them): per-rank
    # seeds, one DDP wrapper per sub-model, kimg logging, samples, EMA and
    # RNG states in checkpoints.
    assert cfg.randomness == dict(seed=0, diff_rank_seed=True), name
    assert cfg.model_wrapper_cfg.type == 'MMSeparateDistributedDataParallel'
    assert cfg.log_processor.custom_cfg == [
        dict(data_src='kimg', method_name='mean', window_size=1)
    ]
    assert cfg.default_hooks.visualization.type == 'GenVisualizationHook'
    hooks = [hook.type for hook in cfg.custom_hooks]
    assert {'GeneratorEMAHook', 'RNGStateHook'} <= set(hooks), name
    assert ('ADAHook' in hooks) == named_ada, name
    assert ('APAHook' in hooks) == named_apa, name

    model_cfg = cfg.model.to_dict()
    _shrink(model_cfg)
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    wrappers = build_optim_wrapper(model, cfg.optim_wrapper)
    assert isinstance(wrappers, OptimWrapperDict)
    assert set(wrappers.keys()) == {'generator', 'discriminator'}
    intervals = getattr(model, 'lazy_reg_intervals', {})
    for key, wrapper in wrappers.items():
        base_lr = cfg.optim_wrapper[key].optimizer.lr
        k = intervals.get(key)
        expected = base_lr if k is None else base_lr * k / (k + 1)
        assert wrapper.optimizer.param_groups[0]['lr'] == pytest.approx(
            expected)

    label_dim = getattr(model, 'label_dim', 0)
    c = torch.eye(label_dim)[:2] if label_dim else None
    img = model.generate(model.sample_z(2), c)
    short = min(height, width)
    assert img.shape[-2:] == (16 * height // short, 16 * width // short)


def test_aug_pipeline_key_override_from_command_line():
    path = str(REPO / 'configs' / 'stylegan2' /
               'stylegan2-ada_paper256_8xb8_ffhq-256x256.py')
    cfg = Config.fromfile(path)
    # What tools/train.py does with
    # --cfg-options model.discriminator.data_aug.aug_pipeline.rotate=0
    cfg.merge_from_dict(
        {'model.discriminator.data_aug.aug_pipeline.rotate': 0})
    model_cfg = cfg.model.to_dict()
    _shrink(model_cfg)
    init_default_scope('mmgen_ada')
    model = MODELS.build(model_cfg)
    pipe = model.discriminator.data_aug.aug_pipeline
    assert float(pipe.rotate) == 0
    assert float(pipe.xflip) == 1 and float(pipe.saturation) == 1


@pytest.mark.parametrize('dataset', ['twemoji-32x32', 'twemoji1k-32x32'])
def test_ada_and_no_ada_quickstarts_differ_only_in_the_augmentation(dataset):
    """The limited-data comparison of docs/ada.md needs twin configs."""
    folder = REPO / 'configs' / 'stylegan2'
    ada = Config.fromfile(
        str(folder / f'stylegan2-ada_quickstart_1xb16_{dataset}.py'))
    plain = Config.fromfile(
        str(folder / f'stylegan2_quickstart_1xb16_{dataset}.py'))
    ada_d = ada.model.discriminator.to_dict()
    plain_d = plain.model.discriminator.to_dict()
    assert ada_d.pop('type') == 'ADAStyleGAN2Discriminator'
    assert plain_d.pop('type') == 'StyleGAN2Discriminator'
    assert ada_d.pop('data_aug')['type'] == 'ADAAug'
    assert ada_d == plain_d
    hooks = [h['type'] for h in ada.custom_hooks]
    hooks.remove('ADAHook')
    assert hooks == [h['type'] for h in plain.custom_hooks]
    for cfg in (ada, plain):
        cfg.model.pop('discriminator')
        cfg.pop('custom_hooks')
    assert ada.to_dict() == plain.to_dict()


def test_limited_data_experiment_settings():
    cfg = Config.fromfile(
        str(REPO / 'configs' / 'stylegan2' /
            'stylegan2-ada_quickstart_1xb16_twemoji1k-32x32.py'))
    # Train and metric reals are the same 1,000-image subset.
    for loader in (cfg.train_dataloader, cfg.test_dataloader):
        assert loader.dataset.max_size == 1000
        assert loader.dataset.random_seed == 0
    assert cfg.train_dataloader.dataset.data_root == \
        cfg.test_dataloader.dataset.data_root
    kimg = cfg.train_cfg.max_iters * cfg.train_dataloader.batch_size / 1000
    assert kimg == 16
    assert cfg.model.discriminator.data_aug.ada_kimg == 10
    metrics = {m['type']: m for m in cfg.test_evaluator.metrics}
    assert set(metrics) == {
        'FrechetInceptionDistance', 'KernelInceptionDistance'
    }
    assert {m['fake_nums'] for m in metrics.values()} == {1000}


def _loaded(name):
    return Config.fromfile(str(REPO / 'configs' / 'stylegan2' / name))


@pytest.mark.parametrize('arm, twin',
                         [('stylegan2-diffaugment', 'stylegan2-ada'),
                          ('stylegan2-ada-lecam', 'stylegan2-ada'),
                          ('stylegan2-apa', 'stylegan2')])
def test_limited_data_arms_differ_only_in_the_method(arm, twin):
    """The five arms of docs/limited_data.md: each new one is its twin
    (the ADA or the no-augmentation twemoji1k config) plus one method."""
    suffix = '_quickstart_1xb16_twemoji1k-32x32.py'
    cfg, base = _loaded(arm + suffix), _loaded(twin + suffix)
    method_hooks = {'ADAHook', 'APAHook'}
    hooks = [h['type'] for h in cfg.custom_hooks]
    base_hooks = [h['type'] for h in base.custom_hooks]
    assert ([h for h in hooks if h not in method_hooks
             ] == [h for h in base_hooks if h not in method_hooks])
    if arm == 'stylegan2-diffaugment':
        aug = cfg.model.discriminator.pop('data_aug').to_dict()
        base.model.discriminator.pop('data_aug')
        assert aug == dict(
            type='DiffAugment',
            policy='color,translation,cutout',
            translation_ratio=0.125,
            cutout_ratio=0.5)
        assert hooks == ['GeneratorEMAHook', 'RNGStateHook']
    elif arm == 'stylegan2-ada-lecam':
        assert cfg.model.pop('lecam_weight') == 0.3
        assert cfg.model.pop('lecam_decay') == 0.99
        assert hooks == base_hooks
    else:
        # APA alone, at the speed of the ADA arm's ada_kimg.
        ada = _loaded('stylegan2-ada' + suffix)
        apa = cfg.model.pop('apa').to_dict()
        assert apa == dict(
            target=0.6,
            kimg=ada.model.discriminator.data_aug.ada_kimg,
            update_interval=4,
            initial_p=0.)
        assert hooks == ['GeneratorEMAHook', 'APAHook', 'RNGStateHook']
    for c in (cfg, base):
        c.pop('custom_hooks')
    # Everything else is equal: data subset, iterations, seed, optimisers,
    # checkpoints, test loop (its fixed seed) and metrics.
    assert cfg.to_dict() == base.to_dict()
    assert cfg.randomness == dict(seed=0, diff_rank_seed=True)
    assert cfg.test_cfg.seed == 0
    assert cfg.train_dataloader.dataset.max_size == 1000
    assert cfg.train_cfg.max_iters == 1000
