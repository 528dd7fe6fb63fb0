# Copyright (c) mmgen-ada contributors. All rights reserved.
from .stylegan3 import StyleGAN3, blur_images
from .stylegan3_generator import StyleGANv3Generator

__all__ = ['StyleGAN3', 'StyleGANv3Generator', 'blur_images']
