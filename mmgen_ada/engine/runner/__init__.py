# Copyright (c) mmgen-ada contributors. All rights reserved.
from .gen_loops import GenEvalLoop, GenTestLoop, GenValLoop  # noqa: F401
