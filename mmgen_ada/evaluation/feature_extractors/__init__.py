# Copyright (c) mmgen-ada contributors. All rights reserved.
from .inception_v3_torchscript import InceptionV3TorchScript, resize_like_tf
from .inception_weights import find_inception_weights
from .tiny_test_feature_extractor import TinyTestFeatureExtractor

__all__ = [
    'InceptionV3TorchScript', 'TinyTestFeatureExtractor',
    'find_inception_weights', 'resize_like_tf'
]
