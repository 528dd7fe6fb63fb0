# Copyright (c) mmgen-ada contributors. All rights reserved.
"""StyleGAN2(-ADA) training algorithm: the four lazy-regularised phases."""
import inspect
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.dist import all_reduce, get_world_size
from mmengine.model import BaseModel, is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import Tensor

from mmgen_ada.models.argument_checks import check_real
from mmgen_ada.models.losses import (d_logistic_loss,
                                     g_nonsaturating_logistic_loss,
                                     path_length_penalty, r1_gradient_penalty)
from mmgen_ada.registry import MODELS

# MMagic's ``loss_config`` keys and how they map onto our typed arguments.
MMAGIC_LOSS_CONFIG_KEYS = ('r1_loss_weight', 'r1_interval', 'norm_mode',
                           'r1_use_apex_amp', 'g_reg_interval', 'g_reg_weight',
                           'pl_batch_shrink', 'g_reg_use_apex_amp')


def _unwrap(module: nn.Module) -> nn.Module:
    """The module inside a DDP-style wrapper (or the module itself)."""
    return module.module if is_model_wrapper(module) else module


@MODELS.register_module()
class StyleGAN2(BaseModel):
    """StyleGAN2 with lazy R1, path-length and style-mixing regularisation.

    One :meth:`train_step` is one iteration of NVlabs stylegan2-ada-pytorch's
    ``training_loop.py`` with its ``StyleGAN2Loss``: up to four phases, each
    with its own latents and its own optimizer step,

    - **Gmain** (every iteration): ``softplus(-D(G(z)))``;
    - **Greg** (every ``pl_interval``-th iteration, if ``pl_weight > 0``):
      path-length penalty on ``N // pl_batch_shrink`` fakes, weighted by
      ``pl_weight * pl_interval``;
    - **Dmain** (every iteration): ``softplus(D(G(z))) + softplus(-D(x))``;
    - **Dreg** (every ``r1_interval``-th iteration, if ``r1_gamma > 0``): R1
      on the (augmented) reals, weighted by ``r1_gamma / 2 * r1_interval``.

    ``pl_interval=None`` / ``r1_interval=None`` disable lazy regularisation
    (the reference's ``Gboth``/``Dboth`` phases: the penalty is added to the
    main loss every iteration with weight ``pl_weight`` / ``r1_gamma / 2``).
    The optimizer constructor
    :class:`~mmgen_ada.engine.optimizers.LazyRegOptimWrapperConstructor`
    reads these intervals to scale Adam's lr and betas.

    D's augmentation happens inside D (e.g.
    :class:`~mmgen_ada.models.ada.ADAStyleGAN2Discriminator`): reals and
    fakes both go through it. Real passes call ``D(real, c, is_real=True)``
    when D accepts ``is_real``, so ADA records the sign of the real logits,
    as the reference does in both Dmain and the lazy R1 pass of Dreg; the
    latter adds ``repeated_reals=True`` because it scores the same reals
    again, so the ``p`` step still counts each real image once. Before each
    optimizer step non-finite gradients are replaced (``nan -> 0``,
    ``+-inf -> +-1e5``) as the reference does, and their number is logged
    (``nonfinite_grads_G`` / ``_D``).

    Under DDP (``MMSeparateDistributedDataParallel``) gradients are averaged
    over ranks explicitly, one flattened all-reduce per phase, as NVlabs
    stylegan3 does; the DDP wrappers are bypassed for the forward passes (a
    GAN phase does not use every parameter of the wrapped module, which DDP's
    reducer does not allow) and only serve to broadcast the initial weights.

    Args:
        generator (dict): Config of the generator, e.g.
            ``dict(type='StyleGANv2Generator', out_size=256, ...)``.
        discriminator (dict): Config of the discriminator, e.g.
            ``dict(type='ADAStyleGAN2Discriminator', in_size=256, ...)``.
        data_preprocessor (dict, optional): Defaults to
            ``dict(type='GANDataPreprocessor')`` (uint8 -> [-1, 1]).
        r1_gamma (float): R1 weight gamma (the penalty is weighted by
            ``gamma / 2``). 0 disables R1. Defaults to 10.
        r1_interval (int, optional): Lazy R1 interval. Defaults to 16.
        pl_weight (float): Path-length weight. 0 disables it. Defaults to 2.
        pl_interval (int, optional): Lazy path-length interval. Defaults
            to 4.
        pl_decay (float): Decay of the path-length moving average ``pl_mean``
            (a checkpointed buffer). Defaults to 0.01.
        pl_batch_shrink (int): The Greg phase uses ``N // pl_batch_shrink``
            latents. Defaults to 2.
        ema_config (dict, optional): Config of G_ema, built with the generator
            as ``model``. Defaults to
            ``dict(type='StyleGANEMA', ema_kimg=10.0, ema_rampup=None)``;
            updated by ``GeneratorEMAHook``. None disables G_ema.
        loss_config (dict, optional): MMagic-style alternative to the typed
            regularisation arguments, with keys ``r1_loss_weight``
            (= gamma / 2 * r1_interval), ``r1_interval``, ``g_reg_interval``,
            ``g_reg_weight`` (= pl_weight * g_reg_interval),
            ``pl_batch_shrink``, ``norm_mode`` ('HWC' only),
            ``r1_use_apex_amp``/``g_reg_use_apex_amp`` (False only). Unknown
            keys are an error. When given it overrides the typed arguments it
            covers. Defaults to None.
        init_cfg (dict, optional): mmengine weight-init config.
    """

    def __init__(self,
                 generator: dict,
                 discriminator: dict,
                 data_preprocessor: Optional[dict] = None,
                 r1_gamma: float = 10.0,
                 r1_interval: Optional[int] = 16,
                 pl_weight: float = 2.0,
                 pl_interval: Optional[int] = 4,
                 pl_decay: float = 0.01,
                 pl_batch_shrink: int = 2,
                 ema_config: Optional[dict] = None,
                 loss_config: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='GANDataPreprocessor')
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if loss_config is not None:
            (r1_gamma, r1_interval, pl_weight, pl_interval,
             pl_batch_shrink) = self._parse_mmagic_loss_config(
                 loss_config, r1_gamma, r1_interval, pl_weight, pl_interval,
                 pl_batch_shrink)
        for name, value in (('r1_interval', r1_interval), ('pl_interval',
                                                           pl_interval)):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(
                    f'{name} must be a positive int or None, got {value!r}')
        r1_gamma = check_real('r1_gamma', r1_gamma, low=0)
        pl_weight = check_real('pl_weight', pl_weight, low=0)
        pl_decay = check_real('pl_decay', pl_decay, low=0, high=1)
        if not isinstance(pl_batch_shrink, int) or pl_batch_shrink < 1:
            raise ValueError('pl_batch_shrink must be a positive int, got '
                             f'{pl_batch_shrink!r}')
        self.r1_gamma = r1_gamma
        self.r1_interval = r1_interval
        self.pl_weight = pl_weight
        self.pl_interval = pl_interval
        self.pl_decay = pl_decay
        self.pl_batch_shrink = pl_batch_shrink

        self.generator = MODELS.build(generator)
        self.discriminator = MODELS.build(discriminator)
        self._check_g_fits_d()
        if ema_config is None:
            ema_config = dict(
                type='StyleGANEMA', ema_kimg=10.0, ema_rampup=None)
        self.generator_ema = (
            MODELS.build(ema_config, default_args=dict(
                model=self.generator)) if ema_config else None)

        # Path-length moving average, ``cur_nimg`` (real images seen over all
        # ranks) and the iteration counter that schedules the lazy phases:
        # checkpointed, so resume continues the same schedule.
        self.register_buffer('pl_mean', torch.zeros([]))
        self.register_buffer('cur_nimg', torch.zeros([], dtype=torch.int64))
        self.register_buffer('num_batches', torch.zeros([], dtype=torch.int64))

        d_params = inspect.signature(self.discriminator.forward).parameters
        self._d_takes_is_real = 'is_real' in d_params
        self._d_takes_repeated_reals = 'repeated_reals' in d_params
        # Parameters frozen by the networks (e.g. Freeze-D) stay frozen when
        # the phases toggle requires_grad.
        self._trainable = dict(
            generator=self._trainable_names(self.generator),
            discriminator=self._trainable_names(self.discriminator))

    # ------------------------------------------------------------------ setup
    @staticmethod
    def _parse_mmagic_loss_config(loss_config: dict, r1_gamma: float,
                                  r1_interval: Optional[int], pl_weight: float,
                                  pl_interval: Optional[int],
                                  pl_batch_shrink: int) -> Tuple:
        unknown = sorted(set(loss_config) - set(MMAGIC_LOSS_CONFIG_KEYS))
        if unknown:
            raise KeyError(f'Unknown loss_config key(s) {unknown}; valid keys '
                           f'are {list(MMAGIC_LOSS_CONFIG_KEYS)}')
        if loss_config.get('norm_mode', 'HWC') != 'HWC':
            raise ValueError(
                "loss_config['norm_mode'] must be 'HWC' (the reference sums "
                f"squared gradients over C, H, W), got "
                f"{loss_config['norm_mode']!r}")
        for key in ('r1_use_apex_amp', 'g_reg_use_apex_amp'):
            if loss_config.get(key, False):
                raise ValueError(f'loss_config[{key!r}]=True is not '
                                 'supported (no apex); use False')
        for key in ('r1_loss_weight', 'g_reg_weight'):
            if key in loss_config:
                check_real(f'loss_config[{key!r}]', loss_config[key], low=0)
        r1_interval = loss_config.get('r1_interval', r1_interval)
        pl_interval = loss_config.get('g_reg_interval', pl_interval)
        if 'r1_loss_weight' in loss_config:
            r1_gamma = (loss_config['r1_loss_weight'] * 2 / (r1_interval or 1))
        if 'g_reg_weight' in loss_config:
            pl_weight = loss_config['g_reg_weight'] / (pl_interval or 1)
        pl_batch_shrink = loss_config.get('pl_batch_shrink', pl_batch_shrink)
        return r1_gamma, r1_interval, pl_weight, pl_interval, pl_batch_shrink

    def _check_g_fits_d(self) -> None:
        """Raise if D cannot score G's images (size, channels, labels)."""
        G, D = self.generator, self.discriminator
        pairs = (('out_size', 'in_size', 'image resolution'),
                 ('out_channels', 'img_channels', 'image channels'),
                 ('cond_size', 'cond_size', 'label dimension'))
        for g_key, d_key, what in pairs:
            g_val, d_val = getattr(G, g_key, None), getattr(D, d_key, None)
            known = isinstance(g_val, int) and isinstance(d_val, int)
            if known and g_val != d_val:
                raise ValueError(
                    f'model.generator.{g_key}={g_val} but '
                    f'model.discriminator.{d_key}={d_val}: D scores the '
                    "generator's images, so both must be the dataset's "
                    f'{what}; set them to the same value.')

    @staticmethod
    def _trainable_names(module: nn.Module) -> List[str]:
        return [n for n, p in module.named_parameters() if p.requires_grad]

    def _set_trainable(self, name: str, flag: bool) -> None:
        module = _unwrap(getattr(self, name))
        params = dict(module.named_parameters())
        for param_name in self._trainable[name]:
            params[param_name].requires_grad_(flag)

    @property
    def lazy_reg_intervals(self) -> Dict[str, Optional[int]]:
        """Lazy-regularisation interval per optimised sub-model (None = not
        lazy), read by ``LazyRegOptimWrapperConstructor``. The generator's is
        ``pl_interval`` even when ``pl_weight`` is 0, as in the reference
        (its cifar config keeps G's lr and betas scaled)."""
        return dict(generator=self.pl_interval, discriminator=self.r1_interval)

    # --------------------------------------------------------------- helpers
    @property
    def label_dim(self) -> int:
        """Length of the class-label vector ``c`` (0 = unconditional)."""
        return int(getattr(_unwrap(self.generator), 'cond_size', 0) or 0)

    @property
    def noise_size(self) -> int:
        """Length of the latent ``z``."""
        return int(_unwrap(self.generator).noise_size)

    def sample_z(self,
                 num: int,
                 device: Union[str, torch.device, None] = None) -> Tensor:
        """Standard normal latents, shape (num, noise_size)."""
        if device is None:
            device = self.pl_mean.device
        return torch.randn(num, self.noise_size, device=device)

    def _gen_labels(self, real_c: Optional[Tensor]) -> Optional[Tensor]:
        """Labels for fakes: the batch's real labels in random order.

        The reference draws labels of random training images; a permutation
        of the batch's labels is a sample from the same distribution.
        """
        if real_c is None:
            return None
        perm = torch.randperm(real_c.shape[0], device=real_c.device)
        return real_c[perm]

    def run_G(self, z: Tensor, c: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
        """Training-mode generator pass: mapping (updates ``w_avg``), style
        mixing, synthesis with random noise.

        Args:
            z (Tensor): Latents, shape (N, noise_size).
            c (Tensor, optional): Labels, shape (N, label_dim).

        Returns:
            tuple[Tensor, Tensor]: images (N, C, H, W) in about [-1, 1] and
            the styles used, (N, num_ws, style_channels).
        """
        G = _unwrap(self.generator)
        ws = G.mapping(z, c, update_w_avg=True)
        ws = G.mix_styles(ws, c)
        img = G.synthesis(ws, noise_mode='random')
        return img, ws

    def run_D(self,
              img: Tensor,
              c: Optional[Tensor],
              is_real: bool = False,
              repeated_reals: bool = False) -> Tensor:
        """Discriminator pass (D augments internally when ADA-capable).

        Args:
            img (Tensor): Images, shape (N, C, H, W), [-1, 1].
            c (Tensor, optional): Labels, shape (N, label_dim).
            is_real (bool): True for passes over real images (ADA
                statistics).
            repeated_reals (bool): With ``is_real``: the reals were already
                scored in this iteration (lazy R1 pass).

        Returns:
            Tensor: Logits, shape (N, 1).
        """
        D = _unwrap(self.discriminator)
        if not (is_real and self._d_takes_is_real):
            return D(img, c)
        if not repeated_reals:
            return D(img, c, is_real=True)
        if self._d_takes_repeated_reals:
            return D(img, c, is_real=True, repeated_reals=True)
        return D(img, c)  # cannot tell D the reals repeat: do not record

    def _apply_gradients(self, name: str, optim_wrapper: OptimWrapper,
                         log_vars: dict) -> None:
        """Average grads over ranks, zero non-finite ones, step, zero grad."""
        module = _unwrap(getattr(self, name))
        params = [
            p for p in module.parameters()
            if p.grad is not None and p.numel() > 0
        ]
        if params:
            sizes = [p.numel() for p in params]
            if get_world_size() > 1:
                flat = torch.cat([p.grad.flatten() for p in params])
                all_reduce(flat, op='mean')
                for p, g in zip(params, flat.split(sizes)):
                    p.grad.copy_(g.view_as(p))
            scaler = getattr(optim_wrapper, 'loss_scaler', None)
            if scaler is not None:
                # AmpOptimWrapper: unscale now so the scaler still sees (and
                # skips the step on) inf/nan before they are replaced.
                scaler.unscale_(optim_wrapper.optimizer)
            flat = torch.cat([p.grad.flatten() for p in params])
            nonfinite = (~torch.isfinite(flat)).sum()
            torch.nan_to_num(flat, nan=0.0, posinf=1e5, neginf=-1e5, out=flat)
            for p, g in zip(params, flat.split(sizes)):
                p.grad.copy_(g.view_as(p))
            key = 'nonfinite_grads_' + ('G' if name == 'generator' else 'D')
            log_vars[key] = log_vars.get(key, 0) + nonfinite.item()
        optim_wrapper.step()
        optim_wrapper.zero_grad()

    # ----------------------------------------------------------- the phases
    def _g_phases(self, real_c: Optional[Tensor], batch_size: int,
                  optim_wrapper: OptimWrapper, do_pl: bool,
                  log_vars: dict) -> None:
        lazy = self.pl_interval is not None
        device = self.pl_mean.device
        with optim_wrapper.optim_context(self.generator):
            gen_z = self.sample_z(batch_size, device)
            gen_c = self._gen_labels(real_c)
            gen_img, _ = self.run_G(gen_z, gen_c)
            fake_logits = self.run_D(gen_img, gen_c)
            loss = g_nonsaturating_logistic_loss(fake_logits).mean()
            log_vars['loss_G'] = loss.item()
            if do_pl and not lazy:
                loss = loss + self._pl_loss(real_c, batch_size, log_vars)
        optim_wrapper.backward(loss)
        self._apply_gradients('generator', optim_wrapper, log_vars)

        if do_pl and lazy:
            with optim_wrapper.optim_context(self.generator):
                loss = self._pl_loss(real_c, batch_size, log_vars)
            optim_wrapper.backward(loss * self.pl_interval)
            self._apply_gradients('generator', optim_wrapper, log_vars)

    def _pl_loss(self, real_c: Optional[Tensor], batch_size: int,
                 log_vars: dict) -> Tensor:
        pl_batch = max(batch_size // self.pl_batch_shrink, 1)
        gen_z = self.sample_z(pl_batch, self.pl_mean.device)
        gen_c = self._gen_labels(real_c)
        gen_c = None if gen_c is None else gen_c[:pl_batch]
        gen_img, gen_ws = self.run_G(gen_z, gen_c)
        penalty, new_pl_mean, _ = path_length_penalty(gen_img, gen_ws,
                                                      self.pl_mean,
                                                      self.pl_decay)
        self.pl_mean.copy_(new_pl_mean)
        log_vars['pl_penalty'] = penalty.mean().item()
        log_vars['pl_mean'] = new_pl_mean.item()
        loss = (penalty * self.pl_weight).mean()
        log_vars['loss_G_pl'] = loss.item()
        return loss

    def _d_phases(self, real_img: Tensor, real_c: Optional[Tensor],
                  optim_wrapper: OptimWrapper, do_r1: bool,
                  log_vars: dict) -> None:
        lazy = self.r1_interval is not None
        batch_size = real_img.shape[0]
        with optim_wrapper.optim_context(self.discriminator):
            gen_z = self.sample_z(batch_size, real_img.device)
            gen_c = self._gen_labels(real_c)
            with torch.no_grad():  # G is frozen in D's phases
                gen_img, _ = self.run_G(gen_z, gen_c)
            fake_logits = self.run_D(gen_img, gen_c)
            real_tmp = real_img.detach().requires_grad_(do_r1 and not lazy)
            real_logits = self.run_D(real_tmp, real_c, is_real=True)
            loss = (
                d_logistic_loss(fake_logits=fake_logits).mean() +
                d_logistic_loss(real_logits=real_logits).mean())
            log_vars['loss_D'] = loss.item()
            log_vars['scores_fake'] = fake_logits.mean().item()
            log_vars['scores_real'] = real_logits.mean().item()
            if do_r1 and not lazy:
                loss = loss + self._r1_loss(real_logits, real_tmp, log_vars)
        optim_wrapper.backward(loss)
        self._apply_gradients('discriminator', optim_wrapper, log_vars)

        if do_r1 and lazy:
            with optim_wrapper.optim_context(self.discriminator):
                real_tmp = real_img.detach().requires_grad_(True)
                real_logits = self.run_D(
                    real_tmp, real_c, is_real=True, repeated_reals=True)
                loss = self._r1_loss(real_logits, real_tmp, log_vars)
            optim_wrapper.backward(loss * self.r1_interval)
            self._apply_gradients('discriminator', optim_wrapper, log_vars)

    def _r1_loss(self, real_logits: Tensor, real_img: Tensor,
                 log_vars: dict) -> Tensor:
        penalty = r1_gradient_penalty(real_logits, real_img)
        log_vars['r1_penalty'] = penalty.mean().item()
        loss = (penalty * (self.r1_gamma / 2)).mean()
        log_vars['loss_D_r1'] = loss.item()
        return loss

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapperDict) -> Dict[str, float]:
        """One training iteration: Gmain, [Greg], Dmain, [Dreg].

        Args:
            data (dict | tuple | list): A batch from the dataloader, turned
                into ``dict(inputs=(N, C, H, W) in [-1, 1],
                labels=(N, label_dim) or None)`` by the data preprocessor.
            optim_wrapper (OptimWrapperDict): With keys ``generator`` and
                ``discriminator``.

        Returns:
            dict[str, float]: Losses, penalties, mean logits, ``pl_mean``,
            ``kimg`` and non-finite gradient counts, for logging.
        """
        data = self.data_preprocessor(data, True)
        real_img = data['inputs']
        real_c = data.get('labels', None)
        if self.label_dim > 0 and real_c is None:
            raise ValueError(
                f'The generator is conditional (cond_size={self.label_dim}) '
                'but the batch has no labels')
        if self.label_dim == 0:
            real_c = None
        batch_size = real_img.shape[0]
        batch_idx = int(self.num_batches)
        do_pl = self.pl_weight > 0 and (self.pl_interval is None
                                        or batch_idx % self.pl_interval == 0)
        do_r1 = self.r1_gamma > 0 and (self.r1_interval is None
                                       or batch_idx % self.r1_interval == 0)
        log_vars: Dict[str, float] = {}

        self._set_trainable('generator', True)
        self._set_trainable('discriminator', False)
        self._g_phases(real_c, batch_size, optim_wrapper['generator'], do_pl,
                       log_vars)
        self._set_trainable('generator', False)
        self._set_trainable('discriminator', True)
        self._d_phases(real_img, real_c, optim_wrapper['discriminator'], do_r1,
                       log_vars)
        self._set_trainable('generator', True)

        self.num_batches += 1
        self.cur_nimg += batch_size * get_world_size()
        log_vars['kimg'] = int(self.cur_nimg) / 1000
        return log_vars

    # ------------------------------------------------------------ inference
    @torch.no_grad()
    def generate(self,
                 z: Tensor,
                 c: Optional[Tensor] = None,
                 truncation_psi: float = 1.0,
                 noise_mode: str = 'const',
                 use_ema: bool = True) -> Tensor:
        """Generate images from latents.

        Args:
            z (Tensor): Latents, shape (N, noise_size).
            c (Tensor, optional): One-hot labels, shape (N, label_dim), for
                conditional models. Defaults to None.
            truncation_psi (float): Truncation towards ``w_avg``; 1 = none.
            noise_mode (str): 'const', 'random' or 'none'. Defaults to
                'const' (as the reference's metrics and snapshots).
            use_ema (bool): Use G_ema (the default, as for evaluation).

        Returns:
            Tensor: Images, float (N, C, H, W), about [-1, 1] (not clamped).
        """
        if use_ema:
            if self.generator_ema is None:
                raise ValueError('generate(use_ema=True) but this model has '
                                 'no generator_ema (ema_config was falsy); '
                                 'pass use_ema=False')
            G = self.generator_ema.module
        else:
            G = _unwrap(self.generator)
        if self.label_dim > 0 and c is None:
            raise ValueError(f'The generator is conditional (label_dim='
                             f'{self.label_dim}); pass c of shape (N, '
                             f'{self.label_dim})')
        return G(
            z,
            c if self.label_dim > 0 else None,
            truncation_psi=truncation_psi,
            noise_mode=noise_mode)

    def forward(self,
                inputs: Optional[Tensor] = None,
                labels: Optional[Tensor] = None,
                mode: str = 'predict',
                **kwargs) -> List[dict]:
        """mmengine entry for ``val_step``/``test_step``: fakes for a batch.

        One fake per real image of the batch (G_ema, ``noise_mode='const'``),
        conditioned on the batch's labels for conditional models.

        Args:
            inputs (Tensor): Real images (N, C, H, W) in [-1, 1].
            labels (Tensor, optional): Their labels (N, label_dim).
            mode (str): Only 'predict' is supported; training goes through
                :meth:`train_step`.

        Returns:
            list[dict]: ``dict(fake_img=(C, H, W), real_img=(C, H, W))`` per
            sample, both float in about [-1, 1].
        """
        if mode != 'predict':
            raise ValueError(
                f"StyleGAN2.forward supports mode='predict' only, got "
                f'{mode!r}; training uses train_step()')
        if inputs is None:
            raise ValueError('StyleGAN2.forward needs the real batch inputs '
                             'to know how many fakes to generate')
        num = inputs.shape[0]
        fakes = self.generate(
            self.sample_z(num, inputs.device),
            labels,
            use_ema=self.generator_ema is not None)
        return [
            dict(fake_img=fake, real_img=real)
            for fake, real in zip(fakes, inputs)
        ]
