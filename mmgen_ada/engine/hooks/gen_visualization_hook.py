# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Periodic sample grids from G_ema and augmented-real grids (ADA)."""
import math
import os
import os.path as osp
from typing import Optional

import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.utils import ProgressBar
from torch import Tensor

from mmgen_ada.registry import HOOKS
from mmgen_ada.visualization import make_image_grid, save_image, to_uint8

DATA_BATCH = Optional[dict]


def _unwrap(module):
    return module.module if is_model_wrapper(module) else module


@HOOKS.register_module()
class GenVisualizationHook(Hook):
    """Write sample grids during training.

    Every ``interval`` iterations (and after the last one) rank 0 writes

    - ``fakes_{iter:06d}_kimg{kimg:.3f}_p{p:.3f}.png`` (``_p...`` with ADA
      only; e.g. ``fakes_000300_kimg4.800_p0.094.png``): G_ema's images for
      a fixed set of latents (drawn once from ``seed`` with a private
      generator; for conditional models row ``i`` shows class
      ``i % label_dim``), ``noise_mode`` 'const' and ``truncation_psi`` as
      given;
    - ``reals_aug_{iter:06d}_kimg..._p....png``: the current real batch
      after D's augmentation at the current ADA ``p`` (if D has
      ``data_aug``).

    Images go to ``out_dir`` (default ``<work_dir>/samples``) and to the
    runner's visualizer (``add_image``; the configured vis backends, e.g.
    TensorBoard) under the tags ``fakes/kimg..._p...`` and
    ``reals_augmented/kimg..._p...``. With ``at_start`` the initial fakes
    (``fakes_init.png``) and the reals of the first batch (``reals.png``)
    are written too, as the reference does. The random draws of the
    augmentation run inside ``torch.random.fork_rng``, so visualising never
    changes training.

    Args:
        interval (int): Iterations between grids. Defaults to 1000.
        num_samples (int): Fake images per grid. Defaults to 64.
        grid_width (int, optional): Images per row. Defaults to
            ``ceil(sqrt(num_samples))``.
        seed (int): Seed of the fixed latents. Defaults to 0.
        truncation_psi (float): Truncation of the fakes. Defaults to 1.
        batch_size (int): Generation chunk size. Defaults to 16.
        out_dir (str, optional): Output folder. Defaults to
            ``<work_dir>/samples``.
        at_start (bool): Also write grids before the first iteration.
            Defaults to True.
        vis_augmented_reals (bool): Write augmented-real grids. Defaults to
            True.
    """

    priority = 'LOW'  # after GeneratorEMAHook (NORMAL) updated G_ema

    def __init__(self,
                 interval: int = 1000,
                 num_samples: int = 64,
                 grid_width: Optional[int] = None,
                 seed: int = 0,
                 truncation_psi: float = 1.0,
                 batch_size: int = 16,
                 out_dir: Optional[str] = None,
                 at_start: bool = True,
                 vis_augmented_reals: bool = True) -> None:
        for name, value in (('interval', interval),
                            ('num_samples', num_samples), ('batch_size',
                                                           batch_size)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(
                    f'GenVisualizationHook: {name} must be a positive int, '
                    f'got {value!r}')
        self.interval = interval
        self.num_samples = num_samples
        self.grid_width = grid_width or math.ceil(math.sqrt(num_samples))
        self.seed = seed
        self.truncation_psi = truncation_psi
        self.batch_size = batch_size
        self.out_dir = out_dir
        self.at_start = at_start
        self.vis_augmented_reals = vis_augmented_reals
        self._z: Optional[Tensor] = None
        self._c: Optional[Tensor] = None
        self._start_written = False

    def before_train(self, runner) -> None:
        """Draw the fixed latents (and labels) once."""
        if self.out_dir is None:
            self.out_dir = osp.join(runner.work_dir, 'samples')
        model = _unwrap(runner.model)
        gen = torch.Generator().manual_seed(self.seed)
        self._z = torch.randn(
            self.num_samples, model.noise_size, generator=gen)
        label_dim = model.label_dim
        if label_dim > 0:
            rows = torch.arange(self.num_samples) // self.grid_width
            self._c = torch.nn.functional.one_hot(rows % label_dim,
                                                  label_dim).float()

    def _generate(self, runner) -> Tensor:
        model = _unwrap(runner.model)
        device = model.pl_mean.device if hasattr(model, 'pl_mean') else next(
            model.parameters()).device
        chunks = list(range(0, self.num_samples, self.batch_size))
        bar = ProgressBar(len(chunks)) if len(chunks) >= 8 else None
        images = []
        for start in chunks:
            z = self._z[start:start + self.batch_size].to(device)
            c = None if self._c is None else self._c[start:start +
                                                     self.batch_size].to(
                                                         device)
            images.append(
                model.generate(
                    z,
                    c,
                    truncation_psi=self.truncation_psi,
                    noise_mode='const').cpu())
            if bar is not None:
                bar.update()
        return torch.cat(images)

    def _augmented_reals(self, runner, data_batch) -> Optional[Tensor]:
        model = _unwrap(runner.model)
        disc = _unwrap(model.discriminator)
        data_aug = getattr(disc, 'data_aug', None)
        if data_aug is None or data_batch is None:
            return None
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            reals = model.data_preprocessor(data_batch, False)['inputs']
            return data_aug(reals).cpu()

    def _write(self, runner, tag: str, filename: str, image: np.ndarray,
               step: int) -> None:
        """Save ``image`` as ``out_dir/filename.png`` and send it to the
        visualizer under ``tag``."""
        os.makedirs(self.out_dir, exist_ok=True)
        path = osp.join(self.out_dir, f'{filename}.png')
        save_image(image, path)
        runner.visualizer.add_image(
            tag,
            image if image.shape[2] == 3 else np.repeat(image, 3, axis=2),
            step=step)
        runner.logger.info(f'GenVisualizationHook: wrote {path}')

    @staticmethod
    def _grid(images: Tensor, num_cols: Optional[int] = None) -> np.ndarray:
        """uint8 (rows * H, num_cols * W, C) grid of images in [-1, 1]."""
        return make_image_grid(
            to_uint8(images).permute(0, 2, 3, 1).cpu().numpy(), num_cols)

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: DATA_BATCH = None) -> None:
        """Initial grids (once, before the first iteration of this run)."""
        if not self.at_start or self._start_written:
            return
        self._start_written = True
        if not is_main_process() or runner.iter > 0:
            return
        self._write(runner, 'fakes', 'fakes_init',
                    self._grid(self._generate(runner), self.grid_width),
                    runner.iter)
        if data_batch is not None:
            reals = _unwrap(runner.model).data_preprocessor(data_batch,
                                                            False)['inputs']
            self._write(runner, 'reals', 'reals', self._grid(reals),
                        runner.iter)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        """Grids every ``interval`` iterations and after the last one."""
        if not (self.every_n_train_iters(runner, self.interval)
                or self.is_last_train_iter(runner)):
            return
        if not is_main_process():
            return
        step = runner.iter + 1
        note = self._annotation(runner)
        self._write(runner, f'fakes/{note}', f'fakes_{step:06d}_{note}',
                    self._grid(self._generate(runner), self.grid_width),
                    step)
        if self.vis_augmented_reals:
            aug = self._augmented_reals(runner, data_batch)
            if aug is not None:
                self._write(runner, f'reals_augmented/{note}',
                            f'reals_aug_{step:06d}_{note}', self._grid(aug),
                            step)

    @staticmethod
    def _annotation(runner) -> str:
        """``kimg{kimg:.3f}`` and, with ADA, ``_p{p:.3f}``: when a grid was
        drawn, in training images, and at which augmentation strength."""
        model = _unwrap(runner.model)
        nimg = getattr(model, 'cur_nimg', None)
        kimg = (float(nimg) if nimg is not None else
                (runner.iter + 1) * runner.train_dataloader.batch_size *
                runner.world_size) / 1000
        note = f'kimg{kimg:.3f}'
        disc = getattr(model, 'discriminator', None)
        data_aug = getattr(_unwrap(disc), 'data_aug', None) if disc else None
        if hasattr(data_aug, 'p'):  # ADAAug (DiffAugment has no p)
            note += f'_p{float(data_aug.p):.3f}'
        return note
