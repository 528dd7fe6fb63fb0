# Copyright (c) mmgen-ada contributors. All rights reserved.
"""mmengine's ``Runner`` with checkpoints that carry no code and must fit.

Selected by ``runner_type = 'GANRunner'`` (configs/_base_/default_runtime.py)
and built by :func:`build_runner`, which the tools call. Three changes:

* :meth:`GANRunner.save_checkpoint` stores the config as plain data
  (``meta['cfg']``, a JSON-able dict) instead of Python text.
* :meth:`GANRunner.load_checkpoint` reads through
  :func:`~mmgen_ada.engine.checkpoint.read_checkpoint` and removes config
  *text* from ``meta`` before anything sees it: mmengine's ``resume``
  executes ``meta['config']`` with ``Config.fromstring``.
* Loaded tensors must fit the model (keys and shapes), for ``load_from``,
  ``tools/test.py`` and resume alike; the config key ``partial_load=True``
  allows loading only what fits with ``load_from`` (logged key by key).
  Resume is always exact.
* A model with an :class:`~mmgen_ada.models.ADAAug` but no ``ADAHook`` in
  the hooks gets one, with a log line: MMagic's models update ``p``
  themselves, so MMagic configs list no such hook, and without it ``p``
  would stay constant. Likewise an APA module without ``APAHook``.
"""
import re
import time
from typing import Callable, List, Optional, Tuple, Union

import mmengine
import torch.nn as nn
from mmengine.config import Config
from mmengine.fileio import join_path
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import save_checkpoint, weights_to_cpu
from mmengine.utils import apply_to

from mmgen_ada.engine.checkpoint import (config_to_plain,
                                         load_state_dict_checked,
                                         read_checkpoint)
from mmgen_ada.registry import RUNNERS
from mmgen_ada.version import __version__

#: ``meta`` entries that hold config text (mmengine writes ``cfg``,
#: ``Runner.resume`` executes ``config``).
CONFIG_TEXT_KEYS = ('cfg', 'config')
DEFAULT_RUNNER_TYPE = 'GANRunner'


def _to_cpu(data):
    return apply_to(data, lambda x: hasattr(x, 'cpu'), lambda x: x.cpu())


# The default hooks mmengine's Runner registers itself (it accepts None for
# these only).
MMENGINE_DEFAULT_HOOKS = ('runtime_info', 'timer', 'sampler_seed', 'logger',
                          'param_scheduler', 'checkpoint')


