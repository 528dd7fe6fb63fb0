# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Official NVlabs networks <-> mmgen-ada checkpoints.

* :func:`convert_nvlabs_pickle`: a snapshot read by
  :func:`~mmgen_ada.apis.nvlabs_pickle.load_nvlabs_pickle` -> our checkpoint.
  The architecture comes from each network's pickled init kwargs
  (:func:`nvlabs_generator_cfg`, :func:`nvlabs_discriminator_cfg`) and is
  stored as the checkpoint's ``meta['cfg']`` (plain data), so
  ``init_model(checkpoint=...)`` needs no config file. Class names are
  checked against the official ones and init kwargs must be plain data
  before anything is copied.
* :func:`convert_nvlabs_state_dicts`: plain official state dicts + our model
  config -> our checkpoint.
* :func:`to_nvlabs_state_dicts`: our checkpoint -> official state dicts.

StyleGAN2 weights are renamed by :mod:`mmgen_ada.models.stylegan2.
nvlabs_state_dict`; ``StyleGANv3Generator`` stores the official StyleGAN3
parameter and buffer names unchanged. Every conversion is loaded strictly
into the model it is for (all keys, all shapes).
"""
import math
from collections import OrderedDict
from typing import Any, Dict, Mapping, Optional

import torch
import torch.nn as nn
from mmengine.registry import init_default_scope

from mmgen_ada.engine.checkpoint import config_to_plain
from mmgen_ada.engine.checkpoint.checkpoint_config import to_plain

from mmgen_ada.models.stylegan2.nvlabs_state_dict import (
    convert_nvlabs_discriminator, convert_nvlabs_generator,
    to_nvlabs_discriminator, to_nvlabs_generator)
from mmgen_ada.registry import MODELS
from mmgen_ada.version import __version__
from .nvlabs_pickle import NVlabsModuleRecord

StateDict = Dict[str, torch.Tensor]

# Official kwargs without effect on the weights or on float32 outputs.
_IGNORED_KWARGS = ('fused_modconv_default', )
_SG3_SYNTHESIS_KEYS = ('channel_base', 'channel_max', 'num_layers',
                       'num_critical', 'first_cutoff', 'first_stopband',
                       'last_stopband_rel', 'margin_size', 'output_scale',
                       'num_fp16_res', 'conv_kernel', 'filter_size',
                       'lrelu_upsampling', 'use_radial_filters', 'conv_clamp',
                       'magnitude_ema_beta')


#: The official classes of the networks a snapshot holds, by snapshot key
#: (``training/networks*.py`` and ``training/augment.py``).
NVLABS_NETWORK_CLASSES = {
    'G': ('Generator', ),
    'G_ema': ('Generator', ),
    'D': ('Discriminator', ),
    'augment_pipe': ('AugmentPipe', ),
}


def check_class_name(record: NVlabsModuleRecord, key: str) -> None:
    """Refuse a record whose class is not the official one for ``key``.

    Raises:
        ValueError: Naming the (truncated) pickled class name.
    """
    allowed = NVLABS_NETWORK_CLASSES[key]
    if not (isinstance(record.class_name, str)
            and record.class_name in allowed):
        raise ValueError(
            f'the snapshot\'s {key} is a pickled class '
            f'{str(record.class_name)[:60]!r}; expected one of {allowed} '
            '(an NVlabs StyleGAN2-ADA / StyleGAN3 network)')


def check_plain_kwargs(value: Any, what: str) -> None:
    """Require pickled init kwargs to be plain data before they are copied.

    Allowed: None, bools, finite ints and floats, str, and lists, tuples and
    str-keyed dicts of those.

    Raises:
        ValueError: Naming the key path and the type found.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f'{what} is {value}; expected a finite number')
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            check_plain_kwargs(item, f'{what}[{i}]')
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f'{what} has a {type(key).__name__} key '
                                 f'{key!r}; expected str keys')
            check_plain_kwargs(item, f'{what}.{key}')
        return
    raise ValueError(f'{what} is a {type(value).__name__}; NVlabs init '
                     'kwargs must be plain numbers, strings, bools, lists '
                     'and dicts')


def _require(value: Any, allowed: tuple, what: str) -> None:
    if value not in allowed:
        raise ValueError(f'{what}={value!r} is not supported by mmgen-ada '
                         f'(supported: {allowed})')


