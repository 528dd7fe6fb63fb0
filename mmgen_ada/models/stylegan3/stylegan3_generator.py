# Copyright (c) mmgen-ada contributors. All rights reserved.
"""StyleGAN3 generator (Karras et al. 2021, "Alias-Free GANs")."""
from typing import Optional

import torch
from mmengine.model import BaseModule
from torch import Tensor

from mmgen_ada.models.mmagic_compat import (colour_flag_is_identity,
                                            load_pretrained)
from mmgen_ada.registry import MODELS
from ..stylegan2.mapping_network import MappingNetwork
from .stylegan3_filters import synthesis_schedule
from .stylegan3_modules import SynthesisInput, SynthesisLayer

_NOISE_MODES = ('random', 'const', 'none')


class SynthesisNetwork(BaseModule):
    """Alias-free synthesis network: Fourier features + filtered layers.

    Layer ``i`` (``0 <= i <= num_layers``, the last one is ToRGB) is named
    ``L{i}_{size}_{channels}`` as in the reference. The schedule comes from
    :func:`~mmgen_ada.models.stylegan3.stylegan3_filters.synthesis_schedule`.

    Args:
        style_channels (int): Dimension of w.
        out_size (int): Output resolution.
        img_channels (int): Output image channels.
        channel_base (int): Channel multiplier (64k for config R).
            Defaults to 32768.
        channel_max (int): Max channels (1024 for config R). Defaults to 512.
        num_layers (int): Layers excluding input and ToRGB. Defaults to 14.
        num_critical (int): Critically sampled layers at the end. Defaults
            to 2.
        first_cutoff (float): ``f_{c,0}``. Defaults to 2.
        first_stopband (float): ``f_{t,0}``. Defaults to ``2**2.1``.
        last_stopband_rel (float): ``f_{t,N} / f_{c,N}``. Defaults to
            ``2**0.3``.
        margin_size (int): Extra pixels per side. Defaults to 10.
        output_scale (float): Scale of the output image. Defaults to 0.25.
        num_fp16_res (int): Layers whose sampling rate is above
            ``out_size / 2**num_fp16_res`` run in float16 on CUDA. Defaults
            to 4.
        conv_kernel (int): 3 (config T) or 1 (config R). Defaults to 3.
        filter_size (int): Filter taps per unit of lower resolution.
            Defaults to 6.
        lrelu_upsampling (int): Oversampling of the nonlinearity. Defaults
            to 2.
        use_radial_filters (bool): Radial downsampling filters (config R).
            Defaults to False.
        conv_clamp (float, optional): Clamp of layer outputs. Defaults to
            256.
        magnitude_ema_beta (float): Decay of the input magnitude EMAs; the
            reference derives ``0.5 ** (batch_size / 20000)``. Defaults to
            0.999.
        init_cfg (dict, optional): mmengine init config. Defaults to None.
    """

    def __init__(self,
                 style_channels: int,
                 out_size: int,
                 img_channels: int,
                 channel_base: int = 32768,
                 channel_max: int = 512,
                 num_layers: int = 14,
                 num_critical: int = 2,
                 first_cutoff: float = 2.,
                 first_stopband: float = 2**2.1,
                 last_stopband_rel: float = 2**0.3,
                 margin_size: int = 10,
                 output_scale: float = 0.25,
                 num_fp16_res: int = 4,
                 conv_kernel: int = 3,
                 filter_size: int = 6,
                 lrelu_upsampling: int = 2,
                 use_radial_filters: bool = False,
                 conv_clamp: Optional[float] = 256,
                 magnitude_ema_beta: float = 0.999,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if conv_kernel not in (1, 3):
            raise ValueError(f'conv_kernel must be 1 or 3, got {conv_kernel}')
        self.style_channels = style_channels
        self.out_size = out_size
        self.img_channels = img_channels
        self.num_layers = num_layers
        self.num_ws = num_layers + 2
        self.output_scale = output_scale
        self.schedule = synthesis_schedule(
            out_size=out_size,
            img_channels=img_channels,
            channel_base=channel_base,
            channel_max=channel_max,
            num_layers=num_layers,
            num_critical=num_critical,
            first_cutoff=first_cutoff,
            first_stopband=first_stopband,
            last_stopband_rel=last_stopband_rel,
            margin_size=margin_size)
        sch = self.schedule
        self.input = SynthesisInput(
            style_channels=style_channels,
            channels=int(sch.channels[0]),
            size=int(sch.sizes[0]),
            sampling_rate=sch.sampling_rates[0],
            bandwidth=sch.cutoffs[0])
        self.layer_names = []
        for idx in range(num_layers + 1):
            prev = max(idx - 1, 0)
            layer = SynthesisLayer(
                style_channels=style_channels,
                is_torgb=idx == num_layers,
                is_critically_sampled=idx >= num_layers - num_critical,
                use_fp16=bool(
                    sch.sampling_rates[idx] * 2**num_fp16_res > out_size),
                in_channels=int(sch.channels[prev]),
                out_channels=int(sch.channels[idx]),
                in_size=int(sch.sizes[prev]),
                out_size=int(sch.sizes[idx]),
                in_sampling_rate=int(sch.sampling_rates[prev]),
                out_sampling_rate=int(sch.sampling_rates[idx]),
                in_cutoff=float(sch.cutoffs[prev]),
                out_cutoff=float(sch.cutoffs[idx]),
                in_half_width=float(sch.half_widths[prev]),
                out_half_width=float(sch.half_widths[idx]),
                conv_kernel=conv_kernel,
                filter_size=filter_size,
                lrelu_upsampling=lrelu_upsampling,
                use_radial_filters=use_radial_filters,
                conv_clamp=conv_clamp,
                magnitude_ema_beta=magnitude_ema_beta)
            name = f'L{idx}_{layer.out_size}_{layer.out_channels}'
            self.add_module(name, layer)
            self.layer_names.append(name)

    def forward(self,
                ws: Tensor,
                noise_mode: str = 'const',
                force_fp32: bool = False,
                update_emas: bool = False) -> Tensor:
        """Synthesise images from ws.

        Args:
            ws (Tensor): ``(N, num_ws, style_channels)``.
            noise_mode (str): Accepted for API parity with StyleGAN2
                (``'random'|'const'|'none'``); StyleGAN3 has no noise inputs.
            force_fp32 (bool): Disable float16 layers. Defaults to False.
            update_emas (bool): Update the layers' magnitude EMAs.

        Returns:
            Tensor: float32 images ``(N, img_channels, out_size, out_size)``,
            roughly in ``[-1, 1]``.
        """
        if noise_mode not in _NOISE_MODES:
            raise ValueError(f'noise_mode must be one of {_NOISE_MODES}, '
                             f'got {noise_mode!r}')
        if ws.ndim != 3 or ws.shape[1:] != (self.num_ws,
                                            self.style_channels):
            raise ValueError(
                f'ws must have shape (N, {self.num_ws}, '
                f'{self.style_channels}), got {tuple(ws.shape)}')
        ws = ws.to(torch.float32).unbind(dim=1)
        x = self.input(ws[0])
        for name, w in zip(self.layer_names, ws[1:]):
            x = getattr(self, name)(
                x, w, force_fp32=force_fp32, update_emas=update_emas)
        if self.output_scale != 1:
            x = x * self.output_scale
        return x.to(torch.float32)


def _check_cfg(cfg: Optional[dict], arg: str, type_name: str,
               valid: tuple) -> dict:
    """Copy of an MMagic-style sub-config without ``type``; rejects typos."""
    cfg = dict(cfg or {})
    cfg_type = cfg.pop('type', type_name)
    if cfg_type != type_name:
        raise ValueError(f'{arg}.type must be {type_name!r}, got '
                         f'{cfg_type!r}')
    unknown = sorted(set(cfg) - set(valid))
    if unknown:
        raise KeyError(f'unknown {arg} keys {unknown}; valid keys are '
                       f"{sorted(valid) + ['type']}")
    return cfg


@MODELS.register_module()
class StyleGANv3Generator(BaseModule):
    """StyleGAN3 generator, configs T (translation) and R (rotation).

    Config T: ``conv_kernel=3``, separable Kaiser filters. Config R:
    ``synthesis_cfg=dict(conv_kernel=1, use_radial_filters=True,
    channel_base=65536, channel_max=1024)``. The generator is split into
    :attr:`mapping` (z, c -> ws, a
    :class:`~mmgen_ada.models.stylegan2.MappingNetwork`) and
    :attr:`synthesis` (ws -> image). Parameter names are those of NVlabs
    ``networks_stylegan3.Generator`` (``mapping.*``, ``synthesis.input.*``,
    ``synthesis.L{i}_{size}_{channels}.*``), so official state dicts load
    as they are.

    Args:
        out_size (int): Output resolution (power of two, >= 16).
        style_channels (int): Dimension of w. Defaults to 512.
        img_channels (int): Output channels (RGB order). Defaults to 3.
        noise_size (int, optional): Dimension of z; None = ``style_channels``.
        cond_size (int): Label dimension, 0 = unconditional. Defaults to 0.
        synthesis_cfg (dict, optional): MMagic-style options of the
            synthesis network (``type='SynthesisNetwork'`` optional), any of
            ``channel_base, channel_max, num_layers, num_critical,
            first_cutoff, first_stopband, last_stopband_rel, margin_size,
            output_scale, num_fp16_res, conv_kernel, filter_size,
            lrelu_upsampling, use_radial_filters, conv_clamp,
            magnitude_ema_beta``; see :class:`SynthesisNetwork`.
        mapping_cfg (dict, optional): MMagic-style options of the mapping
            network (``type='MappingNetwork'`` optional): ``num_layers``
            (default 2), ``lr_multiplier`` (0.01), ``w_avg_beta`` (0.998).
        mix_prob (float): Style-mixing probability used by
            :meth:`mix_styles`; the StyleGAN3 reference disables it.
            Defaults to 0.
        rgb2bgr (bool): MMagic's flag that turns the RGB output into its
            BGR data order; accepted and changes nothing here, where data
            and output are RGB (flipping would swap G's colours against the
            reals). Defaults to False.
        init_cfg (dict, optional): mmengine init config. Defaults to None.
        pretrained (dict, optional): MMagic's ``dict(ckpt_path, prefix='',
            map_location='cpu', strict=True)``, see
            :func:`~mmgen_ada.models.mmagic_compat.load_pretrained`.
    """

    _SYNTHESIS_KEYS = ('channel_base', 'channel_max', 'num_layers',
                       'num_critical', 'first_cutoff', 'first_stopband',
                       'last_stopband_rel', 'margin_size', 'output_scale',
                       'num_fp16_res', 'conv_kernel', 'filter_size',
                       'lrelu_upsampling', 'use_radial_filters', 'conv_clamp',
                       'magnitude_ema_beta')
    _MAPPING_KEYS = ('num_layers', 'lr_multiplier', 'w_avg_beta')

    def __init__(self,
                 out_size: int,
                 style_channels: int = 512,
                 img_channels: int = 3,
                 noise_size: Optional[int] = None,
                 cond_size: int = 0,
                 synthesis_cfg: Optional[dict] = None,
                 mapping_cfg: Optional[dict] = None,
                 mix_prob: float = 0.,
                 rgb2bgr: bool = False,
                 init_cfg: Optional[dict] = None,
                 pretrained: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(out_size, (tuple, list)):
            raise ValueError(
                f'StyleGANv3Generator: out_size must be an int (square '
                f'images), got {out_size!r}. Rectangular StyleGAN3 output is '
                'not supported: its synthesis input samples Fourier features '
                'on a square grid and its alias-free filters (cutoffs, '
                'sampling rates, margins) are designed per square side. For '
                'rectangular data use StyleGANv2Generator with out_size=(H, '
                'W) (docs/stylegan3.md), or crop/pad the data to square.')
        if out_size < 16 or out_size & (out_size - 1):
            raise ValueError(
                f'out_size must be a power of two >= 16, got {out_size}')
        if not 0 <= mix_prob <= 1:
            raise ValueError(f'mix_prob must be in [0, 1], got {mix_prob}')
        self.out_size = out_size
        self.style_channels = style_channels
        self.img_channels = img_channels
        self.out_channels = img_channels
        self.noise_size = style_channels if noise_size is None else \
            noise_size
        self.cond_size = cond_size
        self.mix_prob = mix_prob
        colour_flag_is_identity(type(self).__name__, 'rgb2bgr', rgb2bgr)
        synthesis_kwargs = _check_cfg(synthesis_cfg, 'synthesis_cfg',
                                      'SynthesisNetwork',
                                      self._SYNTHESIS_KEYS)
        mapping_kwargs = dict(num_layers=2, lr_multiplier=0.01,
                              w_avg_beta=0.998)
        mapping_kwargs.update(
            _check_cfg(mapping_cfg, 'mapping_cfg', 'MappingNetwork',
                       self._MAPPING_KEYS))
        self.synthesis = SynthesisNetwork(
            style_channels=style_channels,
            out_size=out_size,
            img_channels=img_channels,
            **synthesis_kwargs)
        self.num_ws = self.synthesis.num_ws
        # The StyleGAN2 mapping network with the StyleGAN3 defaults;
        # ``mapping(z, c, truncation_psi, truncation_cutoff, update_w_avg)``
        # -> ws (N, num_ws, style_channels).
        self.mapping = MappingNetwork(
            noise_size=self.noise_size,
            cond_size=cond_size,
            style_channels=style_channels,
            num_ws=self.num_ws,
            num_layers=mapping_kwargs['num_layers'],
            lr_mlp=mapping_kwargs['lr_multiplier'],
            w_avg_beta=mapping_kwargs['w_avg_beta'])
        load_pretrained(self, type(self).__name__, pretrained)

    @property
    def w_avg(self) -> Tensor:
        """Tracked mean of w, ``(style_channels,)``."""
        return self.mapping.w_avg

    def mix_styles(self, ws: Tensor, c: Optional[Tensor] = None) -> Tensor:
        """Style mixing regularisation (reference ``style_mixing_prob``).

        With probability :attr:`mix_prob` draws a cutoff ``k ~ U[1, num_ws)``
        and replaces ``ws[:, k:]`` by the ws of fresh latents (one cutoff per
        batch, as the reference). With ``mix_prob == 0`` returns ``ws``.

        Args:
            ws (Tensor): ``(N, num_ws, style_channels)``.
            c (Tensor, optional): Labels ``(N, cond_size)``.

        Returns:
            Tensor: Mixed ws of the same shape.
        """
        if self.mix_prob == 0 or torch.rand([]).item() >= self.mix_prob:
            return ws
        cutoff = int(torch.randint(1, self.num_ws, []).item())
        z2 = torch.randn(ws.shape[0], self.noise_size, device=ws.device)
        ws = ws.clone()
        ws[:, cutoff:] = self.mapping(z2, c)[:, cutoff:]
        return ws

    def forward(self,
                z: Tensor,
                c: Optional[Tensor] = None,
                truncation_psi: float = 1.,
                truncation_cutoff: Optional[int] = None,
                noise_mode: str = 'random',
                force_fp32: bool = False,
                update_emas: bool = False) -> Tensor:
        """Generate images from latents.

        Args:
            z (Tensor): Latents ``(N, noise_size)``.
            c (Tensor, optional): Labels ``(N, cond_size)``.
            truncation_psi (float): Truncation strength, 1 = none.
            truncation_cutoff (int, optional): Number of truncated ws.
            noise_mode (str): API parity with StyleGAN2; unused.
            force_fp32 (bool): Disable float16 layers on CUDA.
            update_emas (bool): Update w_avg and the magnitude EMAs (the
                reference does this in the discriminator step).

        Returns:
            Tensor: float32 images ``(N, img_channels, out_size, out_size)``,
            roughly in ``[-1, 1]``.
        """
        ws = self.mapping(
            z,
            c,
            truncation_psi=truncation_psi,
            truncation_cutoff=truncation_cutoff,
            update_w_avg=update_emas)
        img = self.synthesis(
            ws,
            noise_mode=noise_mode,
            force_fp32=force_fp32,
            update_emas=update_emas)
        return img
