# Copyright (c) mmgen-ada contributors. All rights reserved.
from .frechet_inception_distance import (FrechetInceptionDistance,
                                         frechet_distance)
from .generative_metric import GenerativeMetric, to_uint8
from .kernel_inception_distance import (KernelInceptionDistance,
                                        kernel_inception_distance)
from .precision_and_recall import PrecisionAndRecall, manifold_coverage

__all__ = [
    'GenerativeMetric', 'FrechetInceptionDistance', 'KernelInceptionDistance',
    'PrecisionAndRecall', 'frechet_distance', 'kernel_inception_distance',
    'manifold_coverage', 'to_uint8'
]