def _synthesis_kwargs(init_kwargs: Mapping[str, Any]) -> Dict[str, Any]:
    """stylegan2-ada-pytorch nests ``synthesis_kwargs``; stylegan3 passes
    them as extra top-level kwargs. Return them merged."""
    top = ('z_dim', 'c_dim', 'w_dim', 'img_resolution', 'img_channels',
           'mapping_kwargs', 'synthesis_kwargs')
    out = {k: v for k, v in init_kwargs.items() if k not in top}
    out.update(init_kwargs.get('synthesis_kwargs') or {})
    return {k: v for k, v in out.items() if k not in _IGNORED_KWARGS}


def is_stylegan3_generator(record: NVlabsModuleRecord) -> bool:
    """Whether a generator record is ``networks_stylegan3.Generator``."""
    synthesis = record.children.get('synthesis')
    return synthesis is not None and 'input' in synthesis.children


def nvlabs_generator_cfg(record: NVlabsModuleRecord) -> dict:
    """Our generator config equivalent to an official generator.

    Args:
        record (NVlabsModuleRecord): Pickled ``Generator`` (StyleGAN2-ADA,
            or StyleGAN2/StyleGAN3 of the stylegan3 repository).

    Returns:
        dict: ``StyleGANv2Generator`` or ``StyleGANv3Generator`` config.

    Raises:
        ValueError: For another class than ``Generator``, init kwargs that
            are not plain data, or official options mmgen-ada does not
            implement.
    """
    check_class_name(record, 'G')
    kw = record.init_kwargs
    check_plain_kwargs(kw, 'Generator init kwargs')
    missing = [
        k
        for k in ('z_dim', 'c_dim', 'w_dim', 'img_resolution', 'img_channels')
        if k not in kw
    ]
    if missing:
        raise ValueError(f'the pickled {record.class_name} lacks init kwargs '
                         f'{missing}; is it an NVlabs generator?')
    mapping = dict(kw.get('mapping_kwargs') or {})
    synthesis = _synthesis_kwargs(kw)
    common = dict(
        out_size=int(kw['img_resolution']),
        style_channels=int(kw['w_dim']),
        noise_size=int(kw['z_dim']),
        cond_size=int(kw['c_dim']))
    if is_stylegan3_generator(record):
        unknown = sorted(set(synthesis) - set(_SG3_SYNTHESIS_KEYS))
        if unknown:
            raise ValueError(f'unsupported StyleGAN3 synthesis kwargs '
                             f'{unknown}; supported: {_SG3_SYNTHESIS_KEYS}')
        unknown = sorted(
            set(mapping) - {'num_layers', 'lr_multiplier', 'w_avg_beta'})
        if unknown:
            raise ValueError(f'unsupported StyleGAN3 mapping kwargs {unknown}')
        return dict(
            type='StyleGANv3Generator',
            img_channels=int(kw['img_channels']),
            synthesis_cfg=synthesis,
            mapping_cfg=mapping,
            **common)

    _require(
        mapping.get('activation', 'lrelu'), ('lrelu', ), 'mapping activation')
    _require(
        mapping.get('layer_features'), (None, kw['w_dim']),
        'mapping layer_features')
    _require(
        synthesis.get('architecture', 'skip'), ('skip', ),
        'synthesis architecture')
    _require(
        synthesis.get('activation', 'lrelu'), ('lrelu', ),
        'synthesis activation')
    _require(synthesis.get('use_noise', True), (True, ), 'use_noise')
    known = {
        'architecture', 'activation', 'use_noise', 'channel_base',
        'channel_max', 'num_fp16_res', 'conv_clamp', 'resample_filter'
    }
    unknown = sorted(set(synthesis) - known)
    if unknown:
        raise ValueError(f'unsupported StyleGAN2 synthesis kwargs {unknown}; '
                         f'supported: {sorted(known)}')
    return dict(
        type='StyleGANv2Generator',
        out_channels=int(kw['img_channels']),
        cond_mapping_channels=mapping.get('embed_features'),
        num_mlps=int(mapping.get('num_layers', 8)),
        lr_mlp=float(mapping.get('lr_multiplier', 0.01)),
        w_avg_beta=float(mapping.get('w_avg_beta', 0.995)),
        channel_base=int(synthesis.get('channel_base', 32768)),
        channel_max=int(synthesis.get('channel_max', 512)),
        conv_clamp=synthesis.get('conv_clamp'),
        num_fp16_scales=int(synthesis.get('num_fp16_res', 0)),
        resample_filter=list(synthesis.get('resample_filter', [1, 3, 3, 1])),
        **common)


