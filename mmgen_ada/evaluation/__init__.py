# Copyright (c) mmgen-ada contributors. All rights reserved.
from .dataset_fingerprint import dataset_fingerprint
from .feature_extractors import (InceptionV3TorchScript,
                                 TinyTestFeatureExtractor,
                                 find_inception_weights, resize_like_tf)
from .metrics import (FrechetInceptionDistance, GenerativeMetric,
                      KernelInceptionDistance, PrecisionAndRecall,
                      frechet_distance, kernel_inception_distance,
                      manifold_coverage, to_uint8)

__all__ = [
    'dataset_fingerprint', 'InceptionV3TorchScript',
    'TinyTestFeatureExtractor', 'find_inception_weights', 'resize_like_tf',
    'GenerativeMetric', 'FrechetInceptionDistance', 'KernelInceptionDistance',
    'PrecisionAndRecall', 'frechet_distance', 'kernel_inception_distance',
    'manifold_coverage', 'to_uint8'
]
