# Copyright (c) mmgen-ada contributors. All rights reserved.
"""StyleGAN3 training: the StyleGAN2(-ADA) recipe with the reference's
StyleGAN3 differences (NVlabs stylegan3 ``train.py`` / ``loss.py``)."""
import math
from typing import Optional, Tuple

import torch
from torch import Tensor

from mmgen_ada.models.argument_checks import check_real
from mmgen_ada.models.mmagic_compat import MMagicArgumentError
from mmgen_ada.ops import filter2d
from mmgen_ada.registry import MODELS
from ..stylegan2.stylegan2 import StyleGAN2, _unwrap


def blur_images(img: Tensor, sigma: float) -> Tensor:
    """Gaussian-like blur of D's inputs used while training config R.

    The separable filter is ``2 ** -(x / sigma)**2`` for integer ``|x| <=
    floor(3 sigma)``, normalised to unit sum; sizes are kept. ``sigma`` with
    ``floor(3 sigma) == 0`` returns ``img`` unchanged.

    Args:
        img (Tensor): Images ``(N, C, H, W)``.
        sigma (float): Blur width in pixels, >= 0.

    Returns:
        Tensor: Blurred images, same shape.
    """
    blur_size = math.floor(sigma * 3)
    if blur_size <= 0:
        return img
    taps = torch.arange(
        -blur_size, blur_size + 1, device=img.device,
        dtype=torch.float32).div(sigma).square().neg().exp2()
    return filter2d(img, taps / taps.sum())


#: MMagic's default generator arguments per phase: what the phases here do.
MMAGIC_FORWARD_KWARGS = dict(
    disc=dict(update_emas=True, force_fp32=False),
    gen=dict(force_fp32=False))


def _check_forward_kwargs(forward_kwargs: Optional[dict]) -> None:
    """Accept MMagic's ``forward_kwargs`` when it states the phases'
    behaviour here, refuse anything else with the reason."""
    if forward_kwargs is None:
        return
    if not isinstance(forward_kwargs, dict) or not set(forward_kwargs) <= {
            'disc', 'gen'
    }:
        raise MMagicArgumentError(
            f'StyleGAN3(forward_kwargs={forward_kwargs!r}): expected a dict '
            "with keys 'disc' and/or 'gen'")
    for phase, default in MMAGIC_FORWARD_KWARGS.items():
        given = forward_kwargs.get(phase, default)
        if given != default:
            raise MMagicArgumentError(
                f'StyleGAN3(forward_kwargs[{phase!r}]={given!r}): only '
                f'{default!r} is supported: the generator updates its '
                'moving averages in the discriminator phase only and runs '
                'its float16 layers in training (CUDA), as NVlabs')


