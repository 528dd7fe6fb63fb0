# Copyright (c) mmgen-ada contributors. All rights reserved.
"""StyleGAN2 mapping network ``f: (z, c) -> w``."""
from typing import Optional

import torch
import torch.nn as nn

from .mixed_precision import autocast_disabled
from .stylegan2_modules import EqualizedLinear, normalize_2nd_moment


class MappingNetwork(nn.Module):
    """MLP from a latent ``z`` and/or a label ``c`` to a style vector ``w``.

    ``z`` is normalised to unit second moment; a label is embedded by a
    linear layer, normalised the same way and concatenated. Then
    ``num_layers`` leaky-ReLU layers with learning-rate multiplier
    ``lr_mlp``. ``w`` may be broadcast to ``num_ws`` copies, truncated
    towards the tracked average ``w_avg`` (Karras et al. 2019).

    Also used as the label mapping of the conditional discriminator
    (``noise_size=0``, ``num_ws=None``, ``w_avg_beta=None``).

    Args:
        noise_size (int): Channels of ``z``; 0 = no latent.
        cond_size (int): Channels of ``c``; 0 = unconditional.
        style_channels (int): Channels of ``w``.
        num_ws (int | None): Broadcast ``w`` to (N, num_ws, C); None returns
            (N, C).
        num_layers (int): Number of MLP layers. Defaults to 8.
        lr_mlp (float): Learning-rate multiplier of the MLP layers.
            Defaults to 0.01.
        w_avg_beta (float | None): Decay of the ``w_avg`` moving average;
            None = no ``w_avg`` buffer. Defaults to 0.995.
        cond_mapping_channels (int | None): Label embedding channels; None =
            ``style_channels``. Defaults to None.
        layer_channels (int | None): Hidden channels; None =
            ``style_channels``. Defaults to None.
        eps (float): Epsilon of the 2nd-moment normalisation of ``z`` and
            of the label embedding (NVlabs: 1e-8). Defaults to 1e-8.
    """

    def __init__(self,
                 noise_size: int,
                 cond_size: int,
                 style_channels: int,
                 num_ws: Optional[int],
                 num_layers: int = 8,
                 lr_mlp: float = 0.01,
                 w_avg_beta: Optional[float] = 0.995,
                 cond_mapping_channels: Optional[int] = None,
                 layer_channels: Optional[int] = None,
                 eps: float = 1e-8):
        super().__init__()
        if noise_size < 0 or cond_size < 0 or noise_size + cond_size == 0:
            raise ValueError('need noise_size >= 0 and cond_size >= 0, not '
                             f'both 0; got {noise_size} and {cond_size}.')
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}.')
        if w_avg_beta is not None and not 0 <= w_avg_beta <= 1:
            raise ValueError(
                f'w_avg_beta must be None or in [0, 1], got {w_avg_beta}.')
        self.noise_size = noise_size
        self.cond_size = cond_size
        self.style_channels = style_channels
        self.num_ws = num_ws
        self.num_layers = num_layers
        self.w_avg_beta = w_avg_beta
        self.eps = eps

        embed_channels = 0
        if cond_size > 0:
            embed_channels = cond_mapping_channels or style_channels
            self.embed = EqualizedLinear(cond_size, embed_channels)
        hidden = layer_channels or style_channels
        features = ([noise_size + embed_channels] + [hidden] *
                    (num_layers - 1) + [style_channels])
        for idx in range(num_layers):
            # fc{idx} names match the NVlabs state dict.
            self.add_module(
                f'fc{idx}',
                EqualizedLinear(
                    features[idx],
                    features[idx + 1],
                    activation='lrelu',
                    lr_multiplier=lr_mlp))
        if w_avg_beta is not None:
            self.register_buffer('w_avg', torch.zeros([style_channels]))

    def forward(self,
                z: Optional[torch.Tensor],
                c: Optional[torch.Tensor] = None,
                truncation_psi: float = 1.,
                truncation_cutoff: Optional[int] = None,
                update_w_avg: bool = False) -> torch.Tensor:
        """Map latents (and labels) to styles.

        Args:
            z (Tensor | None): Latents (N, noise_size); None when
                ``noise_size == 0``.
            c (Tensor | None): Labels (N, cond_size); None or (N, 0) when
                unconditional. Defaults to None.
            truncation_psi (float): ``w <- w_avg + psi * (w - w_avg)``; 1 =
                no truncation. Defaults to 1.
            truncation_cutoff (int | None): Truncate only the first
                ``truncation_cutoff`` of the ``num_ws`` styles; None = all.
            update_w_avg (bool): Update ``w_avg`` with this batch (before
                truncation): ``w_avg <- beta * w_avg + (1 - beta) *
                mean_n(w)``. Defaults to False.

        Returns:
            Tensor: (N, num_ws, style_channels), or (N, style_channels) if
            ``num_ws`` is None. float32 (the parameters' dtype), also
            inside an autocast region.
        """
        with autocast_disabled(self.fc0.weight.device):
            return self._map(z, c, truncation_psi, truncation_cutoff,
                             update_w_avg)

    def _map(self, z: Optional[torch.Tensor], c: Optional[torch.Tensor],
             truncation_psi: float, truncation_cutoff: Optional[int],
             update_w_avg: bool) -> torch.Tensor:
        """:meth:`forward` with autocast off."""
        # float32 unless the network was cast to float64 (e.g. gradcheck).
        dtype = self.fc0.weight.dtype
        x = None
        if self.noise_size > 0:
            if z is None or z.ndim != 2 or z.shape[1] != self.noise_size:
                raise ValueError(f'z must be (N, {self.noise_size}), got '
                                 f'{None if z is None else tuple(z.shape)}.')
            x = normalize_2nd_moment(z.to(dtype), eps=self.eps)
        if self.cond_size > 0:
            if c is None or c.ndim != 2 or c.shape[1] != self.cond_size:
                raise ValueError(f'c must be (N, {self.cond_size}), got '
                                 f'{None if c is None else tuple(c.shape)}.')
            y = normalize_2nd_moment(
                self.embed(c.to(dtype)), eps=self.eps)
            x = torch.cat([x, y], dim=1) if x is not None else y
        elif c is not None and c.numel() > 0:
            raise ValueError('this mapping network is unconditional '
                             f'(cond_size=0) but got c of shape '
                             f'{tuple(c.shape)}; pass None or (N, 0).')

        for idx in range(self.num_layers):
            x = getattr(self, f'fc{idx}')(x)  # [NC]

        if update_w_avg:
            if self.w_avg_beta is None:
                raise ValueError('update_w_avg=True needs w_avg_beta.')
            with torch.no_grad():
                self.w_avg.copy_(x.detach().mean(dim=0).lerp(
                    self.w_avg, self.w_avg_beta))

        if self.num_ws is not None:
            x = x.unsqueeze(1).repeat([1, self.num_ws, 1])  # [NWC]

        if truncation_psi != 1:
            if self.w_avg_beta is None:
                raise ValueError('truncation needs a tracked w_avg '
                                 '(w_avg_beta is None).')
            if self.num_ws is None or truncation_cutoff is None:
                x = self.w_avg.lerp(x, truncation_psi)
            else:
                head = self.w_avg.lerp(x[:, :truncation_cutoff],
                                       truncation_psi)
                x = torch.cat([head, x[:, truncation_cutoff:]], dim=1)
        return x
