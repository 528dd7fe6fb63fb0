# Copyright (c) mmgen-ada contributors. All rights reserved.
"""StyleGAN2 generator (Karras et al. 2020), as in NVlabs StyleGAN2-ADA."""
import math
from typing import Optional, Sequence

import torch
from mmengine.model import BaseModule

from mmgen_ada.image_size import SizeArg, compact_size, parse_image_size
from mmgen_ada.models.argument_checks import check_real
from mmgen_ada.models.mmagic_compat import (colour_flag_is_identity,
                                            fp16_scales, load_pretrained,
                                            refuse_unless,
                                            resample_filter_from_blur_kernel,
                                            style_mixing_prob)
from mmgen_ada.ops import setup_filter
from mmgen_ada.registry import MODELS
from .mapping_network import MappingNetwork
from .stylegan2_modules import stylegan2_channels
from .synthesis_network import SynthesisNetwork


@MODELS.register_module()
class StyleGANv2Generator(BaseModule):
    """StyleGAN2 generator: mapping network + skip synthesis network.

    Parameter layout and maths follow NVlabs ``stylegan2-ada-pytorch``
    (``training/networks.py``): raw parameters with run-time equalised-lr
    gains, so :mod:`.nvlabs_state_dict` converts official weights by
    renaming. Argument names follow MMagic's ``StyleGANv2Generator``.

    A rectangular generator (``out_size=(H, W)``, both powers of two, aspect
    at most 4:1) starts from a ``4 x 4*W/H`` (or ``4*H/W x 4``) constant and
    doubles both sides per block; its blocks and channels are those of a
    ``min(H, W)`` square generator (see :class:`SynthesisNetwork`).

    Args:
        out_size (int | tuple[int, int]): Output size: a power of two >= 4
            (square) or ``(H, W)``, height first.
        style_channels (int): Channels of ``w``. Defaults to 512.
        noise_size (int | None): Channels of ``z``; None = ``style_channels``.
            Defaults to None.
        out_channels (int): Image channels (3 = RGB, 1 = grayscale).
            Defaults to 3.
        cond_size (int | None): Label channels; 0 or None = unconditional.
            Defaults to 0.
        cond_mapping_channels (int | None): Label embedding channels; None =
            ``style_channels``. Defaults to None.
        num_mlps (int): Mapping layers. Defaults to 8.
        lr_mlp (float): Mapping learning-rate multiplier. Defaults to 0.01.
        channel_multiplier (int | None): If given, MMagic's channel table
            (see :func:`stylegan2_channels`); else the NVlabs rule with
            ``channel_base``/``channel_max``. Defaults to None.
        channel_base (int): NVlabs channel rule. Defaults to 32768.
        channel_max (int): NVlabs channel rule. Defaults to 512.
        conv_clamp (float | None): Clamp conv outputs to ``+-conv_clamp``
            (NVlabs uses 256 with mixed precision). Defaults to None.
        mix_prob (float): Style-mixing probability of :meth:`mix_styles`.
            Defaults to 0.9.
        w_avg_beta (float): Decay of the tracked ``w_avg``. Defaults to 0.995.
        num_fp16_scales (int): Highest resolutions run in float16 (CUDA only;
            float32 on CPU). Defaults to 0.
        resample_filter (Sequence[float]): FIR filter taps. Defaults to
            (1, 3, 3, 1).
        init_cfg (dict | None): mmengine init config (e.g. ``Pretrained``).
            Defaults to None.

    MMagic's other arguments (see docs/mmagic_compat.md):

    Args:
        blur_kernel (Sequence[float] | None): MMagic's name of
            ``resample_filter``. Defaults to None.
        default_style_mode (str): ``'mix'`` (train with style mixing at
            ``mix_prob``) or ``'single'`` (``mix_prob=0``). Defaults to
            ``'mix'``.
        eval_style_mode (str): ``'single'`` only (sampling never mixes).
        norm_eps (float): Epsilon of the 2nd-moment normalisation of ``z``
            (MMagic's ``PixelNorm``; MMagic's default is 1e-6, NVlabs'
            1e-8). Defaults to 1e-8.
        update_mean_latent_with_ema (bool): Accepted either way: ``w_avg``
            is always tracked with ``w_avg_beta``, as NVlabs (MMagic's True).
        fp16_enabled (bool): Every resolution in float16 (CUDA only), i.e.
            ``num_fp16_scales`` = all. Defaults to False.
        bgr2rgb (bool): Accepted, changes nothing (data and output are RGB
            here). Defaults to False.
        fixed_noise (bool): False only (noise inputs are redrawn each
            training pass, as NVlabs).
        pretrained (dict | None): ``dict(ckpt_path, prefix='',
            map_location='cpu', strict=True)``: weights loaded after
            construction, see
            :func:`~mmgen_ada.models.mmagic_compat.load_pretrained`.
    """

    def __init__(self,
                 out_size: SizeArg,
                 style_channels: int = 512,
                 noise_size: Optional[int] = None,
                 out_channels: int = 3,
                 cond_size: Optional[int] = 0,
                 cond_mapping_channels: Optional[int] = None,
                 num_mlps: int = 8,
                 lr_mlp: float = 0.01,
                 channel_multiplier: Optional[int] = None,
                 channel_base: int = 32768,
                 channel_max: int = 512,
                 conv_clamp: Optional[float] = None,
                 mix_prob: float = 0.9,
                 w_avg_beta: float = 0.995,
                 num_fp16_scales: int = 0,
                 resample_filter: Sequence[float] = (1, 3, 3, 1),
                 init_cfg: Optional[dict] = None,
                 blur_kernel: Optional[Sequence[float]] = None,
                 default_style_mode: str = 'mix',
                 eval_style_mode: str = 'single',
                 norm_eps: float = 1e-8,
                 update_mean_latent_with_ema: bool = False,
                 fp16_enabled: bool = False,
                 bgr2rgb: bool = False,
                 fixed_noise: bool = False,
                 pretrained: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        out_hw = parse_image_size(out_size, 'out_size')
        log2 = int(math.log2(min(out_hw)))
        name = type(self).__name__
        resample_filter = resample_filter_from_blur_kernel(
            name, blur_kernel, resample_filter)
        mix_prob = style_mixing_prob(name, default_style_mode,
                                     eval_style_mode, mix_prob)
        num_fp16_scales = fp16_scales(name, fp16_enabled, num_fp16_scales,
                                      log2 - 1)
        check_real('norm_eps', norm_eps, 0, low_open=True)
        refuse_unless(name, 'update_mean_latent_with_ema',
                      update_mean_latent_with_ema, (True, False),
                      'w_avg is always tracked, as NVlabs')
        refuse_unless(
            name, 'fixed_noise', fixed_noise, (False, ),
            'training draws fresh noise inputs every pass, as NVlabs; for '
            "fixed noise when sampling use noise_mode='const'")
        colour_flag_is_identity(name, 'bgr2rgb', bgr2rgb)
        noise_size = style_channels if noise_size is None else noise_size
        cond_size = cond_size or 0
        for name, value, low in (('style_channels', style_channels,
                                  1), ('noise_size', noise_size,
                                       1), ('out_channels', out_channels,
                                            1), ('cond_size', cond_size,
                                                 0), ('num_mlps', num_mlps, 1),
                                 ('num_fp16_scales', num_fp16_scales, 0)):
            if not isinstance(value, int) or value < low:
                raise ValueError(
                    f'{name} must be an int >= {low}, got {value!r}.')
        mix_prob = check_real('mix_prob', mix_prob, 0, 1)
        check_real('w_avg_beta', w_avg_beta, 0, 1)
        check_real('lr_mlp', lr_mlp, 0, low_open=True)
        check_real('conv_clamp', conv_clamp, 0, low_open=True, allow_none=True)
        self.out_size = compact_size(out_hw)  # n when square, else (H, W)
        self.out_hw = out_hw
        self.style_channels = style_channels
        self.noise_size = noise_size
        self.out_channels = out_channels
        self.cond_size = cond_size
        self.mix_prob = mix_prob

        channels = stylegan2_channels([2**i for i in range(2, log2 + 1)],
                                      channel_base, channel_max,
                                      channel_multiplier)
        self.synthesis = SynthesisNetwork(
            style_channels,
            self.out_size,
            out_channels,
            channels,
            setup_filter(list(resample_filter)),
            conv_clamp=conv_clamp,
            num_fp16_scales=num_fp16_scales)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(
            noise_size,
            cond_size,
            style_channels,
            num_ws=self.num_ws,
            num_layers=num_mlps,
            lr_mlp=lr_mlp,
            w_avg_beta=w_avg_beta,
            cond_mapping_channels=cond_mapping_channels,
            eps=norm_eps)
        load_pretrained(self, name, pretrained)

    @property
    def w_avg(self) -> torch.Tensor:
        """Tracked average style (style_channels,), the truncation centre."""
        return self.mapping.w_avg

    def mix_styles(self,
                   ws: torch.Tensor,
                   c: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Style mixing regularisation (NVlabs ``style_mixing_prob``).

        With probability ``mix_prob`` (one draw per batch, as NVlabs), draw
        ``cutoff ~ U{1, ..., num_ws - 1}`` and fresh latents ``z2``; styles
        ``ws[:, cutoff:]`` are replaced by ``mapping(z2, c)[:, cutoff:]``
        (``w_avg`` is not updated). Randomness comes from torch's global
        CPU generator and, for ``z2``, the generator of ``ws.device``.

        Args:
            ws (Tensor): Styles (N, num_ws, style_channels).
            c (Tensor | None): Labels (N, cond_size) used for ``z2``.

        Returns:
            Tensor: Mixed styles, same shape (``ws`` itself is not modified).
        """
        if self.mix_prob == 0 or self.num_ws < 2:
            return ws
        cutoff = int(torch.randint(1, self.num_ws, []))
        if float(torch.rand([])) >= self.mix_prob:
            return ws
        z2 = torch.randn([ws.shape[0], self.noise_size], device=ws.device)
        ws2 = self.mapping(z2, c)
        return torch.cat([ws[:, :cutoff], ws2[:, cutoff:]], dim=1)

    def forward(self,
                z: torch.Tensor,
                c: Optional[torch.Tensor] = None,
                truncation_psi: float = 1.,
                truncation_cutoff: Optional[int] = None,
                noise_mode: str = 'random') -> torch.Tensor:
        """Generate images: ``synthesis(mapping(z, c, ...), noise_mode)``.

        Args:
            z (Tensor): Latents (N, noise_size).
            c (Tensor | None): Labels (N, cond_size), None if unconditional.
            truncation_psi (float): Truncation strength, 1 = none.
            truncation_cutoff (int | None): Truncate only the first styles.
            noise_mode (str): 'random', 'const' or 'none'.

        Returns:
            Tensor: Float32 images (N, out_channels, H, W) with
            ``(H, W) = out_hw``, roughly in [-1, 1].
        """
        ws = self.mapping(
            z,
            c,
            truncation_psi=truncation_psi,
            truncation_cutoff=truncation_cutoff)
        return self.synthesis(ws, noise_mode=noise_mode)
