# Copyright (c) mmgen-ada contributors. All rights reserved.
"""StyleGAN2(-ADA) training algorithm: the four lazy-regularised phases."""
import inspect
from collections import defaultdict
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.dist import all_reduce, get_world_size
from mmengine.model import BaseModel, is_model_wrapper
from mmengine.optim import OptimWrapperDict
from torch import Tensor

from mmgen_ada.engine.optimizers.gan_optim_wrapper import GANOptimWrapper
from mmgen_ada.models.argument_checks import check_real
from mmgen_ada.models.mmagic_compat import refuse_unless
from mmgen_ada.models.losses import (d_logistic_loss,
                                     g_nonsaturating_logistic_loss,
                                     lecam_penalty,
                                     path_length_penalty, path_lengths,
                                     r1_gradient_penalty)
from mmgen_ada.registry import MODELS
from .baseline_path import in_baseline_path
from .mixed_precision import fp32_regularization

# MMagic's ``loss_config`` keys and how they map onto our typed arguments.
MMAGIC_LOSS_CONFIG_KEYS = ('r1_loss_weight', 'r1_interval', 'norm_mode',
                           'r1_use_apex_amp', 'scale_r1_loss',
                           'g_reg_interval', 'g_reg_weight', 'pl_batch_shrink',
                           'g_reg_use_apex_amp')
