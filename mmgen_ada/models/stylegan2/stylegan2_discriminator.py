# Copyright (c) mmgen-ada contributors. All rights reserved.
"""StyleGAN2 discriminator (residual or 'orig'), as in NVlabs
StyleGAN2-ADA."""
import math
from typing import Optional, Sequence

import torch
from mmengine.model import BaseModule

from mmgen_ada.image_size import (SizeArg, aspect_factors, compact_size,
                                  parse_image_size)
from mmgen_ada.models.argument_checks import check_real
from mmgen_ada.models.mmagic_compat import (colour_flag_is_identity,
                                            fp16_scales, load_pretrained,
                                            mbstd_from_cfg, refuse_unless,
                                            resample_filter_from_blur_kernel)
from mmgen_ada.ops import setup_filter
from mmgen_ada.registry import MODELS
from .discriminator_blocks import DiscriminatorBlock, DiscriminatorEpilogue
from .mapping_network import MappingNetwork
from .stylegan2_modules import stylegan2_channels


@MODELS.register_module()
class StyleGAN2Discriminator(BaseModule):
    """StyleGAN2 discriminator: residual blocks + minibatch-std epilogue.

    Blocks ``b{res}`` from ``in_size`` down to 8 (FIR-filtered
    downsampling; residual with skip gain sqrt(0.5), or plain with
    ``architecture='orig'``), then the 4x4 ``epilogue``. With
    ``cond_size > 0`` the label is mapped to ``cmap`` by an MLP
    (``mapping``) and the output is the projection
    ``<out(x), cmap> / sqrt(cmap_dim)``. The state dict equals NVlabs'
    except that ``b4`` is named ``epilogue`` (see :mod:`.nvlabs_state_dict`).

    A rectangular ``in_size=(H, W)`` has the blocks and channels of a
    ``min(H, W)`` square discriminator; each block halves both sides, so the
    epilogue sees a ``4 x 4*W/H`` (or ``4*H/W x 4``) map and its ``fc``
    takes ``channels * 16 * aspect`` features.

    Args:
        in_size (int | tuple[int, int]): Input size: a power of two >= 8
            (square) or ``(H, W)``, height first, both sides >= 8.
        img_channels (int): Image channels. Defaults to 3.
        cond_size (int | None): Label channels; 0 or None = unconditional.
            Defaults to 0.
        cond_mapping_channels (int | None): ``cmap_dim``; None = channels at
            4x4. Defaults to None.
        cond_mapping_layers (int | None): Label MLP layers (NVlabs: 8);
            None = 8 (MMagic). Defaults to 8.
        channel_multiplier (int | None): MMagic channel table if given,
            else ``channel_base``/``channel_max``. Defaults to None.
        channel_base (int): NVlabs channel rule. Defaults to 32768.
        channel_max (int): NVlabs channel rule. Defaults to 512.
        mbstd_group_size (int | None): Minibatch-std group size; None = whole
            batch. Batch sizes must be divisible by ``min(group, N)``.
            Defaults to 4.
        mbstd_num_channels (int): Minibatch-std feature maps, 0 = off.
            Defaults to 1.
        num_fp16_scales (int): Highest resolutions run in float16 (CUDA
            only). Defaults to 0.
        conv_clamp (float | None): Clamp conv outputs. Defaults to None.
        freeze_layers (int): Freeze-D (Mo et al. 2020) with NVlabs'
            semantics: the first ``freeze_layers`` conv layers, counted from
            the input in the order fromrgb, conv0, conv1, skip of each block
            (4 in the first block, 3 in later ones), keep their weights as
            buffers, so they are never trained. Defaults to 0.
        resample_filter (Sequence[float]): FIR filter taps. Defaults to
            (1, 3, 3, 1).
        architecture (str): ``'resnet'`` (StyleGAN2 config F, every NVlabs
            preset but cifar) or ``'orig'`` (no residual skips, NVlabs'
            cifar preset). NVlabs' ``'skip'`` is not implemented. Defaults
            to ``'resnet'``.
        init_cfg (dict | None): mmengine init config. Defaults to None.

    MMagic's other arguments (see docs/mmagic_compat.md):

    Args:
        blur_kernel (Sequence[float] | None): MMagic's name of
            ``resample_filter``. Defaults to None.
        mbstd_cfg (dict | None): ``dict(group_size, channel_groups)`` =
            ``mbstd_group_size``, ``mbstd_num_channels``. Defaults to None.
        fp16_enabled (bool): Every block in float16 (CUDA only), i.e.
            ``num_fp16_scales`` = all. Defaults to False.
        out_fp32 (bool): True only (logits are always float32).
        convert_input_fp32 (bool): True only (float32 blocks always cast
            their input to float32).
        input_bgr2rgb (bool): Accepted, changes nothing (the data and D's
            input are RGB here). Defaults to False.
        pretrained (dict | None): ``dict(ckpt_path, prefix='',
            map_location='cpu', strict=True)``, see
            :func:`~mmgen_ada.models.mmagic_compat.load_pretrained`.
    """

    def __init__(self,
                 in_size: SizeArg,
                 img_channels: int = 3,
                 cond_size: Optional[int] = 0,
                 cond_mapping_channels: Optional[int] = None,
                 cond_mapping_layers: Optional[int] = 8,
                 channel_multiplier: Optional[int] = None,
                 channel_base: int = 32768,
                 channel_max: int = 512,
                 mbstd_group_size: Optional[int] = 4,
                 mbstd_num_channels: int = 1,
                 num_fp16_scales: int = 0,
                 conv_clamp: Optional[float] = None,
                 freeze_layers: int = 0,
                 resample_filter: Sequence[float] = (1, 3, 3, 1),
                 architecture: str = 'resnet',
                 init_cfg: Optional[dict] = None,
                 blur_kernel: Optional[Sequence[float]] = None,
                 mbstd_cfg: Optional[dict] = None,
                 fp16_enabled: bool = False,
                 out_fp32: bool = True,
                 convert_input_fp32: bool = True,
                 input_bgr2rgb: bool = False,
                 pretrained: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        resample_filter = resample_filter_from_blur_kernel(
            name, blur_kernel, resample_filter)
        mbstd_group_size, mbstd_num_channels = mbstd_from_cfg(
            name, mbstd_cfg, mbstd_group_size, mbstd_num_channels)
        refuse_unless(name, 'out_fp32', out_fp32, (True, ),
                      'the logits are always float32 here')
        refuse_unless(
            name, 'convert_input_fp32', convert_input_fp32, (True, ),
            'float32 blocks always cast their input to float32 here')
        colour_flag_is_identity(name, 'input_bgr2rgb', input_bgr2rgb)
        if cond_mapping_layers is None:
            cond_mapping_layers = 8
        if architecture not in ('orig', 'resnet'):
            raise ValueError("architecture must be 'orig' or 'resnet' "
                             "(NVlabs' 'skip' is not implemented), got "
                             f'{architecture!r}.')
        self.architecture = architecture
        in_hw = parse_image_size(in_size, 'in_size', min_side=8)
        log2 = int(math.log2(min(in_hw)))
        num_fp16_scales = fp16_scales(name, fp16_enabled, num_fp16_scales,
                                      log2 - 2)
        cond_size = cond_size or 0
        for name, value, low in (('img_channels', img_channels,
                                  1), ('cond_size', cond_size,
                                       0), ('cond_mapping_layers',
                                            cond_mapping_layers, 1),
                                 ('mbstd_num_channels', mbstd_num_channels,
                                  0), ('num_fp16_scales', num_fp16_scales, 0),
                                 ('freeze_layers', freeze_layers, 0)):
            if not isinstance(value, int) or value < low:
                raise ValueError(
                    f'{name} must be an int >= {low}, got {value!r}.')
        if mbstd_group_size is not None and (
                not isinstance(mbstd_group_size, int) or mbstd_group_size < 1):
            raise ValueError('mbstd_group_size must be None or an int >= 1, '
                             f'got {mbstd_group_size!r}.')
        check_real('conv_clamp', conv_clamp, 0, low_open=True, allow_none=True)
        self.in_size = compact_size(in_hw)  # n when square, else (H, W)
        self.in_hw = in_hw
        self.img_channels = img_channels
        self.cond_size = cond_size
        self.block_resolutions = [2**i for i in range(log2, 2, -1)]
        channels = stylegan2_channels(self.block_resolutions + [4],
                                      channel_base, channel_max,
                                      channel_multiplier)
        fp16_resolution = max(2**(log2 + 1 - num_fp16_scales), 8)
        cmap_dim = 0
        if cond_size > 0:
            cmap_dim = cond_mapping_channels or channels[4]
        self.cmap_dim = cmap_dim
        f = setup_filter(list(resample_filter))

        layer_idx = 0
        for res in self.block_resolutions:
            block = DiscriminatorBlock(
                channels[res] if res < min(in_hw) else 0,
                channels[res],
                channels[res // 2],
                res,
                img_channels,
                first_layer_idx=layer_idx,
                resample_filter=f,
                conv_clamp=conv_clamp,
                use_fp16=res >= fp16_resolution,
                freeze_layers=freeze_layers,
                architecture=architecture)
            self.add_module(f'b{res}', block)
            layer_idx += block.num_layers
        if cond_size > 0:
            self.mapping = MappingNetwork(
                0,
                cond_size,
                cmap_dim,
                num_ws=None,
                num_layers=cond_mapping_layers,
                w_avg_beta=None)
        self.epilogue = DiscriminatorEpilogue(
            channels[4],
            cmap_dim,
            resolution=tuple(4 * a for a in aspect_factors(in_hw)),
            mbstd_group_size=mbstd_group_size,
            mbstd_num_channels=mbstd_num_channels,
            conv_clamp=conv_clamp)
        load_pretrained(self, name, pretrained)

    def forward(self,
                img: torch.Tensor,
                c: Optional[torch.Tensor] = None,
                force_fp32: bool = False,
                is_real: bool = False) -> torch.Tensor:
        """Score images.

        Args:
            img (Tensor): Images (N, img_channels, H, W) with ``(H, W) =
                in_hw``, in [-1, 1].
            c (Tensor | None): Labels (N, cond_size); None (or (N, 0)) when
                unconditional.
            force_fp32 (bool): Disable float16 blocks. Defaults to False.
            is_real (bool): ``img`` are real images from the dataset, not
                generated ones; only says so in a shape error. Defaults to
                False.

        Returns:
            Tensor: Float32 logits (N, 1).
        """
        self.check_input_shape(img, is_real)
        cmap = None
        if self.cond_size > 0:
            if c is None or c.ndim != 2 or c.shape != (img.shape[0],
                                                       self.cond_size):
                raise ValueError(
                    f'c must be ({img.shape[0]}, {self.cond_size}), got '
                    f'{None if c is None else tuple(c.shape)}.')
            cmap = self.mapping(None, c)  # [N, cmap_dim]
        elif c is not None and c.numel() > 0:
            raise ValueError('this discriminator is unconditional '
                             f'(cond_size=0) but got c of shape '
                             f'{tuple(c.shape)}; pass None or (N, 0).')
        x = None
        for i, res in enumerate(self.block_resolutions):
            x = getattr(self, f'b{res}')(x, img if i == 0 else None,
                                         force_fp32)
        return self.epilogue(x, cmap)

    def check_input_shape(self, img: torch.Tensor, is_real: bool) -> None:
        """Raise unless ``img`` is ``(N, img_channels, H, W)``, ``in_hw``.

        The message says where the images came from (the dataset when
        ``is_real``, else the generator) and what to change.
        """
        expected = (self.img_channels, *self.in_hw)
        if img.ndim == 4 and tuple(img.shape[1:]) == expected:
            return
        shape = tuple(img.shape)
        height, width = self.in_hw
        option = str(height) if height == width else \
            f'{width}x{height} (WxH)'
        got = f'img must be (N, {", ".join(map(str, expected))}), got {shape}'
        if is_real:
            raise ValueError(
                f'{got}: the real images from the dataset do not fit the '
                f'discriminator (in_size={self.in_size!r}, img_channels='
                f'{self.img_channels}). Set model.discriminator.in_size and '
                'model.generator.out_size (and img_channels/out_channels) '
                "to the dataset's (H, W), or convert the data with "
                f'tools/dataset_tool.py --resolution {option}.')
        raise ValueError(
            f'{got}: the generated (fake) images do not fit the '
            f'discriminator (in_size={self.in_size!r}, img_channels='
            f'{self.img_channels}). Set model.generator.out_size and '
            'out_channels to model.discriminator.in_size and img_channels.')

    @property
    def num_layers(self) -> int:
        """Number of conv layers counted by ``freeze_layers``."""
        return sum(
            getattr(self, f'b{res}').num_layers
            for res in self.block_resolutions)
