# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Building blocks shared by the GAN algorithms."""
from .stylegan_ema import StyleGANEMA

__all__ = ['StyleGANEMA']