@MODELS.register_module()
class StyleGAN3(StyleGAN2):
    """StyleGAN3 (Karras et al. 2021) with optional ADA.

    Same phases as :class:`~mmgen_ada.models.stylegan2.StyleGAN2`, with the
    reference's StyleGAN3 settings:

    - no path-length regularisation (``pl_weight=0``) and no lazy G
      regularisation (``pl_interval=None``, so G's Adam is not rescaled);
    - ``r1_gamma`` has no default: it must be set per dataset (or via
      MMagic's ``loss_config['r1_loss_weight']``);
    - w_avg and the synthesis layers' magnitude EMAs are updated only by the
      generator pass of the discriminator phase (reference
      ``update_emas=True`` in Dmain), and G runs its float16 layers in
      training (``force_fp32=False``; CUDA only);
    - optionally every image D sees (reals, fakes, R1 reals) is blurred
      first, with ``sigma = blur_init_sigma * max(1 - cur_nimg /
      (blur_fade_kimg * 1000), 0)``, before D's own ADA augmentation
      (config R: ``blur_init_sigma=10``, ``blur_fade_kimg=200 * batch / 32``;
      0 when fine-tuning from a checkpoint, as the reference on resume).

    Style mixing is the generator's ``mix_prob`` (0 for StyleGAN3).

    Args:
        generator (dict): Config of the generator, e.g.
            ``dict(type='StyleGANv3Generator', out_size=256, ...)``.
        discriminator (dict): Config of the discriminator, e.g.
            ``dict(type='ADAStyleGAN2Discriminator', in_size=256, ...)``.
        data_preprocessor (dict, optional): See ``StyleGAN2``.
        r1_gamma (float, optional): R1 weight gamma; required unless
            ``loss_config`` gives ``r1_loss_weight``.
        r1_interval (int, optional): Lazy R1 interval. Defaults to 16.
        pl_weight (float): Path-length weight. Defaults to 0.
        pl_interval (int, optional): Lazy G-regularisation interval.
            Defaults to None.
        pl_decay (float): See ``StyleGAN2``. Defaults to 0.01.
        pl_batch_shrink (int): See ``StyleGAN2``. Defaults to 2.
        blur_init_sigma (float): Initial blur sigma in pixels, >= 0.
            Defaults to 0 (no blur).
        blur_fade_kimg (float): Thousands of real images over which the blur
            fades out linearly, >= 0; 0 disables the blur. Defaults to 0.
        ema_config (dict, optional): See ``StyleGAN2``.
        batch_gpu (int, optional): Micro-batch size, see ``StyleGAN2``.
        loss_config (dict, optional): MMagic-style regularisation keys, see
            ``StyleGAN2``.
        lecam_weight (float): LeCam weight, see ``StyleGAN2``. Defaults to 0.
        lecam_decay (float): LeCam anchor decay, see ``StyleGAN2``. Defaults
            to 0.99.
        apa (dict, optional): Adaptive pseudo augmentation, see
            ``StyleGAN2``. Defaults to None.
        init_cfg (dict, optional): mmengine weight-init config.
        generator_steps (int): MMagic's G steps per iteration; 1 only.
        discriminator_steps (int): MMagic's D steps per iteration; 1 only.
        forward_kwargs (dict, optional): MMagic's generator arguments per
            phase; only its defaults, ``dict(disc=dict(update_emas=True,
            force_fp32=False), gen=dict(force_fp32=False))`` (missing keys
            take them), which is what the phases here do.
    """

    def __init__(self,
                 generator: dict,
                 discriminator: dict,
                 data_preprocessor: Optional[dict] = None,
                 r1_gamma: Optional[float] = None,
                 r1_interval: Optional[int] = 16,
                 pl_weight: float = 0.,
                 pl_interval: Optional[int] = None,
                 pl_decay: float = 0.01,
                 pl_batch_shrink: int = 2,
                 blur_init_sigma: float = 0.,
                 blur_fade_kimg: float = 0.,
                 ema_config: Optional[dict] = None,
                 batch_gpu: Optional[int] = None,
                 loss_config: Optional[dict] = None,
                 lecam_weight: float = 0.,
                 lecam_decay: float = 0.99,
                 apa: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 generator_steps: int = 1,
                 discriminator_steps: int = 1,
                 forward_kwargs: Optional[dict] = None) -> None:
        _check_forward_kwargs(forward_kwargs)
        if r1_gamma is None and 'r1_loss_weight' not in (loss_config or {}):
            raise ValueError(
                'StyleGAN3 needs r1_gamma (the reference has no default, '
                'e.g. 6.6 for MetFaces config T, 3.3 for config R); got None')
        blur_init_sigma = check_real('blur_init_sigma', blur_init_sigma, 0)
        blur_fade_kimg = check_real('blur_fade_kimg', blur_fade_kimg, 0)
        check_real('r1_gamma', r1_gamma, low=0, allow_none=True)
        super().__init__(
            generator=generator,
            discriminator=discriminator,
            data_preprocessor=data_preprocessor,
            r1_gamma=10. if r1_gamma is None else r1_gamma,  # loss_config
            r1_interval=r1_interval,
            pl_weight=pl_weight,
            pl_interval=pl_interval,
            pl_decay=pl_decay,
            pl_batch_shrink=pl_batch_shrink,
            ema_config=ema_config,
            batch_gpu=batch_gpu,
            loss_config=loss_config,
            lecam_weight=lecam_weight,
            lecam_decay=lecam_decay,
            apa=apa,
            init_cfg=init_cfg,
            generator_steps=generator_steps,
            discriminator_steps=discriminator_steps)
        self.blur_init_sigma = float(blur_init_sigma)
        self.blur_fade_kimg = float(blur_fade_kimg)
        self._update_emas = False

    @property
    def blur_sigma(self) -> float:
        """Current blur sigma of D's inputs, from the checkpointed
        ``cur_nimg``."""
        if self.blur_fade_kimg <= 0:
            return 0.
        fade = max(1 - int(self.cur_nimg) / (self.blur_fade_kimg * 1e3), 0)
        return fade * self.blur_init_sigma

    def run_G(self,
              z: Tensor,
              c: Optional[Tensor],
              update_emas: bool = True) -> Tuple[Tensor, Tensor]:
        """Training-mode generator pass; EMAs only in the D phase (and only
        with ``update_emas``).

        Returns:
            tuple[Tensor, Tensor]: images ``(N, C, H, W)`` in about [-1, 1]
            and the styles ``(N, num_ws, style_channels)``.
        """
        G = _unwrap(self.generator)
        update_emas = update_emas and self._update_emas
        ws = G.mapping(z, c, update_w_avg=update_emas)
        ws = G.mix_styles(ws, c)
        img = G.synthesis(ws, force_fp32=False, update_emas=update_emas)
        return img, ws

    def run_D(self,
              img: Tensor,
              c: Optional[Tensor],
              is_real: bool = False,
              repeated_reals: bool = False) -> Tensor:
        """Blur (while ``blur_sigma`` is large enough), then D (which
        augments internally when ADA-capable)."""
        return super().run_D(
            blur_images(img, self.blur_sigma), c, is_real, repeated_reals)

    def _d_phases(self, *args, **kwargs) -> None:
        self._update_emas = True
        try:
            super()._d_phases(*args, **kwargs)
        finally:
            self._update_emas = False