@RUNNERS.register_module()
class GANRunner(Runner):
    """``Runner`` whose checkpoints are plain data and load strictly.

    Config keys read besides mmengine's:
        partial_load (bool): With ``load_from``, load the tensors that fit
            and skip (and log) the others instead of refusing the
            checkpoint. Defaults to False.
    """

    _resuming = False

    def register_hooks(self,
                       default_hooks: Optional[dict] = None,
                       custom_hooks: Optional[list] = None) -> None:
        """mmengine's hooks, plus ``ADAHook``/``APAHook`` where a module of
        the model needs one and no registered hook drives it."""
        super().register_hooks(default_hooks, custom_hooks)
        # hooks import models
        from mmgen_ada.engine.hooks import ADAHook, APAHook
        # A hook drives what its own finder returns: APAHook subclasses
        # ADAHook but drives APA modules only, never an ADAAug's p.
        driven = {
            id(module)
            for hook in self._hooks if isinstance(hook, ADAHook)
            for _, module in type(hook).find_ada_augs(self.model)
        }
        for hook_type in (ADAHook, APAHook):
            undriven = [
                name for name, module in hook_type.find_ada_augs(self.model)
                if id(module) not in driven
            ]
            if undriven:
                self.register_hook(dict(type=hook_type.__name__))
                self.logger.info(
                    f'Added {hook_type.__name__}: the model has module(s) '
                    f'{undriven} whose probability only that hook updates, '
                    'and custom_hooks lists none (MMagic configs do not); '
                    f"add dict(type='{hook_type.__name__}') to custom_hooks "
                    'to configure it yourself.')

    def register_default_hooks(self, hooks: Optional[dict] = None) -> None:
        """mmengine's default hooks; ``None`` switches off any of them.

        mmengine accepts ``None`` only for its own six default hooks; the
        runtime base adds more (``visualization``, ``divergence_guard``), so
        ``default_hooks = dict(visualization=None)`` drops those too.
        """
        if hooks is not None:
            hooks = {k: v for k, v in hooks.items() if v is not None or k in
                     MMENGINE_DEFAULT_HOOKS}
        super().register_default_hooks(hooks)

    def resume(self,
               filename: str,
               resume_optimizer: bool = True,
               resume_param_scheduler: bool = True,
               map_location: Union[str, Callable] = 'default') -> None:
        """mmengine's resume; the checkpoint must fit the model exactly."""
        self._resuming = True
        try:
            super().resume(filename, resume_optimizer, resume_param_scheduler,
                           map_location)
        finally:
            self._resuming = False

    def load_checkpoint(
            self,
            filename: str,
            map_location: Union[str, Callable] = 'cpu',
            strict: Optional[bool] = None,
            revise_keys: Optional[List[Tuple[str, str]]] = None) -> dict:
        """Read a checkpoint and load its weights into the model.

        Args:
            filename (str): Checkpoint path or URI.
            map_location (str | callable): As for ``torch.load``.
            strict (bool, optional): Require every key and shape to fit.
                None (mmengine's internal calls): strict when resuming or
                unless the config sets ``partial_load=True``.
            revise_keys (list[tuple[str, str]], optional): Regex
                substitutions applied to the keys. Defaults to stripping a
                ``module.`` prefix.

        Returns:
            dict: The checkpoint, without config text in ``meta``.

        Raises:
            CheckpointReadError: If the file cannot be read.
            StateDictMismatchError: If the tensors do not fit the model.
        """
        checkpoint = read_checkpoint(filename, map_location=map_location)
        meta = checkpoint.get('meta')
        if isinstance(meta, dict):
            for key in CONFIG_TEXT_KEYS:
                if isinstance(meta.get(key), str):
                    # Never executed; the run's own config is authoritative.
                    meta.pop(key)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)

        if strict is None:
            strict = self._resuming or not self.cfg.get('partial_load', False)
        state_dict = checkpoint.get('state_dict', checkpoint)
        for pattern, replacement in (revise_keys or [(r'^module\.', '')]):
            state_dict = type(state_dict)((re.sub(pattern, replacement, k), v)
                                          for k, v in state_dict.items())
        model = self.model.module if is_model_wrapper(
            self.model) else self.model
        if isinstance(meta, dict) and meta.get('converted_from'):
            state_dict = self._with_initial_augment_state(
                model, state_dict, str(filename))
        load_state_dict_checked(
            model, state_dict, str(filename), partial=not strict)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def _with_initial_augment_state(self, model: nn.Module,
                                    state_dict: dict, source: str) -> dict:
        """A converted NVlabs network has no state for our ``data_aug``
        modules (ADA's ``p`` and pending statistics live in NVlabs'
        separate augment pipe): keep the model's initial values for exactly
        those keys, and log them, so strict loading still checks every
        weight."""
        own = model.state_dict()
        filled = [
            k for k in own
            if '.data_aug.' in f'.{k}' and k not in state_dict
        ]
        if not filled:
            return state_dict
        self.logger.info(
            f'{source} is a converted NVlabs network without augmentation '
            f'state; keeping the initial values of {filled}')
        state_dict = dict(state_dict)
        state_dict.update({k: own[k] for k in filled})
        return state_dict

    def save_checkpoint(self,
                        out_dir: str,
                        filename: str,
                        file_client_args: Optional[dict] = None,
                        save_optimizer: bool = True,
                        save_param_scheduler: bool = True,
                        meta: Optional[dict] = None,
                        by_epoch: bool = True,
                        backend_args: Optional[dict] = None) -> None:
        """Save a checkpoint whose ``meta['cfg']`` is the config as data.

        The layout is mmengine's (``meta``, ``state_dict``, ``message_hub``,
        ``optimizer``, ``param_schedulers``); only rank 0 writes.

        Args:
            out_dir (str): Directory of the checkpoint.
            filename (str): Its file name.
            file_client_args (dict, optional): Not supported (deprecated in
                mmengine); use ``backend_args``.
            save_optimizer (bool): Save the optimizer state. Defaults to
                True.
            save_param_scheduler (bool): Save the scheduler states.
                Defaults to True.
            meta (dict, optional): Extra ``meta`` entries.
            by_epoch (bool): Whether ``meta['epoch']``/``['iter']`` count
                the current epoch or iteration as done. Defaults to True.
            backend_args (dict, optional): mmengine file backend arguments.
                None writes local files atomically (``atomic_local``).
        """
        if file_client_args is not None:
            raise ValueError('file_client_args is not supported; use '
                             'backend_args')
        if self.rank != 0:
            return
        meta = dict(meta or {})
        if by_epoch:
            meta.setdefault('epoch', self.epoch + 1)
            meta.setdefault('iter', self.iter)
        else:
            meta.setdefault('epoch', self.epoch)
            meta.setdefault('iter', self.iter + 1)
        meta.update(
            cfg=config_to_plain(self.cfg),
            seed=self.seed,
            experiment_name=self.experiment_name,
            time=time.strftime('%Y%m%d_%H%M%S', time.localtime()),
            mmengine_version=mmengine.__version__,
            mmgen_ada_version=__version__)
        dataset = getattr(self.train_dataloader, 'dataset', None)
        if hasattr(dataset, 'metainfo'):
            meta.update(dataset_meta=dataset.metainfo)

        model = self.model.module if is_model_wrapper(
            self.model) else self.model
        checkpoint = dict(
            meta=meta,
            state_dict=weights_to_cpu(model.state_dict()),
            message_hub=_to_cpu(self.message_hub.state_dict()))
        if save_optimizer:
            if not isinstance(self.optim_wrapper, OptimWrapper):
                raise TypeError('save_optimizer needs a built OptimWrapper, '
                                f'got {type(self.optim_wrapper).__name__}')
            checkpoint['optimizer'] = _to_cpu(self.optim_wrapper.state_dict())
        if save_param_scheduler and self.param_schedulers is not None:
            if isinstance(self.param_schedulers, dict):
                checkpoint['param_schedulers'] = {
                    name: [s.state_dict() for s in schedulers]
                    for name, schedulers in self.param_schedulers.items()
                }
            else:
                checkpoint['param_schedulers'] = [
                    s.state_dict() for s in self.param_schedulers
                ]
        if backend_args is None and '://' not in str(out_dir):
            backend_args = dict(backend='atomic_local')
        self.call_hook('before_save_checkpoint', checkpoint=checkpoint)
        save_checkpoint(
            checkpoint,
            join_path(out_dir, filename, backend_args=backend_args),
            backend_args=backend_args)


def build_runner(cfg: Config) -> Runner:
    """The runner of a config: ``cfg.runner_type``, :class:`GANRunner` if
    unset (what ``tools/train.py`` and ``tools/test.py`` call).

    Args:
        cfg (Config): A full config (model, data, hooks, ...).

    Returns:
        Runner: The built runner.
    """
    cfg = cfg.copy()
    cfg.setdefault('runner_type', DEFAULT_RUNNER_TYPE)
    if 'default_scope' not in cfg:
        cfg.default_scope = 'mmgen_ada'
    return RUNNERS.build(cfg)
