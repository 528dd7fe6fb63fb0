# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Drive the ADA strength controller: pool statistics, update ``p``, log."""
import logging
from typing import List, Optional, Tuple

import torch
from mmengine.dist import all_reduce, broadcast, get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmgen_ada.models.ada import ADAAug
from mmgen_ada.registry import HOOKS

DATA_BATCH = Optional[dict]


@HOOKS.register_module()
class ADAHook(Hook):
    """Update the augmentation strength ``p`` of every :class:`ADAAug`.

    Every ``update_interval`` train iterations of an :class:`ADAAug` (found
    anywhere in ``runner.model``, through DDP and other wrappers), the hook

    1. sums its statistics ``(sum sign(D(real)), number of real logits,
       number of real images)`` over all ranks (``mmengine.dist.all_reduce``),
       so every rank applies the same update computed from the global batch;
    2. calls :meth:`ADAAug.update`, i.e.
       ``p += sign(r_t - ada_target) * num_images / (ada_kimg * 1000)``,
       clamped to ``[0, max_p]``, with ``r_t = sum / count``;
    3. logs ``p`` and ``r_t`` as ``train/ada_p`` and ``train/ada_rt`` in the
       message hub (picked up by the logger and the visualisation backends).
       With several ADAAugs the keys get the module name as suffix
       (``train/ada_p/discriminator.data_aug``).

    ``p`` is a buffer of the model, so checkpoints save it and resuming
    restores it; the accumulators live in the ADAAug's extra state (also
    checkpointed). ``before_train`` broadcasts ``p`` from rank 0 so that all
    ranks start from the same value.

    Args:
        log_prefix (str): Prefix of the logged keys. Defaults to
            'train/ada'.
    """

    priority = 'NORMAL'  # after the optimizer steps, before logging/saving

    def __init__(self, log_prefix: str = 'train/ada') -> None:
        if not isinstance(log_prefix, str) or not log_prefix:
            raise ValueError(
                f'log_prefix must be a non-empty str, got {log_prefix!r}.')
        self.log_prefix = log_prefix
        self._augs: Optional[List[Tuple[str, ADAAug]]] = None

    @staticmethod
    def find_ada_augs(model: torch.nn.Module) -> List[Tuple[str, ADAAug]]:
        """All :class:`ADAAug` modules of a (possibly wrapped) model.

        Args:
            model (nn.Module): ``runner.model``.

        Returns:
            list[tuple[str, ADAAug]]: ``(name, module)`` in module order,
            names without wrapper prefixes (``module.``).
        """
        found, seen = [], set()
        for name, module in model.named_modules():
            if isinstance(module, ADAAug) and id(module) not in seen:
                seen.add(id(module))
                while name.startswith('module.'):
                    name = name[len('module.'):]
                found.append((name, module))
        return found

    def before_train(self, runner) -> None:
        """Warn when there is nothing to drive; align ``p`` across ranks."""
        augs = self._augs = self.find_ada_augs(runner.model)
        if not augs:
            print_log(
                'ADAHook: the model has no ADAAug (e.g. data_aug=None); '
                'the hook does nothing.',
                logger='current',
                level=logging.WARNING)
        if get_world_size() > 1:
            for _, aug in augs:
                broadcast(aug.aug_pipeline.p, src=0)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        """Update every ADAAug whose ``update_interval`` has elapsed."""
        augs = self._augs
        if augs is None:  # before_train was not called (e.g. a bare loop)
            augs = self.find_ada_augs(runner.model)
        due = [(name, aug) for name, aug in augs
               if self.every_n_train_iters(runner, aug.update_interval)]
        if not due:
            return
        device = due[0][1].sign_stats().device
        stats = torch.stack([aug.sign_stats().to(device) for _, aug in due])
        all_reduce(stats, op='sum')  # no-op when not distributed
        stats = stats.tolist()
        for (name, aug), (sign_sum, count, num_images) in zip(due, stats):
            aug.update(sign_sum, count, num_images)
            suffix = '' if len(augs) == 1 else f'/{name}'
            runner.message_hub.update_scalar(f'{self.log_prefix}_p{suffix}',
                                             aug.p)
            if count > 0:
                runner.message_hub.update_scalar(
                    f'{self.log_prefix}_rt{suffix}', sign_sum / count)
