# Copyright (c) mmgen-ada contributors. All rights reserved.
from .lazy_reg_optim_wrapper_constructor import LazyRegOptimWrapperConstructor

__all__ = ['LazyRegOptimWrapperConstructor']
