# Copyright (c) mmgen-ada contributors. All rights reserved.
"""mmgen-ada: StyleGAN2/3 with adaptive discriminator augmentation."""
import importlib.util

if importlib.util.find_spec('mmcv') is None:
    raise ImportError(
        'mmgen-ada needs mmcv: `pip install mmcv-lite` (pure Python, enough '
        'everywhere) or a full mmcv build (`mim install mmcv`, adds the CUDA '
        'kernels that mmgen_ada.ops uses on GPU).')

from .engine.checkpoint import register_checkpoint_safe_globals  # noqa: E402
from .version import __version__, version_info  # noqa: E402

# mmengine resumes with ``torch.load``; since torch 2.6 that only unpickles
# allow-listed types, so allow exactly those of mmengine checkpoints.
register_checkpoint_safe_globals()

__all__ = ['__version__', 'version_info']
