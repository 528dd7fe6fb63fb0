# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Equalised-learning-rate layers and the modulated convolution of StyleGAN2.

Parameters are stored raw (``randn`` weights, as NVlabs StyleGAN2-ADA) and
scaled at run time by the He constant ``1 / sqrt(fan_in)`` (Karras et al.
2018, "equalised learning rate"), so Adam's per-parameter step sizes are
balanced across layers. ``lr_multiplier`` additionally slows a layer down
(0.01 in the mapping network) by storing ``randn / lr_multiplier`` and
multiplying by ``lr_multiplier`` at run time.
"""
import math
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn

from mmgen_ada.models.argument_checks import check_int
from mmgen_ada.ops import bias_act
from .baseline_path import in_baseline_path
from .conv2d_resample import conv2d_resample

#: Default output gains of the activations used here (He init: lrelu/relu
#: keep unit variance with sqrt(2)).
ACT_GAINS = {'linear': 1.0, 'lrelu': math.sqrt(2), 'relu': math.sqrt(2)}

#: MMagic's channel table: resolution -> channels / channel_multiplier for
#: resolutions above 32 (fixed 512 up to 32).
_MMAGIC_CHANNELS = {64: 256, 128: 128, 256: 64, 512: 32, 1024: 16}


def stylegan2_channels(
        resolutions: Sequence[int],
        channel_base: int = 32768,
        channel_max: int = 512,
        channel_multiplier: Optional[int] = None) -> Dict[int, int]:
    """Feature channels per resolution.

    Args:
        resolutions (Sequence[int]): Resolutions (powers of two >= 4).
        channel_base (int): NVlabs rule ``min(channel_base // res,
            channel_max)``. Defaults to 32768.
        channel_max (int): Upper bound of the NVlabs rule. Defaults to 512.
        channel_multiplier (int | None): If given, use MMagic's table instead
            (512 up to 32x32, then ``{64: 256, 128: 128, 256: 64, 512: 32,
            1024: 16}`` times the multiplier). Defaults to None.

    Returns:
        dict[int, int]: ``{resolution: channels}``.
    """
    if channel_multiplier is None:
        check_int('channel_base', channel_base, 1)
        check_int('channel_max', channel_max, 1)
        return {r: min(channel_base // r, channel_max) for r in resolutions}
    if not isinstance(channel_multiplier, int) or channel_multiplier < 1:
        raise ValueError('channel_multiplier must be None or an int >= 1, '
                         f'got {channel_multiplier!r}.')
    channels = {}
    for r in resolutions:
        if r <= 32:
            channels[r] = 512
        elif r in _MMAGIC_CHANNELS:
            channels[r] = _MMAGIC_CHANNELS[r] * channel_multiplier
        else:
            raise ValueError(
                f'channel_multiplier supports resolutions up to 1024, got {r}'
                '; use channel_base/channel_max instead.')
    return channels


def normalize_2nd_moment(x: torch.Tensor,
                         dim: int = 1,
                         eps: float = 1e-8) -> torch.Tensor:
    """Scale ``x`` to unit mean square along ``dim`` (pixel norm)."""
    return x * (x.square().mean(dim=dim, keepdim=True) + eps).rsqrt()


class EqualizedLinear(nn.Module):
    """Fully connected layer with equalised learning rate.

    ``y = act(x @ (W * lr_multiplier / sqrt(in_features)).T
    + b * lr_multiplier) * act_gain``.

    Args:
        in_features (int): Input features.
        out_features (int): Output features.
        bias (bool): Add a bias. Defaults to True.
        activation (str): 'linear' or 'lrelu' (slope 0.2, gain sqrt(2)).
            Defaults to 'linear'.
        lr_multiplier (float): Learning-rate multiplier. Defaults to 1.
        bias_init (float): Initial (effective) bias. Defaults to 0.
    """

    def __init__(self,
                 in_features: int,
                 out_features: int,
                 bias: bool = True,
                 activation: str = 'linear',
                 lr_multiplier: float = 1.,
                 bias_init: float = 0.):
        super().__init__()
        if activation not in ACT_GAINS:
            raise ValueError(f'activation must be one of {tuple(ACT_GAINS)}, '
                             f'got {activation!r}.')
        self.activation = activation
        self.weight = nn.Parameter(
            torch.randn([out_features, in_features]) / lr_multiplier)
        self.bias = nn.Parameter(torch.full(
            [out_features], float(bias_init))) if bias else None
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_features) -> (N, out_features)."""
        w = self.weight.to(x.dtype) * self.weight_gain  # [OI]
        b = self.bias
        if b is not None:
            b = b.to(x.dtype)
            if self.bias_gain != 1:
                b = b * self.bias_gain
        if self.activation == 'linear' and b is not None:
            return torch.addmm(b.unsqueeze(0), x, w.t())
        return bias_act(x.matmul(w.t()), b, act=self.activation)

    def extra_repr(self) -> str:
        out_f, in_f = self.weight.shape
        return (f'in_features={in_f}, out_features={out_f}, '
                f'activation={self.activation}, '
                f'lr_multiplier={self.bias_gain}')


