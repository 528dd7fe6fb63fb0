# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Building blocks shared by the GAN algorithms."""
from .ramp_up_ema import RampUpEMA
from .stylegan_ema import StyleGANEMA

__all__ = ['RampUpEMA', 'StyleGANEMA']