#: R1 normalisations: 'HWC' sums the squared input gradient over (C, H, W)
#: (NVlabs); MMagic's 'pixel' takes the squared norm over C per pixel and
#: averages it over (H, W), i.e. the 'HWC' value / (H * W).
R1_NORM_MODES = ('HWC', 'pixel')
#: Keys of ``ema_config`` the model reads itself (MMagic's BaseGAN pops
#: ``start_iter`` before building the EMA), so not passed to the EMA class.
EMA_CONFIG_MODEL_KEYS = ('start_iter', )


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

    With ``lecam_weight > 0``, Dmain adds the LeCam penalty (Tseng et al.,
    CVPR 2021, Eq. 3) on the logits it already has, ``lecam_weight *
    (mean((D(x) - alpha_F)^2) + mean((D(G(z)) - alpha_R)^2))``. The
    anchors ``alpha_R``/``alpha_F`` are moving averages of D's mean real
    and fake logits (buffers ``lecam_anchor_real``/``_fake``, starting at
    0, checkpointed). As in the official code, each Dmain pass first
    updates them, ``alpha <- decay * alpha + (1 - decay) * mean(logits)``,
    with the means averaged over all ranks (so the anchors are the same on
    every rank), and then uses the updated anchors, detached. With
    micro-batches the anchors move once per micro-batch (like NVlabs'
    ``pl_mean``), so there the step differs slightly from the one without.

    With ``apa=dict(...)`` (an :class:`~mmgen_ada.models.apa.APA` config:
    ``target``, ``kimg``, ``update_interval``, ``initial_p``), D's real
    passes apply adaptive pseudo augmentation (Jiang et al., NeurIPS 2021,
    Sec. 3), as the paper's code (DeceiveD) does: the pseudo reals are the
    detached fakes of this iteration's Gmain phase (latents other than
    Dmain's fakes); in Dmain and in the lazy R1 pass of Dreg each real is
    replaced by the pseudo real of the same index with probability
    ``p_apa`` (fresh draws per pass), keeps the real's label and is scored
    as real, so R1 is taken on the mixed batch too. ``apa.record`` gets D's
    logits on the mixed real-labelled batches (the ``r_t`` of the paper's
    code, also what ADA records then; the R1 pass adds logits, not images),
    and :class:`~mmgen_ada.engine.hooks.APAHook` updates ``p_apa``. At
    ``p_apa = 0`` no random number is drawn, so training is bit-identical to
    training without APA.

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
    again, so the ``p`` step still counts each real image once.

    Each phase ends with ``optim_wrapper.update_params(loss)``; the gradient
    work is the :class:`~mmgen_ada.engine.optimizers.GANOptimWrapper`'s: the
    cross-rank average (one flattened all-reduce per phase, as NVlabs
    stylegan3), AMP unscaling, the non-finite repair (``nan -> 0``,
    ``+-inf -> +-1e5``; counts logged as ``nonfinite_grads_G`` / ``_D``),
    ``clip_grad`` and the step. Under DDP
    (``MMSeparateDistributedDataParallel``) the DDP wrappers are bypassed for
    the forward passes (a GAN phase does not use every parameter of the
    wrapped module, which DDP's reducer does not allow) and only serve to
    broadcast the initial weights.

    Micro-batches (NVlabs ``--batch-gpu``): with ``batch_gpu`` (or the
    wrappers' ``accumulative_counts``) every phase splits the per-process
    batch into equal micro-batches, accumulates their gradients and steps
    once. Every phase's latents, labels and path-length noise are drawn
    for the whole batch before the first phase (NVlabs ``all_gen_z``), the
    gradients are averaged over the micro-batches, and ADA's statistics,
    ``pl_mean`` and its penalty see the whole batch, so a step equals the
    step without micro-batches up to float error, except where a module
    looks at the batch: D's minibatch-std groups lie within a micro-batch,
    and ``w_avg`` (StyleGAN3 also its magnitude EMAs) moves once per
    micro-batch, both as in NVlabs. (NVlabs sums the micro-batch gradients
    and updates ``pl_mean`` per micro-batch, so there ``--batch-gpu``
    changes the result slightly.) The path-length phase then needs one
    extra generator pass without a graph, see :meth:`_pl_batch_lengths`.

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
        lecam_weight (float): LeCam weight ``lambda`` (>= 0); 0 disables it
            and registers no anchors. Defaults to 0.
        lecam_decay (float): Decay of the LeCam anchors in ``[0, 1)``
            (0.99 in the paper). Defaults to 0.99.
        ema_config (dict, optional): Config of G_ema, built with the generator
            as ``model``. Defaults to
            ``dict(type='StyleGANEMA', ema_kimg=10.0, ema_rampup=None)``;
            updated by ``GeneratorEMAHook``. None disables G_ema.
        batch_gpu (int, optional): Micro-batch size (NVlabs
            ``--batch-gpu``); the per-process batch must be a multiple of
            it. Sets the optim wrappers' ``accumulative_counts`` to
            ``batch // batch_gpu``. Defaults to None (the wrappers'
            ``accumulative_counts``, 1 unless configured).
        loss_config (dict, optional): MMagic-style alternative to the typed
            regularisation arguments, with keys ``r1_loss_weight``
            (= gamma / 2 * r1_interval), ``r1_interval``, ``g_reg_interval``,
            ``g_reg_weight`` (= pl_weight * g_reg_interval),
            ``pl_batch_shrink``, ``norm_mode`` (``'HWC'``, NVlabs' R1, or
            ``'pixel'``, MMagic's default when the key is missing: R1 divided
            by H * W, see :data:`R1_NORM_MODES`), ``scale_r1_loss`` (either
            value: the AMP loss scale never changes R1's value here),
            ``r1_use_apex_amp``/``g_reg_use_apex_amp`` (False only). Unknown
            keys are an error. When given it overrides the typed arguments it
            covers. Defaults to None.
        apa (dict, optional): Adaptive pseudo augmentation, the arguments of
            :class:`~mmgen_ada.models.apa.APA` (``type='APA'`` optional);
            None disables it. Needs ``APAHook`` in ``custom_hooks``.
            Defaults to None.
        init_cfg (dict, optional): mmengine weight-init config.
        generator_steps (int): MMagic's G steps per iteration; 1 only.
        discriminator_steps (int): MMagic's D steps per iteration; 1 only.

    ``ema_config`` may hold MMagic's ``start_iter``: before that iteration
    G_ema is a copy of G (see ``GeneratorEMAHook``); it is stored as
    :attr:`ema_start` and not passed to the EMA class.
    """

    #: Nested config keys this model reads itself (for config validation).
    nested_config_model_keys = dict(ema_config=EMA_CONFIG_MODEL_KEYS)

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
                 batch_gpu: Optional[int] = None,
                 loss_config: Optional[dict] = None,
                 lecam_weight: float = 0.,
                 lecam_decay: float = 0.99,
                 apa: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 generator_steps: int = 1,
                 discriminator_steps: int = 1) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='GANDataPreprocessor')
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        for key, value in (('generator_steps', generator_steps),
                           ('discriminator_steps', discriminator_steps)):
            refuse_unless(
                type(self).__name__, key, value, (1, ),
                'every iteration runs one generator and one discriminator '
                'step (plus the lazy regularisation steps), as NVlabs; '
                'change r1_interval/pl_interval for the regularisation '
                'schedule')
        self.r1_norm_mode = 'HWC'
        if loss_config is not None:
            (r1_gamma, r1_interval, pl_weight, pl_interval, pl_batch_shrink,
             self.r1_norm_mode) = self._parse_mmagic_loss_config(
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
        self.lecam_weight = check_real('lecam_weight', lecam_weight, low=0)
        self.lecam_decay = check_real('lecam_decay', lecam_decay, low=0)
        if self.lecam_decay >= 1:
            raise ValueError(
                f'lecam_decay must be in [0, 1), got {lecam_decay!r}')
        if batch_gpu is not None and (isinstance(batch_gpu, bool)
                                      or not isinstance(batch_gpu, int)
                                      or batch_gpu < 1):
            raise ValueError('batch_gpu must be None or a positive int, got '
                             f'{batch_gpu!r}')
        self.batch_gpu = batch_gpu

        self.generator = MODELS.build(generator)
        self.discriminator = MODELS.build(discriminator)
        self._check_g_fits_d()
        if ema_config is None:
            ema_config = dict(
                type='StyleGANEMA', ema_kimg=10.0, ema_rampup=None)
        self.ema_start = 0
        if ema_config and 'start_iter' in ema_config:
            ema_config = dict(ema_config)
            self.ema_start = ema_config.pop('start_iter')
            if (isinstance(self.ema_start, bool)
                    or not isinstance(self.ema_start, int)
                    or self.ema_start < 0):
                raise ValueError('ema_config.start_iter must be an int >= 0, '
                                 f'got {self.ema_start!r}')
        self.generator_ema = (
            MODELS.build(ema_config, default_args=dict(
                model=self.generator)) if ema_config else None)

        # Path-length moving average, ``cur_nimg`` (real images seen over all
        # ranks) and the iteration counter that schedules the lazy phases:
        # checkpointed, so resume continues the same schedule.
        self.register_buffer('pl_mean', torch.zeros([]))
        self.register_buffer('cur_nimg', torch.zeros([], dtype=torch.int64))
        self.register_buffer('num_batches', torch.zeros([], dtype=torch.int64))
        if self.lecam_weight > 0:  # LeCam anchors alpha_R, alpha_F (Eq. 3)
            self.register_buffer('lecam_anchor_real', torch.zeros([]))
            self.register_buffer('lecam_anchor_fake', torch.zeros([]))

        if apa is not None and not isinstance(apa, dict):
            raise TypeError('apa must be None or a dict of APA arguments '
                            f'(target, kimg, update_interval, initial_p), got '
                            f'{apa!r}')
        self.apa = None if apa is None else MODELS.build(
            dict(type='APA', **apa) if 'type' not in apa else apa)

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
        # MMagic's default is 'pixel' when the key is missing.
        norm_mode = loss_config.get('norm_mode', 'pixel')
        if norm_mode not in R1_NORM_MODES:
            raise ValueError(
                f"loss_config['norm_mode'] must be one of {R1_NORM_MODES} "
                "('HWC': NVlabs' R1 summed over C, H, W; 'pixel': MMagic's, "
                f"the same divided by H * W), got {norm_mode!r}")
        if not isinstance(loss_config.get('scale_r1_loss', False), bool):
            raise ValueError("loss_config['scale_r1_loss'] must be a bool, "
                             f"got {loss_config['scale_r1_loss']!r}")
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
        return (r1_gamma, r1_interval, pl_weight, pl_interval,
                pl_batch_shrink, norm_mode)

    def _check_g_fits_d(self) -> None:
        """Raise if D cannot score G's images (size, channels, labels)."""
        G, D = self.generator, self.discriminator
        pairs = (('out_size', 'in_size', 'image resolution'),
                 ('out_channels', 'img_channels', 'image channels'),
                 ('cond_size', 'cond_size', 'label dimension'))
        for g_key, d_key, what in pairs:
            g_val, d_val = getattr(G, g_key, None), getattr(D, d_key, None)
            # Sizes are an int (square) or an (H, W) tuple on both sides.
            known = isinstance(g_val, (int, tuple)) and isinstance(
                d_val, (int, tuple))
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

    def run_G(self,
              z: Tensor,
              c: Optional[Tensor],
              update_emas: bool = True) -> Tuple[Tensor, Tensor]:
        """Training-mode generator pass: mapping (updates ``w_avg``), style
        mixing, synthesis with random noise.

        Args:
            z (Tensor): Latents, shape (N, noise_size).
            c (Tensor, optional): Labels, shape (N, label_dim).
            update_emas (bool): Let the generator update its moving
                averages (``w_avg``). Defaults to True.

        Returns:
            tuple[Tensor, Tensor]: images (N, C, H, W) in about [-1, 1] and
            the styles used, (N, num_ws, style_channels).
        """
        G = _unwrap(self.generator)
        ws = G.mapping(z, c, update_w_avg=update_emas)
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

    # ------------------------------------------------------- micro-batches
    def _num_micro_batches(self, batch_size: int,
                           optim_wrapper: GANOptimWrapper, name: str) -> int:
        """Micro-batches per phase of sub-model ``name``; with ``batch_gpu``
        also sets the wrapper's ``accumulative_counts`` to it."""
        counts = optim_wrapper.accumulative_counts
        if self.batch_gpu is None:
            if batch_size % counts:
                raise ValueError(
                    f'The per-process batch of {batch_size} images does not '
                    f'split into optim_wrapper.{name}.accumulative_counts='
                    f'{counts} equal micro-batches; choose a divisor')
            return counts
        if batch_size % self.batch_gpu:
            raise ValueError(
                f'The per-process batch of {batch_size} images '
                '(train_dataloader.batch_size) is not a multiple of '
                f'batch_gpu={self.batch_gpu}')
        num = batch_size // self.batch_gpu
        if counts not in (1, num):
            raise ValueError(
                f'batch_gpu={self.batch_gpu} splits the per-process batch of '
                f'{batch_size} into {num} micro-batches, but '
                f'optim_wrapper.{name}.accumulative_counts={counts}; set only '
                'one of them')
        optim_wrapper.accumulative_counts = num
        return num

    @staticmethod
    def _split(tensor: Optional[Tensor], num: int) -> List[Optional[Tensor]]:
        """``num`` equal micro-batches of ``tensor`` (None stays None)."""
        return [None] * num if tensor is None else list(tensor.chunk(num))

    def _draw_latents(self, batch_size: int, real_c: Optional[Tensor],
                      pl_batch: int, img_shape: torch.Size) -> dict:
        """Latents, labels and path-length noise of every phase.

        Drawn before the first phase, as NVlabs draws ``all_gen_z``, so a
        phase's samples do not depend on its split into micro-batches.
        """
        device = self.pl_mean.device
        draws = dict(
            g_z=self.sample_z(batch_size, device),
            g_c=self._gen_labels(real_c))
        if pl_batch > 0:
            pl_c = self._gen_labels(real_c)
            draws.update(
                pl_z=self.sample_z(pl_batch, device),
                pl_c=None if pl_c is None else pl_c[:pl_batch],
                pl_noise=torch.randn([pl_batch, *img_shape], device=device))
        draws.update(
            d_z=self.sample_z(batch_size, device),
            d_c=self._gen_labels(real_c))
        return draws

    @staticmethod
    def _check_optim_wrappers(optim_wrapper: OptimWrapperDict) -> None:
        for name in ('generator', 'discriminator'):
            wrapper = optim_wrapper[name]
            if not isinstance(wrapper, GANOptimWrapper):
                raise TypeError(
                    f"optim_wrapper['{name}'] is a {type(wrapper).__name__}; "
                    'the StyleGAN2 phases need a GANOptimWrapper (it averages '
                    'gradients over ranks, repairs non-finite ones and '
                    "accumulates micro-batches): use constructor='LazyRegOpt"
                    "imWrapperConstructor' or type='GANOptimWrapper'")

    # ----------------------------------------------------------- the phases
    def _g_phases(self, draws: dict, optim_wrapper: GANOptimWrapper, num: int,
                  do_pl: bool, log: Dict[str, List[Tensor]]) -> None:
        lazy = self.pl_interval is not None
        if do_pl:
            pl_parts = list(
                zip(*(self._split(draws[key], num)
                      for key in ('pl_z', 'pl_c', 'pl_noise'))))
            # Gboth: the lengths of the generator before this phase's step.
            batch_lengths = (
                self._pl_batch_lengths(pl_parts, optim_wrapper)
                if num > 1 and not lazy else None)
        new_pl_mean = None
        g_parts = zip(
            self._split(draws['g_z'], num), self._split(draws['g_c'], num))
        pseudo = []
        for i, (gen_z, gen_c) in enumerate(g_parts):
            with optim_wrapper.optim_context(self.generator):
                gen_img, _ = self.run_G(gen_z, gen_c)
                if self.apa is not None:  # APA's pseudo reals, as DeceiveD
                    pseudo.append(gen_img.detach())
                fake_logits = self.run_D(gen_img, gen_c)
                loss = g_nonsaturating_logistic_loss(fake_logits).mean()
                log['loss_G'].append(loss.detach())
                if do_pl and not lazy:
                    loss_pl, new_pl_mean = self._pl_loss(
                        *pl_parts[i], batch_lengths, log)
                    loss = loss + loss_pl
            optim_wrapper.update_params(loss)

        if do_pl and lazy:
            new_pl_mean = self._greg_phase(pl_parts, optim_wrapper, log)
        if new_pl_mean is not None:
            self.pl_mean.copy_(new_pl_mean)
        if pseudo:
            draws['apa_pseudo'] = torch.cat(pseudo)

    def _greg_phase(self, pl_parts: List[tuple],
                    optim_wrapper: GANOptimWrapper,
                    log: Dict[str, List[Tensor]]) -> Tensor:
        """Greg: the lazy path-length step; returns the new ``pl_mean``.

        Uses the lengths of the generator after Gmain's step; float32 under
        a CPU bfloat16 autocast (:func:`.mixed_precision.fp32_regularization`).
        """
        batch_lengths = (
            self._pl_batch_lengths(pl_parts, optim_wrapper)
            if len(pl_parts) > 1 else None)
        for part in pl_parts:
            with optim_wrapper.optim_context(
                    self.generator), fp32_regularization():
                loss, new_pl_mean = self._pl_loss(*part, batch_lengths, log)
            optim_wrapper.update_params(loss * self.pl_interval)
        return new_pl_mean

    def _pl_batch_lengths(self, parts: List[tuple],
                          optim_wrapper: GANOptimWrapper) -> Tensor:
        """Path lengths of the whole path-length batch, without a graph.

        With micro-batches, ``pl_mean`` and the penalty of every micro-batch
        depend on the mean length over the whole batch, known only after all
        of them. This extra pass (per micro-batch one generator forward and
        one backward to the styles) computes the lengths first; it replays
        the generator's own random draws (noise, style mixing) of the
        passes that follow and updates no moving average.
        """
        device = self.pl_mean.device
        cuda_devices = [device] if device.type == 'cuda' else []
        lengths = []
        with torch.random.fork_rng(devices=cuda_devices):
            for gen_z, gen_c, noise in parts:
                with optim_wrapper.optim_context(
                        self.generator), fp32_regularization():
                    gen_img, gen_ws = self.run_G(
                        gen_z, gen_c, update_emas=False)
                    lengths.append(
                        path_lengths(
                            gen_img, gen_ws, noise, create_graph=False))
        return torch.cat(lengths)

    def _pl_loss(self, gen_z: Tensor, gen_c: Optional[Tensor], noise: Tensor,
                 batch_lengths: Optional[Tensor],
                 log: Dict[str, List[Tensor]]) -> Tuple[Tensor, Tensor]:
        """Path-length loss of one micro-batch and the updated ``pl_mean``
        (returned, not yet stored)."""
        gen_img, gen_ws = self.run_G(gen_z, gen_c)
        penalty, new_pl_mean, _ = path_length_penalty(
            gen_img,
            gen_ws,
            self.pl_mean,
            self.pl_decay,
            noise=noise,
            batch_lengths=batch_lengths)
        loss = (penalty * self.pl_weight).mean()
        log['pl_penalty'].append(penalty.detach().mean())
        log['loss_G_pl'].append(loss.detach())
        return loss, new_pl_mean

    def _d_phases(self, real_img: Tensor, real_c: Optional[Tensor],
                  draws: dict, optim_wrapper: GANOptimWrapper, num: int,
                  do_r1: bool, log: Dict[str, List[Tensor]]) -> None:
        lazy = self.r1_interval is not None
        pseudo = draws.get('apa_pseudo')
        parts = list(
            zip(
                self._split(real_img, num), self._split(real_c, num),
                self._split(draws['d_z'], num), self._split(draws['d_c'], num),
                self._split(pseudo, num) if pseudo is not None else [None] *
                num))
        for part in parts:
            self._dmain_micro_batch(part, optim_wrapper, do_r1 and not lazy,
                                    log)
        if do_r1 and lazy:
            self._dreg_phase(parts, optim_wrapper, log)

    def _dmain_micro_batch(self, part: tuple, optim_wrapper: GANOptimWrapper,
                           with_r1: bool, log: Dict[str,
                                                    List[Tensor]]) -> None:
        """Dmain on one micro-batch (plus R1 when not lazy, NVlabs Dboth).

        The fake term is back-propagated before the reals are scored (as
        NVlabs' separate ``Dgen`` and ``Dreal`` backward passes), so the
        graphs of the two D passes are never alive together; with LeCam
        both logits enter one penalty and one backward pass.
        """
        real, c_real, gen_z, gen_c, pseudo_img = part
        split = self.lecam_weight == 0 and not in_baseline_path()
        with optim_wrapper.optim_context(self.discriminator):
            with torch.no_grad():  # G is frozen in D's phases
                gen_img, _ = self.run_G(gen_z, gen_c)
            fake_logits = self.run_D(gen_img, gen_c)
            loss_fake = d_logistic_loss(fake_logits=fake_logits).mean()
        if split:
            optim_wrapper.backward_part(loss_fake)
            fake_logits = fake_logits.detach()
        with optim_wrapper.optim_context(self.discriminator):
            real_tmp = self._apa_mix(real, pseudo_img, log)
            real_tmp = real_tmp.requires_grad_(with_r1)
            real_logits = self.run_D(real_tmp, c_real, is_real=True)
            if self.apa is not None:
                self.apa.record(real_logits)
            loss_real = d_logistic_loss(real_logits=real_logits).mean()
            log['loss_D'].append((loss_fake + loss_real).detach())
            log['scores_fake'].append(fake_logits.detach().mean())
            log['scores_real'].append(real_logits.detach().mean())
            loss = loss_real if split else loss_fake + loss_real
            if self.lecam_weight > 0:
                loss = loss + self._lecam_loss(real_logits, fake_logits, log)
            if with_r1:
                loss = loss + self._r1_loss(real_logits, real_tmp, log)
        optim_wrapper.update_params(loss)

    def _dreg_phase(self, parts: List[tuple], optim_wrapper: GANOptimWrapper,
                    log: Dict[str, List[Tensor]]) -> None:
        """Dreg: the lazy R1 step on the (augmented, APA-mixed) reals;
        float32 under a CPU bfloat16 autocast, like Greg."""
        for real, c_real, _, _, pseudo_img in parts:
            with optim_wrapper.optim_context(
                    self.discriminator), fp32_regularization():
                real_tmp = self._apa_mix(real, pseudo_img, log)
                real_tmp = real_tmp.requires_grad_(True)
                real_logits = self.run_D(
                    real_tmp, c_real, is_real=True, repeated_reals=True)
                if self.apa is not None:
                    self.apa.record(real_logits, repeated=True)
                loss = self._r1_loss(real_logits, real_tmp, log)
            optim_wrapper.update_params(loss * self.r1_interval)

    def _apa_mix(self, real: Tensor, pseudo_img: Optional[Tensor],
                 log: Dict[str, List[Tensor]]) -> Tensor:
        """The real-labelled images of a D pass: the reals, or with APA each
        replaced by a pseudo real with probability ``p_apa`` (fresh draws
        per pass). The pseudo reals keep the reals' labels, as in DeceiveD's
        loss (``run_D(mixed, real_c)``)."""
        if self.apa is None:
            return real.detach()
        mixed, _, mask = self.apa.mix(real.detach(), pseudo_img)
        log['apa_pseudo_fraction'].append(mask.float().mean())
        return mixed

    def _lecam_loss(self, real_logits: Tensor, fake_logits: Tensor,
                    log: Dict[str, List[Tensor]]) -> Tensor:
        """Update the LeCam anchors from this pass's logits (means over all
        ranks), then return the weighted penalty with the new anchors."""
        means = torch.stack([
            real_logits.detach().float().mean(),
            fake_logits.detach().float().mean()
        ])
        all_reduce(means, op='mean')  # identical anchors on every rank
        decay = self.lecam_decay
        self.lecam_anchor_real.copy_(decay * self.lecam_anchor_real +
                                     (1 - decay) * means[0])
        self.lecam_anchor_fake.copy_(decay * self.lecam_anchor_fake +
                                     (1 - decay) * means[1])
        penalty = lecam_penalty(real_logits, fake_logits,
                                self.lecam_anchor_real, self.lecam_anchor_fake)
        loss = penalty * self.lecam_weight
        log['lecam_penalty'].append(penalty.detach())
        log['loss_D_lecam'].append(loss.detach())
        return loss

    def _r1_loss(self, real_logits: Tensor, real_img: Tensor,
                 log: Dict[str, List[Tensor]]) -> Tensor:
        penalty = r1_gradient_penalty(real_logits, real_img)
        if self.r1_norm_mode == 'pixel':  # MMagic: mean over H, W
            penalty = penalty / (real_img.shape[2] * real_img.shape[3])
        loss = (penalty * (self.r1_gamma / 2)).mean()
        log['r1_penalty'].append(penalty.detach().mean())
        log['loss_D_r1'].append(loss.detach())
        return loss

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """One training iteration: Gmain, [Greg], Dmain, [Dreg].

        Args:
            data (dict | tuple | list): A batch from the dataloader, turned
                into ``dict(inputs=(N, C, H, W) in [-1, 1],
                labels=(N, label_dim) or None)`` by the data preprocessor.
            optim_wrapper (OptimWrapperDict): ``GANOptimWrapper`` s with keys
                ``generator`` and ``discriminator``.

        Returns:
            dict[str, Tensor]: For logging, scalar tensors (means over the
            batch): losses, penalties, mean logits, ``pl_mean``, the
            non-finite gradient counts, and ``kimg`` (a float).
        """
        self._check_optim_wrappers(optim_wrapper)
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
        g_optim = optim_wrapper['generator']
        d_optim = optim_wrapper['discriminator']
        num_g = self._num_micro_batches(batch_size, g_optim, 'generator')
        num_d = self._num_micro_batches(batch_size, d_optim, 'discriminator')
        pl_batch = max(batch_size // self.pl_batch_shrink, 1) if do_pl else 0
        if pl_batch % num_g:
            raise ValueError(
                f'The path-length batch of {pl_batch} (per-process batch '
                f'{batch_size} // pl_batch_shrink={self.pl_batch_shrink}) '
                f'does not split into the {num_g} micro-batches of the '
                'generator; use micro-batches (batch_gpu) that are a multiple '
                'of pl_batch_shrink')
        draws = self._draw_latents(batch_size, real_c, pl_batch,
                                   real_img.shape[1:])
        log: Dict[str, List[Tensor]] = defaultdict(list)

        self._set_trainable('generator', True)
        self._set_trainable('discriminator', False)
        self._g_phases(draws, g_optim, num_g, do_pl, log)
        self._set_trainable('generator', False)
        self._set_trainable('discriminator', True)
        self._d_phases(real_img, real_c, draws, d_optim, num_d, do_r1, log)
        self._set_trainable('generator', True)

        self.num_batches += 1
        self.cur_nimg += batch_size * get_world_size()
        log_vars = {
            key: torch.stack(values).float().mean()
            for key, values in log.items()
        }
        if do_pl:
            log_vars['pl_mean'] = self.pl_mean.detach().clone()
        if self.lecam_weight > 0:
            log_vars['lecam_anchor_real'] = self.lecam_anchor_real.clone()
            log_vars['lecam_anchor_fake'] = self.lecam_anchor_fake.clone()
        log_vars['nonfinite_grads_G'] = g_optim.pop_num_nonfinite()
        log_vars['nonfinite_grads_D'] = d_optim.pop_num_nonfinite()
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
