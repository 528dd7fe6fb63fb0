# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Path-length regularisation (Karras et al. 2020, "Analyzing and Improving
the Image Quality of StyleGAN", Sec. 3.2)."""
import math
from typing import Optional, Tuple

import torch
from torch import Tensor, autograd

from mmgen_ada.ops import conv2d_gradfix


def path_length_penalty(
        img: Tensor,
        ws: Tensor,
        pl_mean: Tensor,
        pl_decay: float = 0.01,
        noise: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
    """Penalty ``(||J_w^T y||_2 - a)^2`` per sample.

    ``y`` is Gaussian noise scaled by ``1 / sqrt(H * W)``, ``J_w^T y`` the
    gradient of ``sum(img * y)`` w.r.t. the generator's per-layer styles
    ``ws`` (N, num_ws, C); the length is ``sqrt(mean over layers of the
    squared norm over C)``, and ``a`` is an exponential moving average of the
    batch-mean length, updated here as ``a <- a + pl_decay * (mean - a)``.
    Convolution weight gradients are skipped while computing ``J_w^T y``
    (:func:`conv2d_gradfix.no_weight_gradients`) as in the reference.

    Args:
        img (Tensor): Generated images, shape (N, C, H, W), computed from
            ``ws`` with a graph.
        ws (Tensor): The styles the images were synthesised from, shape
            (N, num_ws, w_dim).
        pl_mean (Tensor): The current moving average ``a``, scalar. Not
            modified; the updated value is returned.
        pl_decay (float): Decay of the moving average. Defaults to 0.01.
        noise (Tensor, optional): The projection ``y`` before scaling,
            shape like ``img``. Defaults to fresh ``randn``.

    Returns:
        tuple[Tensor, Tensor, Tensor]: ``penalty`` (N,) with a graph to the
        generator's weights, ``new_pl_mean`` (scalar, detached) and
        ``pl_lengths`` (N,).
    """
    if noise is None:
        noise = torch.randn_like(img)
    noise = noise / math.sqrt(img.shape[2] * img.shape[3])
    with conv2d_gradfix.no_weight_gradients():
        grad, = autograd.grad(
            outputs=[(img * noise).sum()],
            inputs=[ws],
            create_graph=True,
            only_inputs=True)
    pl_lengths = grad.square().sum(2).mean(1).sqrt()  # [N]
    new_pl_mean = pl_mean.lerp(pl_lengths.mean(), pl_decay)
    penalty = (pl_lengths - new_pl_mean).square()
    return penalty, new_pl_mean.detach(), pl_lengths
