# Copyright (c) mmgen-ada contributors. All rights reserved.
"""NVlabs' ``--cfg=auto``: StyleGAN2-ADA hyperparameters from the data.

stylegan2-ada-pytorch ``train.py`` picks, for resolution ``res`` and
``gpus`` processes (its ``cfg_specs['auto']`` and the lines after it)::

    batch    mb    = max(min(gpus * min(4096 // res, 32), 64), gpus)
    mbstd    group = min(mb // gpus, 4)
    fmaps    = 1 if res >= 512 else 0.5   (channel_base = fmaps * 32768,
                                           channel_max = 512)
    lrate    = 0.002 if res >= 1024 else 0.0025
    gamma    = 0.0002 * res**2 / mb
    ema_kimg = mb * 10 / 32,  ema ramp-up 0.05
    map      = 2 mapping layers,  kimg = 25000

Rectangular data (``(H, W)``, see :mod:`mmgen_ada.image_size`) has no
reference rule; here ``res = max(H, W)`` picks batch, fmaps and lrate (the
memory-bound choices, as for the enclosing square) and ``gamma = 0.0002 *
H * W / mb`` keeps R1 proportional to the pixel count, as ``res**2`` is
for square data (both equal the reference when ``H == W``).

``--batch`` then replaces the batch only: gamma, the EMA half-life and the
mbstd group stay those of ``mb``, as in the reference.
"""
import math
from dataclasses import dataclass

from mmengine.config import Config

from mmgen_ada.image_size import SizeArg, compact_size, parse_image_size

#: Base config that ``--cfg auto`` starts from (relative to configs/).
AUTO_BASE_CONFIG = '_base_/stylegan2-ada_auto.py'


@dataclass(frozen=True)
class AutoSpec:
    """The hyperparameters of NVlabs' ``auto`` config for one setting.

    Attributes:
        batch (int): Global batch ``mb``.
        mbstd_group (int): Minibatch-std group size.
        channel_base (int): ``fmaps * 32768``.
        channel_max (int): 512.
        lr (float): Adam learning rate of G and D.
        r1_gamma (float): R1 weight.
        ema_kimg (float): G_ema half-life in kimg.
        ema_rampup (float): G_ema ramp-up.
        mapping_layers (int): Mapping network depth.
        kimg (int): Training length.
    """
    batch: int
    mbstd_group: int
    channel_base: int
    channel_max: int
    lr: float
    r1_gamma: float
    ema_kimg: float
    ema_rampup: float
    mapping_layers: int
    kimg: int


def nvlabs_auto_spec(resolution: SizeArg, num_gpus: int) -> AutoSpec:
    """NVlabs ``--cfg=auto`` for ``resolution`` and ``num_gpus`` processes.

    Args:
        resolution (int | tuple[int, int]): Image side, a power of two
            >= 4, or ``(H, W)`` (rule in the module docstring).
        num_gpus (int): Training processes (``--gpus``), >= 1.

    Returns:
        AutoSpec: The derived hyperparameters.
    """
    height, width = parse_image_size(resolution, 'resolution')
    resolution = max(height, width)
    if not isinstance(num_gpus, int) or num_gpus < 1:
        raise ValueError(f'num_gpus must be an int >= 1, got {num_gpus!r}')
    mb = max(min(num_gpus * min(4096 // resolution, 32), 64), num_gpus)
    fmaps = 1 if resolution >= 512 else 0.5
    return AutoSpec(
        batch=mb,
        mbstd_group=min(mb // num_gpus, 4),
        channel_base=int(fmaps * 32768),
        channel_max=512,
        lr=0.002 if resolution >= 1024 else 0.0025,
        r1_gamma=0.0002 * (height * width) / mb,
        ema_kimg=mb * 10 / 32,
        ema_rampup=0.05,
        mapping_layers=2,
        kimg=25000)


def apply_auto_spec(cfg: Config, spec: AutoSpec, resolution: SizeArg,
                    num_channels: int) -> None:
    """Write ``spec`` and the data's shape into a StyleGAN2(-ADA) config.

    Sets G and D sizes, channels, widths, mapping depth, mbstd group, lr,
    R1 gamma, G_ema and the global batch (the caller turns ``spec.kimg``
    into iterations once the final batch is known).

    Args:
        cfg (Config): Config built on ``configs/_base_/models/stylegan2*.py``
            (modified in place).
        spec (AutoSpec): From :func:`nvlabs_auto_spec`.
        resolution (int | tuple[int, int]): Image side or ``(H, W)``.
        num_channels (int): Image channels (1 or 3).
    """
    resolution = compact_size(parse_image_size(resolution, 'resolution'))
    gen, disc = cfg.model.generator, cfg.model.discriminator
    gen.update(
        out_size=resolution,
        out_channels=num_channels,
        channel_base=spec.channel_base,
        channel_max=spec.channel_max,
        num_mlps=spec.mapping_layers)
    disc.update(
        in_size=resolution,
        img_channels=num_channels,
        channel_base=spec.channel_base,
        channel_max=spec.channel_max,
        mbstd_group_size=spec.mbstd_group)
    cfg.model.r1_gamma = spec.r1_gamma
    cfg.model.ema_config.update(
        ema_kimg=spec.ema_kimg, ema_rampup=spec.ema_rampup)
    for name in ('generator', 'discriminator'):
        cfg.optim_wrapper[name].optimizer.lr = spec.lr
    cfg.global_batch_size = spec.batch


def kimg_to_iters(kimg: float, global_batch: int) -> int:
    """Iterations until ``kimg`` thousand real images are seen (rounded up,
    as NVlabs stops at the first step with ``cur_nimg >= kimg * 1000``)."""
    if not kimg > 0:
        raise ValueError(f'kimg must be > 0, got {kimg!r}')
    nimg = round(kimg * 1000, 6)  # 0.032 * 1000 = 32.000000000000004
    return max(1, math.ceil(nimg / global_batch))
