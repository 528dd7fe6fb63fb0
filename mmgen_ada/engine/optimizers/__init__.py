# Copyright (c) mmgen-ada contributors. All rights reserved.
from .gan_amp_optim_wrapper import GANAmpOptimWrapper
from .gan_optim_wrapper import NONFINITE_REPLACEMENT, GANOptimWrapper
from .lazy_reg_optim_wrapper_constructor import (
    GAN_OPTIM_WRAPPER_TYPES, LazyRegOptimWrapperConstructor,
    MultiOptimWrapperConstructor)

__all__ = [
    'GANAmpOptimWrapper', 'GANOptimWrapper', 'GAN_OPTIM_WRAPPER_TYPES',
    'LazyRegOptimWrapperConstructor', 'MultiOptimWrapperConstructor',
    'NONFINITE_REPLACEMENT'
]
