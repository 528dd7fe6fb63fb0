# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Fused bias + activation + gain + clamp (``bias_act``).

Semantics and per-activation defaults follow NVlabs stylegan3
``torch_utils/ops/bias_act.py``: ``y = clamp(act(x + b) * gain, -c, c)``.
The reference is made of differentiable torch ops (any-order gradients); on
CUDA, ``impl='auto'`` uses mmcv's compiled ``bias_act`` kernel when available.
"""
import math
from dataclasses import dataclass
from typing import Callable, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import mmcv_kernels


@dataclass(frozen=True)
class _Activation:
    """An activation function with its default alpha and gain."""
    func: Callable[[torch.Tensor, float], torch.Tensor]
    def_alpha: float
    def_gain: float


# yapf: disable
#: Activations accepted by :func:`bias_act`; relu, lrelu and swish default to
#: gain sqrt(2) (He-style variance preservation), the others to gain 1.
ACTIVATIONS = {
    'linear': _Activation(lambda x, alpha: x, 0., 1.),
    'relu': _Activation(lambda x, alpha: F.relu(x), 0., math.sqrt(2)),
    'lrelu': _Activation(lambda x, alpha: F.leaky_relu(x, alpha), 0.2,
                         math.sqrt(2)),
    'tanh': _Activation(lambda x, alpha: torch.tanh(x), 0., 1.),
    'sigmoid': _Activation(lambda x, alpha: torch.sigmoid(x), 0., 1.),
    'elu': _Activation(lambda x, alpha: F.elu(x), 0., 1.),
    'selu': _Activation(lambda x, alpha: F.selu(x), 0., 1.),
    'softplus': _Activation(lambda x, alpha: F.softplus(x), 0., 1.),
    'swish': _Activation(lambda x, alpha: torch.sigmoid(x) * x, 0.,
                         math.sqrt(2)),
}
# yapf: enable


def bias_act(x: torch.Tensor,
             b: Optional[torch.Tensor] = None,
             dim: int = 1,
             act: str = 'linear',
             alpha: Optional[float] = None,
             gain: Optional[float] = None,
             clamp: Optional[float] = None,
             impl: str = 'auto') -> torch.Tensor:
    """Add a bias, apply an activation, scale by a gain and clamp.

    Args:
        x (Tensor): Input of any shape, e.g. (N, C, H, W) or (N, C).
        b (Tensor | None): Bias of shape ``(x.shape[dim],)`` or None.
            Defaults to None.
        dim (int): Dimension of ``x`` the bias runs along. Defaults to 1.
        act (str): One of :data:`ACTIVATIONS` ('linear', 'relu', 'lrelu',
            'tanh', 'sigmoid', 'elu', 'selu', 'softplus', 'swish').
            Defaults to 'linear'.
        alpha (float | None): Shape parameter (negative slope of 'lrelu');
            None uses the activation's default (0.2 for 'lrelu').
        gain (float | None): Output scale; None uses the activation's default
            (sqrt(2) for 'relu', 'lrelu', 'swish', else 1).
        clamp (float | None): Clamp the output to ``[-clamp, clamp]``; None
            disables clamping. Defaults to None.
        impl (str): 'auto' (mmcv kernel on CUDA when available), 'ref' or
            'mmcv'. Defaults to 'auto'.

    Returns:
        Tensor: Same shape and dtype as ``x``.
    """
    if act not in ACTIVATIONS:
        raise ValueError(f'act must be one of {tuple(ACTIVATIONS)}, '
                         f'got {act!r}.')
    if clamp is not None and clamp < 0:
        raise ValueError(f'clamp must be None or >= 0, got {clamp!r}.')
    if not isinstance(x, torch.Tensor):
        raise ValueError(f'x must be a tensor, got {type(x).__name__}.')
    if not 0 <= dim < x.ndim:
        raise ValueError(
            f'dim must be in [0, {x.ndim}) for a {x.ndim}-D input, got {dim}.')
    if b is not None and (b.ndim != 1 or b.shape[0] != x.shape[dim]):
        raise ValueError(f'b must have shape ({x.shape[dim]},) to match '
                         f'x.shape[{dim}], got {tuple(b.shape)}.')
    if mmcv_kernels.resolve(impl, x) == 'mmcv':
        return mmcv_kernels.load().bias_act(
            x,
            b,
            dim=dim,
            act=act,
            alpha=alpha,
            gain=gain,
            clamp=clamp,
            use_custom_op=True)
    return _bias_act_ref(x, b, dim, act, alpha, gain, clamp)


def _bias_act_ref(x: torch.Tensor, b: Optional[torch.Tensor], dim: int,
                  act: str, alpha: Optional[float], gain: Optional[float],
                  clamp: Optional[float]) -> torch.Tensor:
    """Pure-PyTorch :func:`bias_act` (arguments already validated)."""
    spec = ACTIVATIONS[act]
    alpha = float(alpha if alpha is not None else spec.def_alpha)
    gain = float(gain if gain is not None else spec.def_gain)
    if b is not None:
        x = x + b.reshape([-1 if i == dim else 1 for i in range(x.ndim)])
    x = spec.func(x, alpha)
    if gain != 1:
        x = x * gain
    if clamp is not None:
        x = x.clamp(-clamp, clamp)
    return x


def fused_bias_leakyrelu(input: torch.Tensor,
                         bias: Optional[torch.Tensor],
                         negative_slope: float = 0.2,
                         scale: float = 2**0.5,
                         impl: str = 'auto') -> torch.Tensor:
    """``leaky_relu(input + bias, negative_slope) * scale`` (mmcv signature).

    Args:
        input (Tensor): Input of shape (N, C, ...).
        bias (Tensor | None): Bias of shape (C,), added along dim 1.
        negative_slope (float): Leaky ReLU slope. Defaults to 0.2.
        scale (float): Output gain. Defaults to sqrt(2).
        impl (str): 'auto', 'ref' or 'mmcv'. Defaults to 'auto'.

    Returns:
        Tensor: Same shape and dtype as ``input``.
    """
    return bias_act(
        input,
        bias,
        dim=1,
        act='lrelu',
        alpha=negative_slope,
        gain=scale,
        impl=impl)


class FusedBiasLeakyReLU(nn.Module):
    """Learned per-channel bias followed by a scaled leaky ReLU.

    Same signature and parameters as ``mmcv.ops.FusedBiasLeakyReLU`` (a
    ``bias`` parameter of shape (num_channels,), initialised to zeros).

    Args:
        num_channels (int): Number of channels C of the input (N, C, ...).
        negative_slope (float): Leaky ReLU slope. Defaults to 0.2.
        scale (float): Output gain. Defaults to sqrt(2).
    """

    def __init__(self,
                 num_channels: int,
                 negative_slope: float = 0.2,
                 scale: float = 2**0.5) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(num_channels))
        self.negative_slope = negative_slope
        self.scale = scale

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Apply the op to ``input`` of shape (N, C, ...)."""
        # Kernels want the bias in the input's dtype (e.g. float16).
        return fused_bias_leakyrelu(input, self.bias.to(input.dtype),
                                    self.negative_slope, self.scale)

    def extra_repr(self) -> str:
        return (f'num_channels={self.bias.shape[0]}, '
                f'negative_slope={self.negative_slope}, scale={self.scale}')


__all__ = ['bias_act', 'fused_bias_leakyrelu', 'FusedBiasLeakyReLU']