def nvlabs_discriminator_cfg(record: NVlabsModuleRecord) -> dict:
    """Our ``StyleGAN2Discriminator`` config for an official one.

    Args:
        record (NVlabsModuleRecord): Pickled ``Discriminator``.

    Returns:
        dict: The config.

    Raises:
        ValueError: For another class than ``Discriminator``, init kwargs
            that are not plain data, or official options mmgen-ada does not
            implement.
    """
    check_class_name(record, 'D')
    kw = record.init_kwargs
    check_plain_kwargs(kw, 'Discriminator init kwargs')
    block = dict(kw.get('block_kwargs') or {})
    mapping = dict(kw.get('mapping_kwargs') or {})
    epilogue = dict(kw.get('epilogue_kwargs') or {})
    if 'img_resolution' not in kw:
        raise ValueError(f'the pickled {record.class_name} lacks init kwarg '
                         'img_resolution; is it an NVlabs discriminator?')
    _require(
        kw.get('architecture', 'resnet'), ('resnet', 'orig'),
        'discriminator architecture')
    for what, options in (('block', block), ('mapping', mapping), ('epilogue',
                                                                   epilogue)):
        _require(
            options.get('activation', 'lrelu'), ('lrelu', ),
            f'discriminator {what} activation')
    _require(
        mapping.get('embed_features'), (None, kw.get('cmap_dim')),
        'discriminator mapping embed_features')
    _require(
        mapping.get('layer_features'), (None, kw.get('cmap_dim')),
        'discriminator mapping layer_features')
    _require(
        mapping.get('lr_multiplier', 0.01), (0.01, ),
        'discriminator mapping lr_multiplier')
    return dict(
        type='StyleGAN2Discriminator',
        in_size=int(kw['img_resolution']),
        img_channels=int(kw.get('img_channels', 3)),
        cond_size=int(kw.get('c_dim', 0)),
        cond_mapping_channels=kw.get('cmap_dim'),
        cond_mapping_layers=int(mapping.get('num_layers', 8)),
        channel_base=int(kw.get('channel_base', 32768)),
        channel_max=int(kw.get('channel_max', 512)),
        mbstd_group_size=epilogue.get('mbstd_group_size', 4),
        mbstd_num_channels=int(epilogue.get('mbstd_num_channels', 1)),
        num_fp16_scales=int(kw.get('num_fp16_res', 0)),
        conv_clamp=kw.get('conv_clamp'),
        freeze_layers=int(block.get('freeze_layers', 0)),
        resample_filter=list(block.get('resample_filter', [1, 3, 3, 1])),
        architecture=kw.get('architecture', 'resnet'))


def generator_from_nvlabs(state_dict: Mapping[str, torch.Tensor],
                          generator_cfg: dict) -> StateDict:
    """Official generator state dict -> ours, for ``generator_cfg``."""
    if generator_cfg['type'] == 'StyleGANv3Generator':
        return OrderedDict(state_dict)  # same names and layout
    return convert_nvlabs_generator(
        state_dict, generator_cfg.get('resample_filter', (1, 3, 3, 1)))


def generator_to_nvlabs(state_dict: Mapping[str, torch.Tensor],
                        generator_cfg: dict) -> StateDict:
    """Our generator state dict -> the official layout."""
    if generator_cfg['type'] == 'StyleGANv3Generator':
        return OrderedDict(state_dict)  # same names and layout
    return to_nvlabs_generator(
        state_dict, generator_cfg.get('resample_filter', (1, 3, 3, 1)))


def _sub_state_dict(state_dict: Mapping[str, torch.Tensor],
                    prefix: str) -> StateDict:
    return OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                       if k.startswith(prefix))


def _load_strict(module: nn.Module, state_dict: StateDict, what: str) -> None:
    own = module.state_dict()
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    wrong = [
        f'{k}: {tuple(v.shape)} vs ours {tuple(own[k].shape)}'
        for k, v in state_dict.items() if k in own and v.shape != own[k].shape
    ]
    if missing or unexpected or wrong:
        raise ValueError(
            f'the converted {what} does not fit the model config: missing '
            f'{missing[:8]}, unexpected {unexpected[:8]}, shape mismatches '
            f'{wrong[:8]}')
    module.load_state_dict(state_dict, strict=True)


