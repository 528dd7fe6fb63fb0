# Copyright (c) mmgen-ada contributors. All rights reserved.
from .cfg_options_action import CfgOptionsAction  # noqa: F401
from .checkpoint_file_loader import register_checkpoint_file_loader
from .gen_loops import GenEvalLoop, GenTestLoop, GenValLoop  # noqa: F401
from .cpu_distributed import setup_cpu_distributed  # noqa: F401
from .gan_runner import GANRunner, build_runner  # noqa: F401

# Runners load local checkpoints (and NVlabs .pkl) through our reader.
register_checkpoint_file_loader()
