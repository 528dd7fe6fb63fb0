# Copyright (c) mmgen-ada contributors. All rights reserved.
"""GAN losses and regularisers, one per file."""
from .lecam_regularization import lecam_penalty
from .non_saturating_logistic_loss import (d_logistic_loss,
                                           g_nonsaturating_logistic_loss)
from .path_length_penalty import path_length_penalty, path_lengths
from .r1_gradient_penalty import r1_gradient_penalty

__all__ = [
    'd_logistic_loss', 'lecam_penalty', 'g_nonsaturating_logistic_loss', 'path_length_penalty',
    'path_lengths', 'r1_gradient_penalty'
]
