# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Adaptive discriminator augmentation (Karras et al. 2020)."""
from .ada_aug import ADAAug, build_augment_pipe
from .ada_stylegan2_discriminator import ADAStyleGAN2Discriminator
from .augment_pipe import AugmentParams, AugmentPipe
from .augment_presets import AUGMENT_PRESETS, preset_multipliers

__all__ = [
    'ADAAug', 'ADAStyleGAN2Discriminator', 'AugmentPipe', 'AugmentParams',
    'AUGMENT_PRESETS', 'build_augment_pipe', 'preset_multipliers'
]