def _with_own_augment_state(discriminator: nn.Module,
                            state_dict: StateDict) -> StateDict:
    """Official discriminators have no augmentation state; an ADA one of
    ours (``ADAStyleGAN2Discriminator``) keeps its initial ``data_aug.*``."""
    own = discriminator.state_dict()
    out = OrderedDict(state_dict)
    for key, value in own.items():
        if key.startswith('data_aug.') and key not in out:
            out[key] = value
    return out


def build_checkpoint(model_cfg: dict,
                     generator: Optional[StateDict],
                     discriminator: Optional[StateDict] = None,
                     generator_ema: Optional[StateDict] = None,
                     meta: Optional[dict] = None) -> dict:
    """Our checkpoint from our-layout state dicts of G, D and G_ema.

    Builds the model of ``model_cfg`` and loads each given part strictly
    (every key, every shape), so the result loads into that model; parts
    not given keep their initial weights (noted in ``meta['not_converted']``).
    An ADA discriminator's augmentation state (``data_aug.*``, not part of
    the official networks) keeps its initial values.

    Args:
        model_cfg (dict): Our model config (``type='StyleGAN2'``, ...).
        generator (dict, optional): Our-layout G state dict.
        discriminator (dict, optional): Our-layout D state dict.
        generator_ema (dict, optional): Our-layout G_ema state dict.
        meta (dict, optional): Extra entries for ``meta``.

    Returns:
        dict: ``dict(meta=dict(cfg=<config as a plain dict>, ...),
        state_dict=...)``, the layout mmengine runners save.
    """
    init_default_scope('mmgen_ada')
    model = MODELS.build(model_cfg)
    parts = (('generator', model.generator, generator),
             ('discriminator', model.discriminator, discriminator),
             ('generator_ema', getattr(model.generator_ema, 'module',
                                       None), generator_ema))
    not_converted = []
    for name, module, state_dict in parts:
        if state_dict is None:
            not_converted.append(name)
        elif module is None:
            raise ValueError(f'the model config has no {name} to load into')
        else:
            if name == 'discriminator':
                state_dict = _with_own_augment_state(module, state_dict)
            _load_strict(module, state_dict, name)
    full_meta = dict(
        cfg=config_to_plain(dict(default_scope='mmgen_ada', model=model_cfg)),
        mmgen_ada_version=__version__,
        not_converted=not_converted)
    full_meta.update(meta or {})
    return dict(meta=full_meta, state_dict=model.state_dict())


def default_model_cfg(generator_cfg: dict,
                      discriminator_cfg: Optional[dict]) -> dict:
    """A ``StyleGAN2`` model config around converted networks.

    Without a discriminator, a default one of the generator's size is used
    so the checkpoint still builds (its weights are then not converted).
    """
    if discriminator_cfg is None:
        discriminator_cfg = dict(
            type='StyleGAN2Discriminator',
            in_size=generator_cfg['out_size'],
            img_channels=generator_cfg.get(
                'out_channels', generator_cfg.get('img_channels', 3)),
            cond_size=generator_cfg.get('cond_size', 0))
    return dict(
        type='StyleGAN2',
        generator=generator_cfg,
        discriminator=discriminator_cfg,
        data_preprocessor=dict(type='GANDataPreprocessor'))


def nvlabs_model_cfg(data: Mapping[str, Any]) -> dict:
    """Our ``StyleGAN2`` model config for an official snapshot.

    Args:
        data (Mapping): Output of
            :func:`~mmgen_ada.apis.nvlabs_pickle.load_nvlabs_pickle`.

    Returns:
        dict: Plain-data model config (see :func:`default_model_cfg`).
    """
    g_rec, d_rec, ema_rec = data.get('G'), data.get('D'), data.get('G_ema')
    ref = ema_rec if ema_rec is not None else g_rec
    if ref is None:
        raise ValueError('the snapshot has neither G nor G_ema')
    return default_model_cfg(
        nvlabs_generator_cfg(ref),
        None if d_rec is None else nvlabs_discriminator_cfg(d_rec))


