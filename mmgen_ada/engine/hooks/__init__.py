# Copyright (c) mmgen-ada contributors. All rights reserved.
from .gen_visualization_hook import GenVisualizationHook
from .generator_ema_hook import GeneratorEMAHook
from .rng_state_hook import RNGStateHook
from .ada_hook import ADAHook
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .divergence_guard_hook import DivergenceGuardHook, TrainingDivergedError
from .apa_hook import APAHook
