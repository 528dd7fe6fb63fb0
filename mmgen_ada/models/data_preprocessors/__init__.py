# Copyright (c) mmgen-ada contributors. All rights reserved.
from .gan_data_preprocessor import GANDataPreprocessor

__all__ = ['GANDataPreprocessor']
