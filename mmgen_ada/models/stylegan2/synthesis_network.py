# Copyright (c) mmgen-ada contributors. All rights reserved.
"""StyleGAN2 synthesis network ``g: ws -> image`` (skip architecture).

Module and parameter names (``b{res}.conv0``, ``conv1``, ``torgb``,
``affine``, ``noise_const``, ``noise_strength``, ``const``) follow the
NVlabs StyleGAN2-ADA state dict, so converting weights is mostly renaming.
"""
import math
from typing import Dict, Optional, Tuple, Union

import torch
import torch.nn as nn

from mmgen_ada.image_size import SizeArg, aspect_factors, parse_image_size
from mmgen_ada.ops import bias_act, upsample2d
from .mixed_precision import autocast_disabled, low_precision_dtype
from .stylegan2_modules import (ACT_GAINS, EqualizedLinear,
                                choose_fused_modconv, modulated_conv2d)

NOISE_MODES = ('random', 'const', 'none')


class SynthesisLayer(nn.Module):
    """Modulated 3x3 conv + noise + bias + leaky ReLU (gain sqrt(2)).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        style_channels (int): Channels of ``w``.
        resolution (int | tuple[int, int]): Output size, ``n`` (square) or
            ``(H, W)``; the shape of the noise maps.
        up (int): 1, or 2 to upsample (transposed conv + FIR filter).
            Defaults to 1.
        resample_filter (Tensor | None): FIR filter for ``up=2``.
        conv_clamp (float | None): Clamp outputs to ``+-conv_clamp``.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 style_channels: int,
                 resolution: Union[int, Tuple[int, int]],
                 up: int = 1,
                 resample_filter: Optional[torch.Tensor] = None,
                 conv_clamp: Optional[float] = None,
                 kernel_size: int = 3):
        super().__init__()
        self.resolution = parse_image_size(resolution, 'resolution')  # (H, W)
        self.up = up
        self.conv_clamp = conv_clamp
        self.padding = kernel_size // 2
        self.act_gain = ACT_GAINS['lrelu']
        if up > 1:
            self.register_buffer(
                'resample_filter', resample_filter, persistent=False)
        else:
            self.resample_filter = None
        # Styles start at 1 (bias_init) so modulation is the identity at init.
        self.affine = EqualizedLinear(style_channels, in_channels, bias_init=1)
        self.weight = nn.Parameter(
            torch.randn([out_channels, in_channels, kernel_size, kernel_size]))
        self.register_buffer('noise_const', torch.randn(self.resolution))
        self.noise_strength = nn.Parameter(torch.zeros([]))
        self.bias = nn.Parameter(torch.zeros([out_channels]))

    def forward(self,
                x: torch.Tensor,
                w: torch.Tensor,
                noise_mode: str = 'random',
                fused_modconv: bool = True,
                gain: float = 1.) -> torch.Tensor:
        """(N, I, H / up, W / up), w (N, style_channels) -> (N, O, H, W)."""
        styles = self.affine(w)  # [NI]
        noise = None
        if noise_mode == 'random':
            noise = torch.randn(
                [x.shape[0], 1, *self.resolution],
                device=x.device) * self.noise_strength  # [N1HW]
        elif noise_mode == 'const':
            noise = self.noise_const * self.noise_strength  # [HW]
        x = modulated_conv2d(
            x,
            self.weight,
            styles,
            noise=noise,
            up=self.up,
            padding=self.padding,
            resample_filter=self.resample_filter,
            flip_weight=(self.up == 1),
            fused_modconv=fused_modconv)
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return bias_act(
            x,
            self.bias.to(x.dtype),
            act='lrelu',
            gain=self.act_gain * gain,
            clamp=clamp)

    def extra_repr(self) -> str:
        out_c, in_c, k, _ = self.weight.shape
        return (f'{in_c}, {out_c}, kernel_size={k}, '
                f'resolution={_size_repr(self.resolution)}, up={self.up}, '
                f'conv_clamp={self.conv_clamp}')


class ToRGBLayer(nn.Module):
    """Modulated 1x1 conv to image channels, no demodulation, linear.

    Args:
        in_channels (int): Feature channels.
        out_channels (int): Image channels.
        style_channels (int): Channels of ``w``.
        conv_clamp (float | None): Clamp outputs. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 style_channels: int,
                 conv_clamp: Optional[float] = None):
        super().__init__()
        self.conv_clamp = conv_clamp
        self.affine = EqualizedLinear(style_channels, in_channels, bias_init=1)
        self.weight = nn.Parameter(
            torch.randn([out_channels, in_channels, 1, 1]))
        self.bias = nn.Parameter(torch.zeros([out_channels]))
        self.weight_gain = 1 / math.sqrt(in_channels)

    def forward(self,
                x: torch.Tensor,
                w: torch.Tensor,
                fused_modconv: bool = True) -> torch.Tensor:
        """(N, C, H, W), w (N, style_channels) -> (N, out_channels, H, W)."""
        # Without demodulation the equalised-lr gain goes into the styles.
        styles = self.affine(w) * self.weight_gain  # [NI]
        x = modulated_conv2d(
            x,
            self.weight,
            styles,
            demodulate=False,
            fused_modconv=fused_modconv)
        return bias_act(x, self.bias.to(x.dtype), clamp=self.conv_clamp)

    def extra_repr(self) -> str:
        out_c, in_c, _, _ = self.weight.shape
        return f'{in_c}, {out_c}, conv_clamp={self.conv_clamp}'


