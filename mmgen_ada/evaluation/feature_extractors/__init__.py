# Copyright (c) mmgen-ada contributors. All rights reserved.
from .inception_v3_torchscript import InceptionV3TorchScript, resize_like_tf
from .inception_weights import find_inception_weights
from .lpips_vgg16 import LPIPSVGG16
from .tiny_test_feature_extractor import TinyTestFeatureExtractor

__all__ = [
    'InceptionV3TorchScript', 'LPIPSVGG16', 'TinyTestFeatureExtractor',
    'find_inception_weights', 'resize_like_tf'
]
