# Copyright (c) mmgen-ada contributors. All rights reserved.
from .gen_loops import GenEvalLoop, GenTestLoop, GenValLoop  # noqa: F401
from .cpu_distributed import setup_cpu_distributed  # noqa: F401
from .gan_runner import GANRunner, build_runner  # noqa: F401