class SynthesisBlock(nn.Module):
    """One resolution of the skip generator: (up-)conv, conv, ToRGB.

    The first block (4x4, or ``4 x 4*aspect`` for a rectangular generator)
    starts from a learned constant and has one conv; others
    upsample with ``conv0`` (up=2). The running image is FIR-upsampled and
    the block's ToRGB output added (skip architecture).

    Args:
        in_channels (int): Input channels, 0 for the first (4x4) block.
        out_channels (int): Output channels.
        style_channels (int): Channels of ``w``.
        resolution (int | tuple[int, int]): Output size of the block, ``n``
            or ``(H, W)``.
        img_channels (int): Image channels.
        resample_filter (Tensor): 2-D FIR filter (``setup_filter`` output).
        conv_clamp (float | None): Clamp of conv outputs. Defaults to None.
        use_fp16 (bool): One of the float16 blocks (float16 on CUDA, and on
            CPU inside a float16 autocast; see :mod:`.mixed_precision`).
            Defaults to False.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 style_channels: int,
                 resolution: Union[int, Tuple[int, int]],
                 img_channels: int,
                 resample_filter: torch.Tensor,
                 conv_clamp: Optional[float] = None,
                 use_fp16: bool = False):
        super().__init__()
        self.in_channels = in_channels
        self.resolution = parse_image_size(resolution, 'resolution')  # (H, W)
        self.img_channels = img_channels
        self.use_fp16 = use_fp16
        self.register_buffer(
            'resample_filter', resample_filter, persistent=False)
        if in_channels == 0:
            self.const = nn.Parameter(
                torch.randn([out_channels, *self.resolution]))
        else:
            self.conv0 = SynthesisLayer(
                in_channels,
                out_channels,
                style_channels,
                resolution,
                up=2,
                resample_filter=resample_filter,
                conv_clamp=conv_clamp)
        self.conv1 = SynthesisLayer(
            out_channels,
            out_channels,
            style_channels,
            resolution,
            conv_clamp=conv_clamp)
        self.torgb = ToRGBLayer(
            out_channels, img_channels, style_channels, conv_clamp=conv_clamp)
        self.num_conv = 1 if in_channels == 0 else 2
        self.num_torgb = 1

    def forward(
        self,
        x: Optional[torch.Tensor],
        img: Optional[torch.Tensor],
        ws: torch.Tensor,
        noise_mode: str = 'random',
        force_fp32: bool = False,
        fused_modconv: Optional[bool] = None
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Run the block.

        Args:
            x (Tensor | None): Features (N, in_channels, H/2, W/2); None for
                the first block.
            img (Tensor | None): Image so far (N, img_channels, H/2, W/2),
                float32; None for the first block.
            ws (Tensor): Styles (N, num_conv + num_torgb, style_channels).
            noise_mode (str): 'random', 'const' or 'none'.
            force_fp32 (bool): Disable float16. Defaults to False.
            fused_modconv (bool | None): None = what is faster on the
                device (:func:`.stylegan2_modules.choose_fused_modconv`).

        Returns:
            tuple[Tensor, Tensor]: Features (N, out_channels, H, W), float16
            in a float16 block, and the float32 image (N, img_channels, H, W).
        """
        low = low_precision_dtype(self.use_fp16, force_fp32, ws.device)
        with autocast_disabled(ws.device):
            return self._run(x, img, ws, noise_mode, low, fused_modconv)

    def _run(
            self, x: Optional[torch.Tensor], img: Optional[torch.Tensor],
            ws: torch.Tensor, noise_mode: str, low: Optional[torch.dtype],
            fused_modconv: Optional[bool]
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The block's computation with autocast off (see :meth:`forward`);
        ``low`` is the low-precision dtype of the features, if any."""
        # The image stays in the parameter dtype (float32, or float64 if the
        # network was cast for gradcheck); features may be float16/bfloat16.
        img_dtype = self.conv1.weight.dtype
        dtype = img_dtype if low is None else low
        use_fp16 = low is not None
        if fused_modconv is None:
            fused_modconv = choose_fused_modconv(ws.device, self.training,
                                                 use_fp16, ws.shape[0])
        w_iter = iter(ws.unbind(dim=1))
        if self.in_channels == 0:
            x = self.const.to(dtype).unsqueeze(0).repeat(
                [ws.shape[0], 1, 1, 1])  # [NCHW]
            x = self.conv1(x, next(w_iter), noise_mode, fused_modconv)
        else:
            x = x.to(dtype)
            x = self.conv0(x, next(w_iter), noise_mode, fused_modconv)
            x = self.conv1(x, next(w_iter), noise_mode, fused_modconv)

        if img is not None:
            img = upsample2d(img, self.resample_filter)  # [NCHW] float32
        y = self.torgb(x, next(w_iter), fused_modconv).to(img_dtype)
        img = img + y if img is not None else y
        return x, img


class SynthesisNetwork(nn.Module):
    """Stack of :class:`SynthesisBlock` from 4x4 to ``out_size``.

    A rectangular ``out_size=(H, W)`` starts from a ``4*H/s x 4*W/s``
    constant (``s = min(H, W)``) and doubles both sides per block, so there
    is one block per power of two of the shorter side. Blocks are named and
    given channels by their shorter side (``b4``, ``b8``, ..., ``b{s}``),
    as the blocks of an ``s x s`` generator.

    Args:
        style_channels (int): Channels of ``w``.
        out_size (int | tuple[int, int]): Output size, a power of two >= 4
            or ``(H, W)`` (see :mod:`mmgen_ada.image_size`).
        out_channels (int): Image channels.
        channels (dict[int, int]): Feature channels per block, keyed by the
            block's shorter side.
        resample_filter (Tensor): 2-D FIR filter (``setup_filter`` output).
        conv_clamp (float | None): Clamp of conv outputs. Defaults to None.
        num_fp16_scales (int): Run the highest ``num_fp16_scales``
            resolutions (never 4x4) in float16 on CUDA (and on CPU inside
            ``torch.autocast('cpu', dtype=torch.float16)``). Defaults to 0.
    """

    def __init__(self,
                 style_channels: int,
                 out_size: SizeArg,
                 out_channels: int,
                 channels: Dict[int, int],
                 resample_filter: torch.Tensor,
                 conv_clamp: Optional[float] = None,
                 num_fp16_scales: int = 0):
        super().__init__()
        self.style_channels = style_channels
        self.out_hw = parse_image_size(out_size, 'out_size')
        self.out_size = out_size
        aspect_h, aspect_w = aspect_factors(self.out_hw)
        log2 = int(math.log2(min(self.out_hw)))
        self.block_resolutions = [2**i for i in range(2, log2 + 1)]
        fp16_resolution = max(2**(log2 + 1 - num_fp16_scales), 8)
        self.num_ws = 0
        for res in self.block_resolutions:
            block = SynthesisBlock(
                channels[res // 2] if res > 4 else 0,
                channels[res],
                style_channels, (res * aspect_h, res * aspect_w),
                out_channels,
                resample_filter,
                conv_clamp=conv_clamp,
                use_fp16=res >= fp16_resolution)
            self.num_ws += block.num_conv
            self.add_module(f'b{res}', block)
        self.num_ws += 1  # the last ToRGB; the others share the next conv0's w

    def forward(self,
                ws: torch.Tensor,
                noise_mode: str = 'random',
                force_fp32: bool = False,
                fused_modconv: Optional[bool] = None) -> torch.Tensor:
        """Synthesise images from styles.

        Args:
            ws (Tensor): Styles (N, num_ws, style_channels).
            noise_mode (str): 'random' (fresh noise), 'const' (the fixed
                ``noise_const`` buffers) or 'none'. Defaults to 'random'.
            force_fp32 (bool): Disable float16 blocks. Defaults to False.
            fused_modconv (bool | None): Force the modulated-conv variant;
                None = :func:`.stylegan2_modules.choose_fused_modconv`
                (CPU: not fused; CUDA: fused in eval, as NVlabs).

        Returns:
            Tensor: Float32 images (N, out_channels, H, W), roughly in
            [-1, 1].
        """
        if noise_mode not in NOISE_MODES:
            raise ValueError(f'noise_mode must be one of {NOISE_MODES}, '
                             f'got {noise_mode!r}.')
        if ws.ndim != 3 or ws.shape[1:] != (self.num_ws, self.style_channels):
            raise ValueError(f'ws must be (N, {self.num_ws}, '
                             f'{self.style_channels}), got {tuple(ws.shape)}.')
        ws = ws.to(self.b4.const.dtype)
        x = img = None
        w_idx = 0
        for res in self.block_resolutions:
            block = getattr(self, f'b{res}')
            block_ws = ws.narrow(1, w_idx, block.num_conv + block.num_torgb)
            w_idx += block.num_conv
            x, img = block(x, img, block_ws, noise_mode, force_fp32,
                           fused_modconv)
        return img


def _size_repr(hw: Tuple[int, int]) -> str:
    return str(hw[0]) if hw[0] == hw[1] else f'{hw[0]}x{hw[1]}'
