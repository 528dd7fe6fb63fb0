# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Inference and interoperability helpers used by ``tools/``."""
from .checkpoint_file import read_nvlabs_snapshot
from .inference import (get_generator, init_model, make_labels, run_synthesis,
                        sample, seeds_to_z, synthesize, to_uint8_hwc)
from .num_range import parse_num_range
from .nvlabs_checkpoint import (build_checkpoint, convert_nvlabs_pickle,
                                convert_nvlabs_state_dicts,
                                nvlabs_discriminator_cfg, nvlabs_generator_cfg,
                                nvlabs_model_cfg,
                                to_nvlabs_state_dicts)
from .nvlabs_pickle import (NVlabsModuleRecord, RestrictedNVlabsUnpickler,
                            load_nvlabs_pickle)
from .projection_distance import (InceptionPixelDistance,
                                  MultiScalePixelDistance, NVlabsLPIPSDistance,
                                  build_projection_distance)
from .projector import load_target_image, noise_regularization, project
from .style_mixing import style_mixing

__all__ = [
    'read_nvlabs_snapshot', 'init_model', 'get_generator', 'sample', 'synthesize', 'seeds_to_z',
    'make_labels', 'to_uint8_hwc', 'run_synthesis', 'parse_num_range',
    'style_mixing', 'project',
    'noise_regularization', 'load_target_image', 'build_projection_distance',
    'MultiScalePixelDistance', 'InceptionPixelDistance', 'NVlabsLPIPSDistance',
    'load_nvlabs_pickle', 'RestrictedNVlabsUnpickler', 'NVlabsModuleRecord',
    'convert_nvlabs_pickle', 'convert_nvlabs_state_dicts',
    'to_nvlabs_state_dicts', 'build_checkpoint', 'nvlabs_generator_cfg',
    'nvlabs_discriminator_cfg', 'nvlabs_model_cfg'
]
