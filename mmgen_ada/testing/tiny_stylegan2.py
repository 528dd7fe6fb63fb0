# Copyright (c) mmgen-ada contributors. All rights reserved.
"""A StyleGAN2 G and D small enough for a CPU unit test (8x8 RGB, 8
channels, one mapping layer, minibatch-std groups of 2). Copy before
changing: ``dict(TINY_STYLEGAN2_G_CFG, mix_prob=0.0)``."""
from types import MappingProxyType

TINY_STYLEGAN2_G_CFG = MappingProxyType(
    dict(
        type='StyleGANv2Generator',
        out_size=8,
        style_channels=8,
        num_mlps=1,
        channel_base=64,
        channel_max=8))
TINY_STYLEGAN2_D_CFG = MappingProxyType(
    dict(
        type='StyleGAN2Discriminator',
        in_size=8,
        channel_base=64,
        channel_max=8,
        mbstd_group_size=2))
