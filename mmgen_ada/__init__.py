# Copyright (c) mmgen-ada contributors. All rights reserved.
"""mmgen-ada: StyleGAN2/3 with adaptive discriminator augmentation."""
from .engine.checkpoint import register_checkpoint_safe_globals
from .version import __version__, version_info

# mmengine resumes with ``torch.load``; since torch 2.6 that only unpickles
# allow-listed types, so allow exactly those of mmengine checkpoints.
register_checkpoint_safe_globals()

__all__ = ['__version__', 'version_info']
