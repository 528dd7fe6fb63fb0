# Copyright (c) mmgen-ada contributors. All rights reserved.
from .data_preprocessors import *  # noqa: F401,F403
from .stylegan2 import *  # noqa: F401,F403
from .base_models import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .stylegan3 import *  # noqa: F401,F403
from .ada import *  # noqa: F401,F403
from .diffaugment import *  # noqa: F401,F403
from .apa import *  # noqa: F401,F403
