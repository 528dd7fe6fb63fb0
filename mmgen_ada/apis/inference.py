# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Build a trained GAN from config + checkpoint and draw images from it.

Seeds map to latents exactly as NVlabs ``generate.py`` does
(``np.random.RandomState(seed).randn(1, z_dim)``), and float images become
uint8 as there (``(x * 127.5 + 128).clamp(0, 255)``, truncated), so given
converted weights the images match the official tool seed for seed.
"""
from typing import Iterable, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.model import is_model_wrapper
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar

from mmgen_ada.engine.checkpoint import (config_from_checkpoint,
                                         load_state_dict_checked,
                                         read_checkpoint)
from mmgen_ada.registry import MODELS
from mmgen_ada.visualization import to_uint8

LabelsLike = Union[None, int, Sequence[int], np.ndarray, torch.Tensor]
NOISE_MODES = ('const', 'random', 'none')


def init_model(config: Union[str, Config, dict, None] = None,
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device] = 'cpu',
               cfg_options: Optional[dict] = None,
               partial_load: bool = False) -> nn.Module:
    """Build the model of a config and load a checkpoint into it.

    Args:
        config (str | Config | dict | None): Config file, Config, or a dict
            with a ``model`` key. None reads the config the checkpoint
            stores in ``meta['cfg']`` as data, never executing it (see
            :func:`~mmgen_ada.engine.checkpoint.config_from_checkpoint`).
            The model may be a GAN (``StyleGAN2``, ...) or a bare generator.
        checkpoint (str, optional): mmengine checkpoint (local path or URL)
            whose ``state_dict`` holds the model's weights, G_ema included,
            or an official NVlabs ``.pkl`` (see
            :func:`~mmgen_ada.engine.checkpoint.read_checkpoint`).
            None keeps the initial weights. Defaults to None.
        device (str | torch.device): Where to put the model. Defaults to
            'cpu'.
        cfg_options (dict, optional): Overrides merged into the config.
        partial_load (bool): Load only the tensors that fit the model and
            log the others, instead of refusing a checkpoint that does not
            fit. Defaults to False.

    Returns:
        nn.Module: The model in eval mode, with ``.cfg`` set.

    Raises:
        ValueError: If neither a config nor a checkpoint with one is given.
        CheckpointReadError: If the checkpoint cannot be read.
        CheckpointConfigError: If the checkpoint's config is missing or is
            not plain data naming registered classes.
        StateDictMismatchError: If the checkpoint's tensors do not fit the
            model (keys or shapes) and ``partial_load`` is False.
    """
    ckpt = None
    if checkpoint is not None:
        ckpt = read_checkpoint(checkpoint, map_location='cpu')
    if config is None:
        if ckpt is None:
            raise ValueError('init_model needs a config, a checkpoint whose '
                             "meta['cfg'] holds one, or both.")
        cfg = config_from_checkpoint(ckpt, checkpoint)
    elif isinstance(config, str):
        cfg = Config.fromfile(config)
    elif isinstance(config, Config):
        cfg = config.copy()
    elif isinstance(config, dict):
        cfg = Config(config)
    else:
        raise TypeError('config must be a path, Config, dict or None, got '
                        f'{type(config).__name__}')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if 'model' not in cfg:
        raise ValueError(f'config has no `model` field; its keys are '
                         f'{sorted(cfg.keys())}')
    init_default_scope(cfg.get('default_scope', 'mmgen_ada'))
    model = MODELS.build(cfg.model)
    if ckpt is not None:
        load_state_dict_checked(
            model,
            ckpt.get('state_dict', ckpt),
            checkpoint,
            partial=partial_load)
    model.cfg = cfg
    return model.to(device).eval()


def get_generator(model: nn.Module, use_ema: bool = True) -> nn.Module:
    """The generator to sample from.

    Args:
        model (nn.Module): A GAN with ``generator`` (and optionally
            ``generator_ema``, an averaged model with ``.module``), possibly
            wrapped, or a generator itself (has ``mapping`` and
            ``synthesis``).
        use_ema (bool): Prefer G_ema when the model has one. Defaults to
            True.

    Returns:
        nn.Module: The generator.
    """
    if is_model_wrapper(model):
        model = model.module
    if hasattr(model, 'mapping') and hasattr(model, 'synthesis'):
        return model
    ema = getattr(model, 'generator_ema', None)
    if use_ema and ema is not None:
        return getattr(ema, 'module', ema)
    generator = getattr(model, 'generator', None)
    if generator is None:
        raise ValueError(f'{type(model).__name__} is neither a generator '
                         '(mapping + synthesis) nor a GAN with a generator')
    return generator.module if is_model_wrapper(generator) else generator


def seeds_to_z(seeds: Iterable[int], noise_size: int) -> torch.Tensor:
    """Latents of NVlabs ``generate.py``: ``RandomState(seed).randn(1, d)``.

    Args:
        seeds (Iterable[int]): Seeds in [0, 2**32).
        noise_size (int): Dimension of z.

    Returns:
        Tensor: float32 latents (len(seeds), noise_size).
    """
    zs = [np.random.RandomState(seed).randn(1, noise_size) for seed in seeds]
    if not zs:
        raise ValueError('seeds is empty')
    return torch.from_numpy(np.concatenate(zs)).to(torch.float32)


def make_labels(
        labels: LabelsLike,
        num: int,
        cond_size: int,
        device: Union[str, torch.device] = 'cpu') -> Optional[torch.Tensor]:
    """Label matrix for a (conditional) generator.

    Args:
        labels: None; a class index (one-hot for every sample, as NVlabs
            ``--class``); one class index per sample; or float labels
            (cond_size,) or (num, cond_size).
        num (int): Number of samples.
        cond_size (int): Label dimension of the generator, 0 =
            unconditional.
        device: Device of the result.

    Returns:
        Tensor | None: float32 (num, cond_size), or None if unconditional.

    Raises:
        ValueError: A conditional generator without labels, labels for an
            unconditional one, or labels of the wrong shape / class index
            out of range.
    """
    if cond_size == 0:
        if labels is not None:
            raise ValueError('the generator is unconditional (trained '
                             'without labels): drop --class / labels')
        return None
    if labels is None:
        raise ValueError(f'the generator is conditional ({cond_size} '
                         'classes): give a class index (--class) or labels')
    if isinstance(labels, (int, np.integer)):
        labels = [int(labels)] * num
    if isinstance(labels, (list, tuple)) and all(
            isinstance(v, (int, np.integer)) for v in labels):
        bad = [v for v in labels if not 0 <= v < cond_size]
        if bad:
            raise ValueError(f'class index {bad[0]} out of range '
                             f'[0, {cond_size})')
        if len(labels) != num:
            raise ValueError(f'got {len(labels)} class indices for {num} '
                             'samples')
        c = torch.zeros(num, cond_size)
        c[torch.arange(num), torch.tensor(labels, dtype=torch.long)] = 1
        return c.to(device)
    c = torch.as_tensor(np.asarray(labels), dtype=torch.float32)
    if c.shape == (cond_size, ):
        c = c.expand(num, cond_size)
    if tuple(c.shape) != (num, cond_size):
        raise ValueError(f'labels must have shape ({num}, {cond_size}) or '
                         f'({cond_size},), got {tuple(c.shape)}')
    return c.to(device)


def to_uint8_hwc(images: torch.Tensor) -> np.ndarray:
    """Float images in [-1, 1] (N, C, H, W) -> uint8 numpy (N, H, W, C).

    The NVlabs mapping of :func:`mmgen_ada.visualization.to_uint8`.
    """
    return to_uint8(images).permute(0, 2, 3, 1).cpu().numpy()


def run_synthesis(generator: nn.Module,
                  ws: torch.Tensor,
                  noise_mode: str = 'const') -> torch.Tensor:
    """``generator.synthesis`` with the same output as ``generator(z)``.

    Args:
        generator (nn.Module): StyleGAN2/3 generator.
        ws (Tensor): Styles (N, num_ws, style_channels).
        noise_mode (str): 'const', 'random' or 'none'.

    Returns:
        Tensor: float images (N, C, H, W), about [-1, 1].
    """
    return generator.synthesis(ws, noise_mode=noise_mode)


def _check_noise_mode(noise_mode: str) -> None:
    if noise_mode not in NOISE_MODES:
        raise ValueError(f'noise_mode must be one of {NOISE_MODES}, got '
                         f'{noise_mode!r}')


@torch.no_grad()
def sample(model: nn.Module,
           seeds: Optional[List[int]] = None,
           z: Optional[torch.Tensor] = None,
           labels: LabelsLike = None,
           truncation_psi: float = 1.0,
           truncation_cutoff: Optional[int] = None,
           noise_mode: str = 'const',
           use_ema: bool = True,
           batch_size: int = 16,
           progress: bool = False) -> np.ndarray:
    """Generate images from seeds or latents.

    Args:
        model (nn.Module): GAN or generator (see :func:`get_generator`).
        seeds (list[int], optional): One image per seed, z drawn as NVlabs.
        z (Tensor, optional): Latents (N, noise_size) instead of seeds.
        labels: Class index, per-sample class indices or label vectors; see
            :func:`make_labels`. Required for conditional generators.
        truncation_psi (float): Truncation towards w_avg, 1 = none.
        truncation_cutoff (int, optional): Truncate only the first styles.
        noise_mode (str): 'const' (default, as NVlabs), 'random' or 'none'.
        use_ema (bool): Sample from G_ema when there is one. Defaults to
            True.
        batch_size (int): Images per generator call. Defaults to 16.
        progress (bool): Show a progress bar. Defaults to False.

    Returns:
        np.ndarray: uint8 images (N, H, W, C) in the generator's channel
        order (RGB for this project's datasets).
    """
    if (seeds is None) == (z is None):
        raise ValueError('give exactly one of seeds and z')
    _check_noise_mode(noise_mode)
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    generator = get_generator(model, use_ema)
    if seeds is not None:
        z = seeds_to_z(seeds, generator.noise_size)
    if z.ndim != 2 or z.shape[1] != generator.noise_size:
        raise ValueError(f'z must have shape (N, {generator.noise_size}), '
                         f'got {tuple(z.shape)}')
    device = next(generator.parameters()).device
    cond_size = int(getattr(generator, 'cond_size', 0) or 0)
    c = make_labels(labels, z.shape[0], cond_size, device)
    bar = ProgressBar(z.shape[0]) if progress else None
    images = []
    for start in range(0, z.shape[0], batch_size):
        stop = min(start + batch_size, z.shape[0])
        img = generator(
            z[start:stop].to(device),
            None if c is None else c[start:stop],
            truncation_psi=truncation_psi,
            truncation_cutoff=truncation_cutoff,
            noise_mode=noise_mode)
        images.append(to_uint8_hwc(img))
        if bar is not None:
            for _ in range(stop - start):
                bar.update()
    return np.concatenate(images)


@torch.no_grad()
def synthesize(model: nn.Module,
               ws: Union[torch.Tensor, np.ndarray],
               noise_mode: str = 'const',
               use_ema: bool = True,
               batch_size: int = 16) -> np.ndarray:
    """Images from styles, e.g. a projector's ``projected_w.npz``.

    Args:
        model (nn.Module): GAN or generator.
        ws (Tensor | np.ndarray): Styles (N, num_ws, style_channels).
        noise_mode (str): 'const', 'random' or 'none'. Defaults to 'const'.
        use_ema (bool): Use G_ema when there is one. Defaults to True.
        batch_size (int): Images per synthesis call. Defaults to 16.

    Returns:
        np.ndarray: uint8 images (N, H, W, C).
    """
    _check_noise_mode(noise_mode)
    generator = get_generator(model, use_ema)
    ws = torch.as_tensor(np.asarray(ws), dtype=torch.float32)
    expected = (generator.num_ws, generator.style_channels)
    if ws.ndim != 3 or tuple(ws.shape[1:]) != expected:
        raise ValueError(f'ws must have shape (N, {expected[0]}, '
                         f'{expected[1]}), got {tuple(ws.shape)}')
    device = next(generator.parameters()).device
    return np.concatenate([
        to_uint8_hwc(
            run_synthesis(generator, ws[i:i + batch_size].to(device),
                          noise_mode)) for i in range(0, len(ws), batch_size)
    ])
