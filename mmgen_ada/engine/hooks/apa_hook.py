# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Drive the APA probability controller: pool statistics, update, log."""
from typing import List, Tuple

import torch
from mmengine.dist import broadcast, get_world_size

from mmgen_ada.models.apa import APA
from mmgen_ada.registry import HOOKS
from .ada_hook import ADAHook


@HOOKS.register_module()
class APAHook(ADAHook):
    """Update ``p_apa`` of every :class:`~mmgen_ada.models.apa.APA` module.

    The same three steps as :class:`ADAHook`, on APA modules: every
    ``update_interval`` iterations sum ``(sum sign(D(real-labelled)),
    number of logits, number of images)`` over all ranks, call
    :meth:`APA.update` with the sums (so ``p_apa`` is identical on every
    rank), and log ``train/apa_p`` and ``train/apa_rt``. ``before_train``
    broadcasts ``p_apa`` from rank 0.

    Args:
        log_prefix (str): Prefix of the logged keys. Defaults to
            'train/apa'.
    """

    def __init__(self, log_prefix: str = 'train/apa') -> None:
        super().__init__(log_prefix=log_prefix)

    @staticmethod
    def find_ada_augs(model: torch.nn.Module) -> List[Tuple[str, APA]]:
        """All :class:`APA` modules of a (possibly wrapped) model, as
        ``(name, module)`` with wrapper prefixes (``module.``) removed."""
        found, seen = [], set()
        for name, module in model.named_modules():
            if isinstance(module, APA) and id(module) not in seen:
                seen.add(id(module))
                while name.startswith('module.'):
                    name = name[len('module.'):]
                found.append((name, module))
        return found

    def before_train(self, runner) -> None:
        """Require an APA module; align ``p_apa`` across ranks."""
        augs = self._augs = self.find_ada_augs(runner.model)
        if not augs:
            raise ValueError(
                'APAHook: the model has no APA module; set model.apa=dict('
                '...) or remove APAHook from custom_hooks.')
        if get_world_size() > 1:
            for _, apa in augs:
                broadcast(apa.p_apa, src=0)
