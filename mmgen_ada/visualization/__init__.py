# Copyright (c) mmgen-ada contributors. All rights reserved.
from .gen_visualizer import GenVisualizer
from .image_grid import make_image_grid, save_image, to_uint8

__all__ = ['GenVisualizer', 'make_image_grid', 'save_image', 'to_uint8']
