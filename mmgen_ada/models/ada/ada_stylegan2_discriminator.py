# Copyright (c) mmgen-ada contributors. All rights reserved.
"""StyleGAN2 discriminator that augments its input with ADA."""
from types import MappingProxyType
from typing import Mapping, Optional, Union

import torch

from mmgen_ada.image_size import SizeArg
from mmgen_ada.models.mmagic_compat import load_pretrained
from mmgen_ada.registry import MODELS
from ..stylegan2.stylegan2_discriminator import StyleGAN2Discriminator
from ..diffaugment import DiffAugment
from .ada_aug import ADAAug

#: Default ``data_aug``: the paper's ``bgc`` pipeline with default controller.
DEFAULT_DATA_AUG: Mapping = MappingProxyType(
    dict(type='ADAAug', aug_pipeline='bgc'))


@MODELS.register_module()
class ADAStyleGAN2Discriminator(StyleGAN2Discriminator):
    """:class:`StyleGAN2Discriminator` with adaptive augmentation in front.

    Every input (real or generated) goes through ``data_aug`` before the
    discriminator body, as in the paper (Fig. 2c). In training mode, logits
    of passes over real images (``is_real=True``) feed the ADA statistic
    ``r_t`` when ``data_aug`` is an :class:`ADAAug`.

    Args:
        in_size (int | tuple[int, int]): Input size ``n`` or ``(H, W)``, see
            :class:`StyleGAN2Discriminator`.
        data_aug (dict | None): Config of an :class:`ADAAug` or a
            :class:`~mmgen_ada.models.diffaugment.DiffAugment` (fixed
            strength, records nothing) built with ``MODELS``; None disables
            augmentation. Defaults to
            ``dict(type='ADAAug', aug_pipeline='bgc')``.
        pretrained (dict | None): MMagic's ``dict(ckpt_path, prefix, ...)``,
            loaded once ``data_aug`` exists (so its ``p`` loads too), see
            :func:`~mmgen_ada.models.mmagic_compat.load_pretrained`.
        **kwargs: Other :class:`StyleGAN2Discriminator` arguments
            (``img_channels``, ``cond_size``, ``channel_base``, ...).
    """

    def __init__(self,
                 in_size: SizeArg,
                 data_aug: Optional[Mapping] = DEFAULT_DATA_AUG,
                 pretrained: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(in_size, **kwargs)
        self.data_aug: Union[ADAAug, DiffAugment, None] = None
        if data_aug is not None:
            if not isinstance(data_aug, Mapping) or 'type' not in data_aug:
                raise ValueError(
                    'data_aug must be None or a config dict with '
                    f"a 'type' (e.g. 'ADAAug'), got {data_aug!r}.")
            data_aug = MODELS.build(dict(data_aug))
            if not isinstance(data_aug, (ADAAug, DiffAugment)):
                raise TypeError('data_aug must build an ADAAug or a '
                                'DiffAugment, got '
                                f'{type(data_aug).__name__}.')
            self.data_aug = data_aug
        load_pretrained(self, type(self).__name__, pretrained)

    def forward(self,
                img: torch.Tensor,
                c: Optional[torch.Tensor] = None,
                is_real: bool = False,
                force_fp32: bool = False,
                repeated_reals: bool = False) -> torch.Tensor:
        """Augment, then score images.

        Args:
            img (Tensor): Images ``(N, img_channels, H, W)``, ``(H, W) =
                in_hw``, in ``[-1, 1]``.
            c (Tensor | None): Labels ``(N, cond_size)``; None when
                unconditional.
            is_real (bool): True for a discriminator pass on real images;
                then, in training mode, ``sign(logits)`` is recorded for the
                ADA controller. Defaults to False.
            force_fp32 (bool): Disable float16 blocks. Defaults to False.
            repeated_reals (bool): With ``is_real``: these reals were
                already recorded in this iteration (the lazy R1 pass), so
                they feed ``r_t`` but do not count as new images for the
                ``p`` step (see :meth:`ADAAug.record`). Defaults to False.

        Returns:
            Tensor: Float32 logits ``(N, 1)``.
        """
        self.check_input_shape(img, is_real)  # before augmenting it
        if self.data_aug is not None:
            img = self.data_aug(img)
        logits = super().forward(
            img, c, force_fp32=force_fp32, is_real=is_real)
        if self.training and is_real and isinstance(self.data_aug, ADAAug):
            self.data_aug.record(logits.detach(), repeated_reals)
        return logits
