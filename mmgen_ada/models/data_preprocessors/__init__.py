# Copyright (c) mmgen-ada contributors. All rights reserved.
from .data_preprocessor import DataPreprocessor
from .gan_data_preprocessor import GANDataPreprocessor

__all__ = ['DataPreprocessor', 'GANDataPreprocessor']
