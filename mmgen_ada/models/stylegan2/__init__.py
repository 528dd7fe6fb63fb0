# Copyright (c) mmgen-ada contributors. All rights reserved.
from .mapping_network import MappingNetwork
from .nvlabs_state_dict import (convert_nvlabs_discriminator,
                                convert_nvlabs_generator,
                                to_nvlabs_discriminator, to_nvlabs_generator)
from .stylegan2 import StyleGAN2
from .stylegan2_discriminator import StyleGAN2Discriminator
from .stylegan2_generator import StyleGANv2Generator
from .synthesis_network import SynthesisNetwork

__all__ = [
    'StyleGAN2', 'StyleGANv2Generator', 'StyleGAN2Discriminator',
    'MappingNetwork', 'SynthesisNetwork', 'convert_nvlabs_generator',
    'convert_nvlabs_discriminator', 'to_nvlabs_generator',
    'to_nvlabs_discriminator'
]
