# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Blocks of the StyleGAN2 discriminator (NVlabs layout)."""
import math
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn

from .mixed_precision import autocast_disabled, low_precision_dtype
from .stylegan2_modules import EqualizedConv2d, EqualizedLinear


class DiscriminatorBlock(nn.Module):
    """Two 3x3 convs (the second downsamples), with a 1x1 skip if residual.

    ``architecture='resnet'``: ``out = (skip(x) + conv1(conv0(x))) *
    sqrt(0.5)``; ``'orig'`` (StyleGAN2 config E, NVlabs' cifar preset):
    ``out = conv1(conv0(x))`` and no ``skip``. The first block also holds
    ``fromrgb`` (1x1 conv from image channels).

    Args:
        in_channels (int): Input channels, 0 for the first block (image in).
        tmp_channels (int): Channels after ``fromrgb`` / ``conv0``.
        out_channels (int): Output channels.
        resolution (int): Input scale (the shorter side); both sides halve.
        img_channels (int): Image channels.
        first_layer_idx (int): Global index of this block's first layer.
        resample_filter (Tensor): 2-D FIR filter (``setup_filter`` output).
        conv_clamp (float | None): Clamp of conv outputs. Defaults to None.
        use_fp16 (bool): One of the float16 blocks (float16 on CUDA, and on
            CPU inside a float16 autocast; see :mod:`.mixed_precision`).
            Defaults to False.
        freeze_layers (int): Layers with global index < ``freeze_layers`` are
            frozen (weights stored as buffers). Defaults to 0.
        architecture (str): ``'resnet'`` or ``'orig'``. Defaults to
            ``'resnet'``.
    """

    def __init__(self,
                 in_channels: int,
                 tmp_channels: int,
                 out_channels: int,
                 resolution: int,
                 img_channels: int,
                 first_layer_idx: int,
                 resample_filter: torch.Tensor,
                 conv_clamp: Optional[float] = None,
                 use_fp16: bool = False,
                 freeze_layers: int = 0,
                 architecture: str = 'resnet'):
        super().__init__()
        if architecture not in ('orig', 'resnet'):
            raise ValueError("architecture must be 'orig' or 'resnet', got "
                             f'{architecture!r}.')
        self.architecture = architecture
        if in_channels not in (0, tmp_channels):
            raise ValueError(f'in_channels must be 0 or tmp_channels '
                             f'({tmp_channels}), got {in_channels}.')
        self.in_channels = in_channels
        self.resolution = resolution
        self.img_channels = img_channels
        self.use_fp16 = use_fp16
        self.num_layers = 0

        def trainable() -> bool:
            # Layers are counted in creation order: fromrgb, conv0, conv1,
            # skip, as NVlabs' Freeze-D does.
            idx = first_layer_idx + self.num_layers
            self.num_layers += 1
            return idx >= freeze_layers

        if in_channels == 0:
            self.fromrgb = EqualizedConv2d(
                img_channels,
                tmp_channels,
                1,
                activation='lrelu',
                conv_clamp=conv_clamp,
                trainable=trainable())
        self.conv0 = EqualizedConv2d(
            tmp_channels,
            tmp_channels,
            3,
            activation='lrelu',
            conv_clamp=conv_clamp,
            trainable=trainable())
        self.conv1 = EqualizedConv2d(
            tmp_channels,
            out_channels,
            3,
            activation='lrelu',
            down=2,
            resample_filter=resample_filter,
            conv_clamp=conv_clamp,
            trainable=trainable())
        if architecture == 'resnet':
            self.skip = EqualizedConv2d(
                tmp_channels,
                out_channels,
                1,
                bias=False,
                down=2,
                resample_filter=resample_filter,
                trainable=trainable())

    def forward(self,
                x: Optional[torch.Tensor],
                img: Optional[torch.Tensor],
                force_fp32: bool = False) -> torch.Tensor:
        """Run the block.

        Args:
            x (Tensor | None): Features (N, in_channels, H, W); None for the
                first block.
            img (Tensor | None): Images (N, img_channels, H, W) for the first
                block, else None.
            force_fp32 (bool): Disable float16. Defaults to False.

        Returns:
            Tensor: (N, out_channels, H/2, W/2), float16 in fp16 blocks.
        """
        device = (img if self.in_channels == 0 else x).device
        low = low_precision_dtype(self.use_fp16, force_fp32, device)
        # float32 unless the network was cast to float64 (e.g. gradcheck);
        # float16/bfloat16 in the low-precision blocks.
        dtype = self.conv0.weight.dtype if low is None else low
        with autocast_disabled(device):
            if self.in_channels == 0:
                x = self.fromrgb(img.to(dtype))
            else:
                x = x.to(dtype)
            if self.architecture == 'orig':
                return self.conv1(self.conv0(x))
            y = self.skip(x, gain=math.sqrt(0.5))
            x = self.conv0(x)
            x = self.conv1(x, gain=math.sqrt(0.5))
            return y + x


