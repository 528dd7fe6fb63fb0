# Copyright (c) mmgen-ada contributors. All rights reserved.
from .equivariance import Equivariance
from .frechet_inception_distance import (FrechetInceptionDistance,
                                         frechet_distance)
from .generative_metric import GenerativeMetric, to_uint8
from .generator_metric import GeneratorMetric
from .kernel_inception_distance import (KernelInceptionDistance,
                                        kernel_inception_distance)
from .perceptual_path_length import PerceptualPathLength
from .precision_and_recall import PrecisionAndRecall, manifold_coverage

__all__ = [
    'GenerativeMetric', 'GeneratorMetric', 'FrechetInceptionDistance',
    'KernelInceptionDistance', 'PrecisionAndRecall', 'PerceptualPathLength',
    'Equivariance', 'frechet_distance', 'kernel_inception_distance',
    'manifold_coverage', 'to_uint8'
]
