# Copyright (c) mmgen-ada contributors. All rights reserved.
from .load_gan_image import LoadGANImage
from .pack_gan_inputs import PackGANInputs

__all__ = ['LoadGANImage', 'PackGANInputs']