class MinibatchStdLayer(nn.Module):
    """Append the minibatch standard deviation as extra feature maps.

    The batch is split into groups of ``G = min(group_size, N)`` samples
    (sample ``i`` in group ``i mod (N / G)``), channels into
    ``num_channels`` groups; per group, the std over the samples is averaged
    over channels and pixels and broadcast back as ``num_channels`` maps.

    Args:
        group_size (int | None): Samples per group; None = whole batch.
        num_channels (int): Number of appended feature maps. Defaults to 1.
    """

    def __init__(self, group_size: Optional[int], num_channels: int = 1):
        super().__init__()
        self.group_size = group_size
        self.num_channels = num_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, C + num_channels, H, W)."""
        n, c, h, w = x.shape
        g = min(self.group_size, n) if self.group_size is not None else n
        f = self.num_channels
        if n % g or c % f:
            raise ValueError(
                f'batch size {n} must be divisible by the mbstd group size '
                f'{g} and channels {c} by mbstd_num_channels {f}.')
        y = x.reshape(g, -1, f, c // f, h, w)  # [GnFcHW]
        y = y - y.mean(dim=0)  # [GnFcHW]
        y = (y.square().mean(dim=0) + 1e-8).sqrt()  # [nFcHW] std over group
        y = y.mean(dim=[2, 3, 4])  # [nF]
        y = y.reshape(-1, f, 1, 1).repeat(g, 1, h, w)  # [NFHW]
        return torch.cat([x, y], dim=1)

    def extra_repr(self) -> str:
        return (f'group_size={self.group_size}, '
                f'num_channels={self.num_channels}')


class DiscriminatorEpilogue(nn.Module):
    """4x4 head: mbstd, 3x3 conv, fc, output (with label projection).

    A rectangular discriminator's head takes its ``4 x 4*aspect`` map, so
    ``fc`` has ``in_channels * H * W`` inputs.

    Args:
        in_channels (int): Feature channels at 4x4.
        cmap_dim (int): Dimension of the mapped label; 0 = unconditional
            (output (N, 1)).
        resolution (int | tuple[int, int]): Input size, 4 or ``(H, W)``.
            Defaults to 4.
        mbstd_group_size (int | None): Minibatch-std group size.
        mbstd_num_channels (int): Minibatch-std maps; 0 disables the layer.
        conv_clamp (float | None): Clamp of the conv output.
    """

    def __init__(self,
                 in_channels: int,
                 cmap_dim: int,
                 resolution: Union[int, Tuple[int, int]] = 4,
                 mbstd_group_size: Optional[int] = 4,
                 mbstd_num_channels: int = 1,
                 conv_clamp: Optional[float] = None):
        super().__init__()
        self.cmap_dim = cmap_dim
        if isinstance(resolution, int):
            resolution = (resolution, resolution)
        self.resolution = tuple(resolution)  # (H, W)
        self.mbstd = MinibatchStdLayer(
            mbstd_group_size,
            mbstd_num_channels) if mbstd_num_channels > 0 else None
        self.conv = EqualizedConv2d(
            in_channels + mbstd_num_channels,
            in_channels,
            3,
            activation='lrelu',
            conv_clamp=conv_clamp)
        self.fc = EqualizedLinear(
            in_channels * self.resolution[0] * self.resolution[1],
            in_channels,
            activation='lrelu')
        self.out = EqualizedLinear(in_channels, cmap_dim or 1)

    def forward(self,
                x: torch.Tensor,
                cmap: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(N, C, H, W), cmap (N, cmap_dim) | None -> logits (N, 1)."""
        dtype = self.fc.weight.dtype  # never float16, as NVlabs
        with autocast_disabled(x.device):
            x = x.to(dtype)
            if self.mbstd is not None:
                x = self.mbstd(x)
            x = self.conv(x)
            x = self.fc(x.flatten(1))
            x = self.out(x)  # [N, cmap_dim or 1]
            if self.cmap_dim > 0:
                # Projection discriminator (Miyato & Koyama 2018).
                x = (x * cmap.to(dtype)).sum(
                    dim=1, keepdim=True) / math.sqrt(self.cmap_dim)
        return x
