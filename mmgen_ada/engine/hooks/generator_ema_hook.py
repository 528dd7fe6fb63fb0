# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Drive the generator EMA (G_ema) of GAN models during training."""
import logging
from typing import Optional

from mmengine.dist import broadcast, get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmgen_ada.registry import HOOKS

DATA_BATCH = Optional[dict]


def _unwrap(module):
    return module.module if is_model_wrapper(module) else module


@HOOKS.register_module()
class GeneratorEMAHook(Hook):
    """Update ``model.generator_ema`` from ``model.generator`` every iteration.

    The averaged copy is the model's own sub-module (an mmengine
    ``BaseAveragedModel``, e.g. :class:`~mmgen_ada.models.StyleGANEMA`), so it
    is saved in and restored from checkpoints with the model, and
    ``model.generate(..., use_ema=True)`` (sampling, metrics) uses it. This
    hook only schedules the updates:

    - ``before_train``: sets the EMA's global ``batch_size`` (train dataloader
      batch size x world size) when it is None, and, under DDP, broadcasts
      G_ema from rank 0 (the DDP wrappers only broadcast G and D).
    - ``after_train_iter``: ``generator_ema.update_parameters(generator)``;
      before the model's ``ema_start`` (MMagic's ``ema_config.start_iter``:
      iterations ``i`` with ``i + 1 < ema_start``) G_ema is set to a copy of
      G instead and the EMA's update counter does not move, as in MMagic.

    A configured EMA ``batch_size`` (MMagic's ``RampUpEMA(batch_size=32)``)
    that differs from the real global batch is used as configured, as
    MMagic does, and logged as a warning: the half-life in images is then
    not the configured one.

    Args:
        generator_name (str): Attribute of the model holding the trained
            generator. Defaults to 'generator'.
        ema_name (str): Attribute holding the averaged copy. Defaults to
            'generator_ema'.
    """

    priority = 'NORMAL'  # before CheckpointHook (VERY_LOW) saves

    def __init__(self,
                 generator_name: str = 'generator',
                 ema_name: str = 'generator_ema') -> None:
        self.generator_name = generator_name
        self.ema_name = ema_name

    def _modules(self, runner):
        model = _unwrap(runner.model)
        for name in (self.generator_name, self.ema_name):
            if getattr(model, name, None) is None:
                raise AttributeError(
                    f'GeneratorEMAHook: the model {type(model).__name__} has '
                    f'no {name!r}; set ema_config in the model config or '
                    'remove the hook')
        return (_unwrap(getattr(model, self.generator_name)),
                getattr(model, self.ema_name))

    def before_train(self, runner) -> None:
        """Fill in the global batch size and synchronise G_ema over ranks."""
        _, ema = self._modules(runner)
        if getattr(ema, 'batch_size', 0) is None:
            loader = runner.train_dataloader
            per_rank = loader.batch_size or getattr(loader.batch_sampler,
                                                    'batch_size', None)
            if per_rank is None:
                raise ValueError(
                    'GeneratorEMAHook cannot infer the batch size from the '
                    'train dataloader (batch_size=None); set '
                    'model.ema_config.batch_size')
            ema.batch_size = per_rank * get_world_size()
        else:
            self._warn_batch_size(runner, ema)
        if get_world_size() > 1:
            for tensor in list(ema.parameters()) + list(ema.buffers()):
                broadcast(tensor.data, src=0)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        """One EMA update after the optimizer steps of this iteration."""
        generator, ema = self._modules(runner)
        ema_start = getattr(_unwrap(runner.model), 'ema_start', 0)
        if ema_start and runner.iter + 1 < ema_start:
            sources = list(generator.parameters()) + list(generator.buffers())
            copies = list(ema.module.parameters()) + list(
                ema.module.buffers())
            for copy, source in zip(copies, sources):
                copy.data.copy_(source.data.to(copy.device))
            return
        ema.update_parameters(generator)

    @staticmethod
    def _warn_batch_size(runner, ema) -> None:
        configured = getattr(ema, 'batch_size', None)
        loader = runner.train_dataloader
        per_rank = getattr(loader, 'batch_size', None)
        if not isinstance(configured, int) or not isinstance(per_rank, int):
            return
        actual = per_rank * get_world_size()
        if configured != actual:
            print_log(
                f'GeneratorEMAHook: the EMA computes its decay for a global '
                f'batch of {configured} images (ema_config.batch_size) but '
                f'the run trains on {actual}; set ema_config.batch_size='
                f'{actual} (or None to take it from the dataloader) for the '
                'configured half-life.',
                logger='current',
                level=logging.WARNING)