def convert_nvlabs_pickle(data: Mapping[str, Any], source: str = '') -> dict:
    """Our checkpoint from an official snapshot.

    Args:
        data (Mapping): Output of
            :func:`~mmgen_ada.apis.nvlabs_pickle.load_nvlabs_pickle`.
        source (str): Recorded as ``meta['converted_from']``.

    Returns:
        dict: Checkpoint (see :func:`build_checkpoint`); ``meta`` also keeps
        the ADA probability ``augment_p`` of the snapshot's augment pipe and
        its ``training_set_kwargs``.
    """
    for key in NVLABS_NETWORK_CLASSES:
        if data.get(key) is not None:
            check_class_name(data[key], key)
    g_rec, d_rec, ema_rec = data.get('G'), data.get('D'), data.get('G_ema')
    model_cfg = nvlabs_model_cfg(data)
    generator_cfg = model_cfg['generator']
    meta = dict(
        converted_from=source,
        training_set_kwargs=to_plain(data.get('training_set_kwargs')))
    pipe = data.get('augment_pipe')
    if pipe is not None and 'p' in pipe.buffers:
        meta['augment_p'] = float(pipe.buffers['p'])
    return build_checkpoint(
        model_cfg,
        generator=None if g_rec is None else generator_from_nvlabs(
            g_rec.state_dict(), generator_cfg),
        discriminator=None if d_rec is None else convert_nvlabs_discriminator(
            d_rec.state_dict(), model_cfg['discriminator']['resample_filter']),
        generator_ema=None if ema_rec is None else generator_from_nvlabs(
            ema_rec.state_dict(), generator_cfg),
        meta=meta)


def convert_nvlabs_state_dicts(model_cfg: dict,
                               generator: Optional[StateDict],
                               discriminator: Optional[StateDict] = None,
                               generator_ema: Optional[StateDict] = None,
                               source: str = '') -> dict:
    """Our checkpoint from official state dicts and our model config.

    Args:
        model_cfg (dict): Our model config the weights were trained as.
        generator (dict, optional): Official G state dict.
        discriminator (dict, optional): Official D state dict.
        generator_ema (dict, optional): Official G_ema state dict; None
            uses ``generator`` (G_ema is what sampling uses).
        source (str): Recorded as ``meta['converted_from']``.

    Returns:
        dict: Checkpoint (see :func:`build_checkpoint`).
    """
    if generator is None and generator_ema is None:
        raise ValueError('give at least a generator state dict')
    g_cfg = model_cfg['generator']
    d_filter = model_cfg['discriminator'].get('resample_filter', (1, 3, 3, 1))
    if generator_ema is None:
        generator_ema = generator
    return build_checkpoint(
        model_cfg,
        generator=None if generator is None else generator_from_nvlabs(
            generator, g_cfg),
        discriminator=None if discriminator is None else
        convert_nvlabs_discriminator(discriminator, d_filter),
        generator_ema=generator_from_nvlabs(generator_ema, g_cfg),
        meta=dict(converted_from=source))


def to_nvlabs_state_dicts(checkpoint: Mapping[str, Any],
                          model_cfg: dict) -> Dict[str, StateDict]:
    """Official-layout state dicts from our checkpoint.

    Args:
        checkpoint (Mapping): Our checkpoint (with ``state_dict``) or a
            bare model state dict.
        model_cfg (dict): The model config of the checkpoint (for the
            generator type and the FIR filters).

    Returns:
        dict: ``G``, ``D`` and ``G_ema`` state dicts (those present), keyed
        as NVlabs' ``Generator`` / ``Discriminator``.
    """
    state_dict = checkpoint.get('state_dict', checkpoint)
    g_cfg = model_cfg['generator']
    for part, key in (('generator', 'out_size'), ('discriminator', 'in_size')):
        size = model_cfg.get(part, {}).get(key)
        if isinstance(size, (tuple, list)) and size[0] != size[1]:
            raise ValueError(
                f'model.{part}.{key}={tuple(size)!r} is rectangular; the '
                'official NVlabs networks are square (img_resolution is one '
                'side), so this checkpoint has no NVlabs layout. Keep it in '
                'mmgen-ada format (tools/generate.py, tools/test.py, ... '
                'read it directly).')
    d_filter = model_cfg.get('discriminator', {}).get('resample_filter',
                                                      (1, 3, 3, 1))
    out = {}
    for name, prefix in (('G', 'generator.'), ('G_ema',
                                               'generator_ema.module.')):
        part = _sub_state_dict(state_dict, prefix)
        if part:
            out[name] = generator_to_nvlabs(part, g_cfg)
    disc = _sub_state_dict(state_dict, 'discriminator.')
    # ADA discriminators keep their augmentation state under data_aug.
    disc = OrderedDict(
        (k, v) for k, v in disc.items() if not k.startswith('data_aug.'))
    if disc:
        out['D'] = to_nvlabs_discriminator(disc, d_filter)
    if not out:
        raise ValueError('the checkpoint has no generator/discriminator '
                         'weights (keys generator.*, generator_ema.module.*, '
                         'discriminator.*)')
    return out