class EqualizedConv2d(nn.Module):
    """Conv layer with equalised lr, FIR resampling, bias, activation, clamp.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Odd square kernel size; padding ``k // 2``.
        bias (bool): Add a bias. Defaults to True.
        activation (str): 'linear' or 'lrelu'. Defaults to 'linear'.
        up (int): Upsampling factor. Defaults to 1.
        down (int): Downsampling factor. Defaults to 1.
        resample_filter (Tensor | None): FIR filter (``setup_filter``
            output) used when ``up`` or ``down`` > 1. Not stored in the state
            dict. Defaults to None.
        conv_clamp (float | None): Clamp outputs to ``+-conv_clamp * gain``.
            Defaults to None.
        trainable (bool): False stores weight and bias as buffers (NVlabs
            Freeze-D): no optimizer and no ``requires_grad_`` call can update
            them. Defaults to True.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 bias: bool = True,
                 activation: str = 'linear',
                 up: int = 1,
                 down: int = 1,
                 resample_filter: Optional[torch.Tensor] = None,
                 conv_clamp: Optional[float] = None,
                 trainable: bool = True):
        super().__init__()
        if activation not in ACT_GAINS:
            raise ValueError(f'activation must be one of {tuple(ACT_GAINS)}, '
                             f'got {activation!r}.')
        self.activation = activation
        self.up = up
        self.down = down
        self.conv_clamp = conv_clamp
        self.padding = kernel_size // 2
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size**2)
        self.act_gain = ACT_GAINS[activation]
        if resample_filter is not None:
            self.register_buffer(
                'resample_filter', resample_filter, persistent=False)
        else:
            self.resample_filter = None
        weight = torch.randn(
            [out_channels, in_channels, kernel_size, kernel_size])
        bias_t = torch.zeros([out_channels]) if bias else None
        if trainable:
            self.weight = nn.Parameter(weight)
            self.bias = nn.Parameter(bias_t) if bias else None
        else:
            self.register_buffer('weight', weight)
            if bias:
                self.register_buffer('bias', bias_t)
            else:
                self.bias = None

    def forward(self, x: torch.Tensor, gain: float = 1.) -> torch.Tensor:
        """(N, C_in, H, W) -> (N, C_out, H * up // down, W * up // down)."""
        w = (self.weight * self.weight_gain).to(x.dtype)  # [OIkk]
        b = self.bias.to(x.dtype) if self.bias is not None else None
        x = conv2d_resample(
            x,
            w,
            f=self.resample_filter,
            up=self.up,
            down=self.down,
            padding=self.padding,
            flip_weight=(self.up == 1))
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return bias_act(
            x, b, act=self.activation, gain=self.act_gain * gain, clamp=clamp)

    def extra_repr(self) -> str:
        out_c, in_c, k, _ = self.weight.shape
        return (f'{in_c}, {out_c}, kernel_size={k}, '
                f'activation={self.activation}, up={self.up}, '
                f'down={self.down}, conv_clamp={self.conv_clamp}, '
                f'trainable={isinstance(self.weight, nn.Parameter)}')


def choose_fused_modconv(device: torch.device, training: bool,
                         use_fp16: bool, batch_size: int) -> bool:
    """Whether :func:`modulated_conv2d` should run fused (grouped conv).

    * CUDA (and every device under :func:`.baseline_path.baseline_path`):
      NVlabs' rule, fused in eval mode for float32 layers or batch size 1,
      else not.
    * CPU: never fused. oneDNN runs a grouped convolution with
      ``groups = N`` as ``N`` small convolutions with ``N`` weight
      reorders, while the non-fused form is one large convolution with a
      shared weight plus two cheap per-channel scalings; measured on CPU
      the non-fused form is faster in eval and training, for batch 1 to 32
      and 64 to 512 channels (docs/benchmarks.md, "Networks").

    Args:
        device (torch.device): Device of the layer's input.
        training (bool): The module is in training mode.
        use_fp16 (bool): The layer computes in float16 now.
        batch_size (int): Batch size N.

    Returns:
        bool: True for the fused (grouped) form.
    """
    if device.type == 'cpu' and not in_baseline_path():
        return False
    return (not training) and (not use_fp16 or batch_size == 1)


def _use_channels_last(x: torch.Tensor) -> bool:
    """Whether the non-fused path converts ``x`` to ``channels_last``.

    On CPU without autograd (inference, Dmain's generator pass): oneDNN
    runs the transposed (upsampling) and depthwise (FIR) convolutions in
    channels_last 1.5-2x faster than in NCHW, plain 3x3 convolutions
    equally fast, so features stay channels_last from layer to layer
    (docs/benchmarks.md, "Networks"). Not with autograd (unmeasured for
    the double backward of the path-length phase).
    """
    return (x.device.type == 'cpu' and not torch.is_grad_enabled()
            and not in_baseline_path())


def demodulation_coefficients(weight: torch.Tensor,
                              styles: torch.Tensor) -> torch.Tensor:
    """Demodulation ``d_{n,o} = (sum_{i,k} (s_{n,i} w_{o,i,k})^2 + 1e-8)^(-1/2)``.

    Karras et al. 2020, eq. 3, evaluated as
    ``(s^2 @ (sum_k w^2)^T + 1e-8)^(-1/2)``: the sum over ``k`` does not
    depend on the sample, so no (N, O, I, kh, kw) tensor is formed (one
    (N, I) x (I, O) product instead of N * O * I * kh * kw products, in
    the forward and both backward passes).

    Args:
        weight (Tensor): Raw kernel (O, I, kh, kw).
        styles (Tensor): Styles (N, I).

    Returns:
        Tensor: (N, O), dtype of ``weight``/``styles``.
    """
    wsq = weight.square().sum(dim=[2, 3])  # [OI]
    return (styles.square().matmul(wsq.t()) + 1e-8).rsqrt()  # [NO]


def modulated_conv2d(x: torch.Tensor,
                     weight: torch.Tensor,
                     styles: torch.Tensor,
                     noise: Optional[torch.Tensor] = None,
                     up: int = 1,
                     padding: int = 0,
                     resample_filter: Optional[torch.Tensor] = None,
                     demodulate: bool = True,
                     flip_weight: bool = True,
                     fused_modconv: bool = True) -> torch.Tensor:
    """StyleGAN2 modulated convolution (Karras et al. 2020, eq. 1-3).

    ``w'_{n,o,i,k} = s_{n,i} w_{o,i,k}``; with ``demodulate``,
    ``w''_{n,o,i,k} = w'_{n,o,i,k} / sqrt(sum_{i,k} w'^2_{n,o,i,k} + 1e-8)``.

    Args:
        x (Tensor): Input (N, I, H, W).
        weight (Tensor): Raw kernel (O, I, kh, kw).
        styles (Tensor): Per-sample input-channel scales (N, I).
        noise (Tensor | None): Added after (de)modulation; broadcastable to
            the output, e.g. (N, 1, H', W') or (H', W'). Defaults to None.
        up (int): Upsampling factor. Defaults to 1.
        padding (int): Conv padding w.r.t. the upsampled image. Defaults to 0.
        resample_filter (Tensor | None): FIR filter for ``up``.
        demodulate (bool): Normalise each output channel. Defaults to True.
        flip_weight (bool): True = correlation. Defaults to True.
        fused_modconv (bool): One grouped convolution with per-sample
            kernels (True) or scale activations before/after one shared
            convolution (False; see :func:`choose_fused_modconv` for which
            is faster where). Mathematically equal. Defaults to True.

    Returns:
        Tensor: (N, O, H * up, W * up) for ``padding = kh // 2``. On CPU
        without autograd the non-fused path returns demodulated features
        in ``channels_last`` memory format (same values; see
        :func:`_use_channels_last`).
    """
    batch_size = x.shape[0]
    out_channels, in_channels, kh, kw = weight.shape
    if x.ndim != 4 or x.shape[1] != in_channels:
        raise ValueError(f'x must be (N, {in_channels}, H, W), '
                         f'got {tuple(x.shape)}.')
    if styles.shape != (batch_size, in_channels):
        raise ValueError(f'styles must be ({batch_size}, {in_channels}), '
                         f'got {tuple(styles.shape)}.')

    # Rescale before fp16 maths to avoid overflow; demodulation undoes it.
    if x.dtype == torch.float16 and demodulate:
        weight = weight * (1 / math.sqrt(in_channels * kh * kw) / weight.norm(
            float('inf'), dim=[1, 2, 3], keepdim=True))  # max over Ikk
        styles = styles / styles.norm(float('inf'), dim=1, keepdim=True)

    w = None  # per-sample kernels [NOIkk], formed only where needed
    dcoefs = None
    if in_baseline_path() and (demodulate or fused_modconv):
        w = weight.unsqueeze(0) * styles.reshape(batch_size, 1, -1, 1,
                                                 1)  # [NOIkk]
        if demodulate:
            dcoefs = (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt()  # [NO]
    elif demodulate:
        dcoefs = demodulation_coefficients(weight, styles)  # [NO]

    if not fused_modconv:
        to_cl = _use_channels_last(x)
        if to_cl:
            x = x.contiguous(memory_format=torch.channels_last)
        x = x * styles.to(x.dtype).reshape(batch_size, -1, 1, 1)  # [NIHW]
        x = conv2d_resample(
            x,
            weight.to(x.dtype),
            f=resample_filter,
            up=up,
            padding=padding,
            flip_weight=flip_weight)  # [NOHW]
        # Without autograd the fresh conv output is scaled in place (no
        # second feature-map buffer).
        inplace = not torch.is_grad_enabled()
        if demodulate:
            d = dcoefs.to(x.dtype).reshape(batch_size, -1, 1, 1)
            x = x.mul_(d) if inplace else x * d
        elif to_cl:
            x = x.contiguous()  # ToRGB: images leave in the usual layout
        if noise is not None:
            x = x.add_(noise.to(x.dtype)) if inplace else x + noise.to(x.dtype)
        return x

    if w is None:
        w = weight.unsqueeze(0) * styles.reshape(batch_size, 1, -1, 1,
                                                 1)  # [NOIkk]
    if demodulate:
        w = w * dcoefs.reshape(batch_size, -1, 1, 1, 1)  # [NOIkk]
    x = x.reshape(1, -1, *x.shape[2:])  # [1(NI)HW]
    w = w.reshape(-1, in_channels, kh, kw)  # [(NO)Ikk]
    x = conv2d_resample(
        x,
        w.to(x.dtype),
        f=resample_filter,
        up=up,
        padding=padding,
        groups=batch_size,
        flip_weight=flip_weight)  # [1(NO)HW]
    x = x.reshape(batch_size, -1, *x.shape[2:])  # [NOHW]
    if noise is not None:
        x = x + noise.to(x.dtype)
    return x
