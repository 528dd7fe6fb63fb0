# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Building blocks of the StyleGAN3 generator (Karras et al. 2021).

Parameter and buffer names follow the NVlabs/MMagic StyleGAN3 layout so that
converted checkpoints load with ``load_from``.
"""
from typing import Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmgen_ada.ops import bias_act, conv2d_gradfix, filtered_lrelu
from ..stylegan2.mixed_precision import autocast_disabled, use_float16
from .stylegan3_filters import design_lowpass_filter


def modulated_conv2d(x: Tensor,
                     weight: Tensor,
                     styles: Tensor,
                     demodulate: bool = True,
                     padding: int = 0,
                     input_gain: Optional[Tensor] = None) -> Tensor:
    """Modulated convolution of StyleGAN3, one grouped conv for the batch.

    With ``demodulate`` the weight and styles are first normalised to unit
    RMS (keeps fp16 in range), then each sample's kernel is modulated by its
    styles and demodulated to unit L2 norm per output channel.

    Args:
        x (Tensor): Input ``(N, I, H, W)``.
        weight (Tensor): Kernel ``(O, I, k, k)``.
        styles (Tensor): Per-sample input-channel scales ``(N, I)``.
        demodulate (bool): Apply weight demodulation. Defaults to True.
        padding (int): Zero padding of the convolution. Defaults to 0.
        input_gain (Tensor, optional): Scalar (or ``(I,)``/``(N, I)``) scale
            of the input channels, applied after demodulation.

    Returns:
        Tensor: ``(N, O, H + 2 * padding - k + 1, W + 2 * padding - k + 1)``.
    """
    batch_size = x.shape[0]
    out_channels, in_channels, kh, kw = weight.shape
    if x.shape[1] != in_channels or styles.shape != (batch_size,
                                                     in_channels):
        raise ValueError(f'shape mismatch: x {tuple(x.shape)}, weight '
                         f'{tuple(weight.shape)}, styles '
                         f'{tuple(styles.shape)}')
    w = weight
    if demodulate:
        w = w * w.square().mean([1, 2, 3], keepdim=True).rsqrt()
        styles = styles * styles.square().mean().rsqrt()
    w = w.unsqueeze(0) * styles[:, None, :, None, None]  # [NOIkk]
    if demodulate:
        dcoefs = (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt()  # [NO]
        w = w * dcoefs[:, :, None, None, None]  # [NOIkk]
    if input_gain is not None:
        input_gain = input_gain.expand(batch_size, in_channels)  # [NI]
        w = w * input_gain[:, None, :, None, None]  # [NOIkk]
    x = x.reshape(1, batch_size * in_channels, *x.shape[2:])
    w = w.reshape(batch_size * out_channels, in_channels, kh, kw)
    x = conv2d_gradfix.conv2d(
        x, w.to(x.dtype), padding=padding, groups=batch_size)
    return x.reshape(batch_size, out_channels, *x.shape[2:])


class FullyConnectedLayer(nn.Module):
    """Equalised-learning-rate linear layer with optional activation.

    Args:
        in_features (int): Input features.
        out_features (int): Output features.
        activation (str): ``'linear'`` or an activation of
            :func:`mmgen_ada.ops.bias_act` (e.g. ``'lrelu'``). Defaults to
            ``'linear'``.
        bias (bool): Add a bias. Defaults to True.
        lr_multiplier (float): Learning-rate multiplier. Defaults to 1.
        weight_init (float): Initial std of the effective weight. Defaults
            to 1.
        bias_init (float | Sequence[float]): Initial effective bias.
            Defaults to 0.
    """

    def __init__(self,
                 in_features: int,
                 out_features: int,
                 activation: str = 'linear',
                 bias: bool = True,
                 lr_multiplier: float = 1.,
                 weight_init: float = 1.,
                 bias_init: Union[float, Sequence[float]] = 0.) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.activation = activation
        self.weight = nn.Parameter(
            torch.randn([out_features, in_features]) *
            (weight_init / lr_multiplier))
        bias_init = np.broadcast_to(
            np.asarray(bias_init, dtype=np.float32), [out_features])
        self.bias = nn.Parameter(
            torch.from_numpy(bias_init / lr_multiplier)) if bias else None
        self.weight_gain = lr_multiplier / np.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x: Tensor) -> Tensor:
        """Apply the layer to ``x`` of shape ``(N, in_features)``."""
        w = self.weight.to(x.dtype) * self.weight_gain
        b = self.bias
        if b is not None:
            b = b.to(x.dtype) * self.bias_gain
        if self.activation == 'linear':
            return F.linear(x, w, b)
        return bias_act(x.matmul(w.t()), b, act=self.activation)

    def extra_repr(self) -> str:
        return (f'in_features={self.in_features}, '
                f'out_features={self.out_features}, '
                f'activation={self.activation}')


class SynthesisInput(nn.Module):
    """Fourier-feature input of StyleGAN3 with a learned rotation/translation.

    ``channels`` frequencies are drawn uniformly from the disc of radius
    ``bandwidth``; w predicts ``(r_c, r_s, t_x, t_y)`` which rotates and
    translates the features (identity at init). The ``transform`` buffer is a
    user-specified inverse transform of the output image (3x3, identity by
    default): setting ``transform[:2, 2] = -t`` translates the image by ``t``
    (in image widths), a rotation matrix rotates it.

    Args:
        style_channels (int): Dimension of w.
        channels (int): Number of Fourier features / output channels.
        size (int): Output map size in pixels (margins included).
        sampling_rate (float): Sampling rate of the output map.
        bandwidth (float): Maximum frequency of the features (``f_{c,0}``).
    """

    def __init__(self, style_channels: int, channels: int, size: int,
                 sampling_rate: float, bandwidth: float) -> None:
        super().__init__()
        self.style_channels = style_channels
        self.channels = channels
        self.size = int(size)
        self.sampling_rate = float(sampling_rate)
        self.bandwidth = float(bandwidth)
        # Uniform on the disc: keep a Gaussian sample's direction and map its
        # radius r to exp(-r^2 / 4) = sqrt(exp(-r^2 / 2)), the square root of
        # a U(0, 1) variable.
        freqs = torch.randn([channels, 2])
        radii = freqs.square().sum(dim=1, keepdim=True).sqrt()
        freqs = freqs / (radii * radii.square().exp().pow(0.25)) * bandwidth
        phases = torch.rand([channels]) - 0.5
        self.weight = nn.Parameter(torch.randn([channels, channels]))
        self.affine = FullyConnectedLayer(
            style_channels, 4, weight_init=0., bias_init=[1., 0., 0., 0.])
        self.register_buffer('transform', torch.eye(3, 3))
        self.register_buffer('freqs', freqs)  # [C, xy]
        self.register_buffer('phases', phases)  # [C]

    def forward(self, w: Tensor) -> Tensor:
        """Fourier features ``(N, channels, size, size)`` for w ``(N, S)``."""
        with autocast_disabled(w.device):  # float32, as NVlabs
            return self._features(w)

    def _features(self, w: Tensor) -> Tensor:
        """:meth:`forward` with autocast off."""
        batch_size = w.shape[0]
        t = self.affine(w)  # [N, 4] = (r_c, r_s, t_x, t_y)
        t = t / t[:, :2].norm(dim=1, keepdim=True)
        eye = torch.eye(3, device=w.device, dtype=w.dtype)
        rot = eye.repeat([batch_size, 1, 1])  # inverse rotation of image
        rot[:, 0, 0] = t[:, 0]
        rot[:, 0, 1] = -t[:, 1]
        rot[:, 1, 0] = t[:, 1]
        rot[:, 1, 1] = t[:, 0]
        trans = eye.repeat([batch_size, 1, 1])  # inverse translation
        trans[:, 0, 2] = -t[:, 2]
        trans[:, 1, 2] = -t[:, 3]
        # Rotate the image first, then translate, then the user transform.
        transforms = rot @ trans @ self.transform.unsqueeze(0)  # [N33]

        freqs = self.freqs.unsqueeze(0)  # [1, C, 2]
        phases = self.phases.unsqueeze(0) + (
            freqs @ transforms[:, :2, 2:]).squeeze(2)  # [N, C]
        freqs = freqs @ transforms[:, :2, :2]  # [N, C, 2]
        # Fade out frequencies that the user transform pushed past the band.
        amplitudes = (1 - (freqs.norm(dim=2) - self.bandwidth) /
                      (self.sampling_rate / 2 - self.bandwidth)).clamp(0, 1)

        # Pixel-centre coordinates; the image (without margins) spans 1 unit.
        theta = torch.eye(2, 3, device=w.device)
        theta[0, 0] = 0.5 * self.size / self.sampling_rate
        theta[1, 1] = 0.5 * self.size / self.sampling_rate
        grid = F.affine_grid(
            theta.unsqueeze(0), [1, 1, self.size, self.size],
            align_corners=False)  # [1, H, W, xy]
        x = torch.einsum('hwk,nck->nhwc', grid[0], freqs)  # [NHWC]
        x = x + phases[:, None, None, :]
        x = torch.sin(x * (2 * np.pi)) * amplitudes[:, None, None, :]
        x = x @ (self.weight / np.sqrt(self.channels)).t()  # [NHWC]
        return x.permute(0, 3, 1, 2).contiguous()  # [NCHW]

    def extra_repr(self) -> str:
        return (f'channels={self.channels}, size={self.size}, '
                f'sampling_rate={self.sampling_rate:g}, '
                f'bandwidth={self.bandwidth:g}')


class SynthesisLayer(nn.Module):
    """Modulated conv + alias-free filtered leaky ReLU (one StyleGAN3 layer).

    The conv output is upsampled to ``max(in, out) sampling rate *
    lrelu_upsampling`` with a low-pass at the input cutoff, passed through
    leaky ReLU, low-passed at the output cutoff and downsampled, all in
    :func:`mmgen_ada.ops.filtered_lrelu`. The input is scaled by the inverse
    RMS tracked in the ``magnitude_ema`` buffer.

    Args:
        style_channels (int): Dimension of w.
        is_torgb (bool): Final ToRGB layer (1x1 conv, no demodulation,
            linear, no resampling).
        is_critically_sampled (bool): Stopband at the Nyquist frequency; such
            layers never use radial filters.
        use_fp16 (bool): Run in float16 on CUDA (and on CPU inside a float16
            autocast) unless ``force_fp32``.
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        in_size (int): Input map size.
        out_size (int): Output map size.
        in_sampling_rate (int): Input sampling rate.
        out_sampling_rate (int): Output sampling rate.
        in_cutoff (float): Input cutoff (upsampling filter).
        out_cutoff (float): Output cutoff (downsampling filter).
        in_half_width (float): Input transition half-width.
        out_half_width (float): Output transition half-width.
        conv_kernel (int): Conv kernel size, 3 (config T) or 1 (config R);
            ignored for ToRGB. Defaults to 3.
        filter_size (int): Filter taps per unit of the lower resolution.
            Defaults to 6.
        lrelu_upsampling (int): Oversampling of the nonlinearity. Defaults
            to 2.
        use_radial_filters (bool): Radially symmetric downsampling filter
            (config R). Defaults to False.
        conv_clamp (float, optional): Clamp outputs to ``[-x, x]``.
            Defaults to 256.
        magnitude_ema_beta (float): Decay of the input magnitude EMA.
            Defaults to 0.999.
    """

    def __init__(self,
                 style_channels: int,
                 is_torgb: bool,
                 is_critically_sampled: bool,
                 use_fp16: bool,
                 in_channels: int,
                 out_channels: int,
                 in_size: int,
                 out_size: int,
                 in_sampling_rate: int,
                 out_sampling_rate: int,
                 in_cutoff: float,
                 out_cutoff: float,
                 in_half_width: float,
                 out_half_width: float,
                 conv_kernel: int = 3,
                 filter_size: int = 6,
                 lrelu_upsampling: int = 2,
                 use_radial_filters: bool = False,
                 conv_clamp: Optional[float] = 256,
                 magnitude_ema_beta: float = 0.999) -> None:
        super().__init__()
        self.style_channels = style_channels
        self.is_torgb = is_torgb
        self.is_critically_sampled = is_critically_sampled
        self.use_fp16 = use_fp16
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.in_size = int(in_size)
        self.out_size = int(out_size)
        self.in_sampling_rate = in_sampling_rate
        self.out_sampling_rate = out_sampling_rate
        self.tmp_sampling_rate = max(in_sampling_rate, out_sampling_rate) * (
            1 if is_torgb else lrelu_upsampling)
        self.in_cutoff = in_cutoff
        self.out_cutoff = out_cutoff
        self.in_half_width = in_half_width
        self.out_half_width = out_half_width
        self.conv_kernel = 1 if is_torgb else conv_kernel
        self.conv_clamp = conv_clamp
        self.magnitude_ema_beta = magnitude_ema_beta

        self.affine = FullyConnectedLayer(
            style_channels, in_channels, bias_init=1.)
        self.weight = nn.Parameter(
            torch.randn([
                out_channels, in_channels, self.conv_kernel, self.conv_kernel
            ]))
        self.bias = nn.Parameter(torch.zeros([out_channels]))
        self.register_buffer('magnitude_ema', torch.ones([]))

        # Upsampling filter: low-pass at the input cutoff.
        self.up_factor = int(
            np.rint(self.tmp_sampling_rate / in_sampling_rate))
        if in_sampling_rate * self.up_factor != self.tmp_sampling_rate:
            raise ValueError('sampling rates must be related by integer '
                             f'factors, got {in_sampling_rate} -> '
                             f'{self.tmp_sampling_rate}')
        self.up_taps = filter_size * self.up_factor if (
            self.up_factor > 1 and not is_torgb) else 1
        self.register_buffer(
            'up_filter',
            design_lowpass_filter(
                numtaps=self.up_taps,
                cutoff=in_cutoff,
                width=in_half_width * 2,
                fs=self.tmp_sampling_rate))

        # Downsampling filter: low-pass at the output cutoff.
        self.down_factor = int(
            np.rint(self.tmp_sampling_rate / out_sampling_rate))
        if out_sampling_rate * self.down_factor != self.tmp_sampling_rate:
            raise ValueError('sampling rates must be related by integer '
                             f'factors, got {self.tmp_sampling_rate} -> '
                             f'{out_sampling_rate}')
        self.down_taps = filter_size * self.down_factor if (
            self.down_factor > 1 and not is_torgb) else 1
        self.down_radial = use_radial_filters and not is_critically_sampled
        self.register_buffer(
            'down_filter',
            design_lowpass_filter(
                numtaps=self.down_taps,
                cutoff=out_cutoff,
                width=out_half_width * 2,
                fs=self.tmp_sampling_rate,
                radial=self.down_radial))

        # Padding so that out_size samples remain, with sample positions
        # placed by the symmetric interpretation (paper App. C.3).
        pad_total = (self.out_size - 1) * self.down_factor + 1
        pad_total -= (self.in_size + self.conv_kernel - 1) * self.up_factor
        pad_total += self.up_taps + self.down_taps - 2
        pad_lo = (pad_total + self.up_factor) // 2
        pad_hi = pad_total - pad_lo
        self.padding = [pad_lo, pad_hi, pad_lo, pad_hi]

    def forward(self,
                x: Tensor,
                w: Tensor,
                force_fp32: bool = False,
                update_emas: bool = False) -> Tensor:
        """Run the layer.

        Args:
            x (Tensor): Input ``(N, in_channels, in_size, in_size)``.
            w (Tensor): Style vector ``(N, style_channels)``.
            force_fp32 (bool): Disable float16 even if ``use_fp16``.
            update_emas (bool): Update ``magnitude_ema`` with this batch.

        Returns:
            Tensor: ``(N, out_channels, out_size, out_size)``; float16
            when ``use_fp16`` and not ``force_fp32`` on CUDA (or on CPU
            inside a float16 autocast, see
            :mod:`mmgen_ada.models.stylegan2.mixed_precision`), else float32.
        """
        expected = (x.shape[0], self.in_channels, self.in_size, self.in_size)
        if tuple(x.shape) != expected:
            raise ValueError(f'expected input of shape {expected}, '
                             f'got {tuple(x.shape)}')
        use_half = use_float16(self.use_fp16, force_fp32, x.device)
        with autocast_disabled(x.device):
            return self._run(x, w, use_half, update_emas)

    def _run(self, x: Tensor, w: Tensor, use_half: bool,
             update_emas: bool) -> Tensor:
        """:meth:`forward` with autocast off."""
        if update_emas:
            magnitude_cur = x.detach().to(torch.float32).square().mean()
            self.magnitude_ema.copy_(
                magnitude_cur.lerp(self.magnitude_ema,
                                   self.magnitude_ema_beta))
        input_gain = self.magnitude_ema.rsqrt()

        styles = self.affine(w)  # [NI]
        if self.is_torgb:
            styles = styles / np.sqrt(self.in_channels * self.conv_kernel**2)

        dtype = torch.float16 if use_half else torch.float32
        x = modulated_conv2d(
            x.to(dtype),
            self.weight,
            styles,
            demodulate=not self.is_torgb,
            padding=self.conv_kernel - 1,
            input_gain=input_gain)
        x = filtered_lrelu(
            x,
            fu=self.up_filter,
            fd=self.down_filter,
            b=self.bias.to(x.dtype),
            up=self.up_factor,
            down=self.down_factor,
            padding=self.padding,
            gain=1. if self.is_torgb else np.sqrt(2),
            slope=1. if self.is_torgb else 0.2,
            clamp=self.conv_clamp)
        return x

    def extra_repr(self) -> str:
        return (f'is_torgb={self.is_torgb}, '
                f'critical={self.is_critically_sampled}, '
                f'use_fp16={self.use_fp16}, '
                f'sampling_rate={self.in_sampling_rate}->'
                f'{self.out_sampling_rate}, cutoff={self.in_cutoff:g}->'
                f'{self.out_cutoff:g}, size={self.in_size}->{self.out_size},'
                f' channels={self.in_channels}->{self.out_channels}')
