# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Base class of metrics computed from the generator alone (PPL, EQ)."""
from abc import abstractmethod
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
import torch.nn as nn
from mmengine.dist import (broadcast_object_list, collect_results,
                           get_world_size, is_main_process)
from mmengine.evaluator import BaseMetric
from mmengine.model import is_model_wrapper

from .generative_metric import SAMPLE_MODELS
from .mmagic_metric_args import check_sample_keys, label_source

#: ``labels(n) -> (n, label_dim) or None``, given by the evaluation loop.
LabelFn = Callable[[int], Optional[torch.Tensor]]


def generator_of(model: nn.Module, use_ema: bool) -> nn.Module:
    """The generator network of a GAN model (G_ema or G), unwrapped.

    Args:
        model (nn.Module): A model with ``generator`` and, for
            ``use_ema``, ``generator_ema`` (an averaged-model wrapper whose
            ``module`` is the network).
        use_ema (bool): Return G_ema.

    Returns:
        nn.Module: A network with ``mapping`` and ``synthesis``.
    """
    if is_model_wrapper(model):
        model = model.module
    if use_ema:
        ema = getattr(model, 'generator_ema', None)
        if ema is None:
            raise ValueError(
                f"sample_model='ema' but {type(model).__name__} "
                "has no generator_ema; write sample_model='orig'.")
        net = getattr(ema, 'module', ema)
    else:
        net = model.generator
        net = net.module if is_model_wrapper(net) else net
    for part in ('mapping', 'synthesis'):
        if not callable(getattr(net, part, None)):
            raise TypeError(f'{type(net).__name__} has no {part} network; '
                            'PPL and EQ need a StyleGAN generator split into '
                            'mapping and synthesis.')
    return net


class GeneratorMetric(BaseMetric):
    """Metric that samples the generator itself; no real images needed.

    :class:`~mmgen_ada.engine.runner.GenEvalLoop` calls :meth:`run` on every
    rank (the global RNG seeded per rank), each rank adds rows of per-sample
    values with :meth:`add`, and :meth:`evaluate` gathers the first
    ``fake_nums`` rows, computes on rank 0 and broadcasts.

    Args:
        fake_nums (int): Number of samples.
        real_nums (int): MMagic's argument; these metrics use no real images,
            so only 0 (its default) or -1 are accepted. Defaults to 0.
        sample_model (str): 'ema' (default) or 'orig'.
        collect_device (str): 'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): Result key prefix. Defaults to the class's
            ``default_prefix``.
        fake_key (str, optional): MMagic's key; only None or 'fake_img'.
        real_key (str, optional): MMagic's key; only 'gt_img', 'img' or None.
        need_cond_input (bool, optional): Labels of conditional generators:
            None/True from the dataset, False uniform (see
            :class:`~mmgen_ada.evaluation.metrics.GenerativeMetric`).
    """

    default_prefix = 'Generator'

    def __init__(self,
                 fake_nums: int,
                 real_nums: int = 0,
                 sample_model: str = 'ema',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 fake_key: Optional[str] = None,
                 real_key: Optional[str] = 'gt_img',
                 need_cond_input: Optional[bool] = None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=self.default_prefix if prefix is None else prefix)
        name = type(self).__name__
        if not isinstance(fake_nums, int) or fake_nums < 1:
            raise ValueError(f'{name}: fake_nums must be an int >= 1, got '
                             f'{fake_nums!r}.')
        if real_nums not in (0, -1):
            raise ValueError(f'{name} uses no real images; real_nums must '
                             f'be 0 (or -1), got {real_nums!r}.')
        if sample_model not in SAMPLE_MODELS:
            raise ValueError(f'{name}: sample_model must be one of '
                             f'{SAMPLE_MODELS}, got {sample_model!r}.')
        check_sample_keys(name, fake_key, real_key)
        self.fake_nums = fake_nums
        self.real_nums = real_nums
        self.sample_model = sample_model
        self.label_source = label_source(name, need_cond_input)
        self.rows: List[np.ndarray] = []

    def add(self, values: torch.Tensor) -> None:
        """Add per-sample values (N, K) computed on this rank."""
        self.rows.extend(values.detach().to(torch.float64).cpu().numpy())

    def run(self,
            model: nn.Module,
            device: torch.device,
            labels: LabelFn,
            batch_size: int = 4) -> None:
        """Sample this rank's share of ``fake_nums`` and :meth:`add` them.

        Args:
            model (nn.Module): The GAN model (see :func:`generator_of`).
            device (torch.device): Where to compute.
            labels (callable): ``labels(n)`` -> (n, label_dim) or None.
            batch_size (int): Samples per generator call. Defaults to 4.
        """
        self.rows.clear()
        net = generator_of(model, self.sample_model == 'ema')
        total = -(-self.fake_nums // get_world_size())
        done = 0
        with torch.no_grad():
            while done < total:
                n = min(batch_size, total - done)
                self.add(self.sample_values(net, n, labels(n), device))
                done += n

    @abstractmethod
    def sample_values(self, net: nn.Module, n: int, c: Optional[torch.Tensor],
                      device: torch.device) -> torch.Tensor:
        """Per-sample values (n, K) of n fresh samples of ``net``."""

    @abstractmethod
    def compute(self, rows: np.ndarray) -> Dict[str, float]:
        """Scores from all per-sample values (fake_nums, K)."""

    def process(self, data_batch, data_samples) -> None:
        """Not used: values come from :meth:`run`."""
        raise RuntimeError(
            f'{type(self).__name__} samples the generator itself; evaluate '
            'it with GenValLoop/GenTestLoop (val_cfg/test_cfg type), not '
            "mmengine's ValLoop.")

    def compute_metrics(self, results: list) -> Dict[str, float]:
        return self.compute(np.stack(results))

    def evaluate(self, size: Optional[int] = None) -> Dict[str, float]:
        """Gather rows from all ranks, compute on rank 0, broadcast.

        Returns:
            dict: ``{'<prefix>/<name>': value}``, identical on every rank.
        """
        if self.collect_device == 'cpu':
            rows = collect_results(
                self.rows, self.fake_nums, 'cpu', tmpdir=self.collect_dir)
        else:
            rows = collect_results(self.rows, self.fake_nums,
                                   self.collect_device)
        scores = None
        if is_main_process():
            if len(rows) < self.fake_nums:
                raise RuntimeError(f'{self.prefix}: got {len(rows)} samples, '
                                   f'expected {self.fake_nums}; call run() '
                                   'on every rank first.')
            scores = {
                f'{self.prefix}/{k}': v
                for k, v in self.compute_metrics(rows).items()
            }
        out = [scores]
        broadcast_object_list(out)
        self.rows.clear()
        return out[0]
