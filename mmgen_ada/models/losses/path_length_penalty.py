# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Path-length regularisation (Karras et al. 2020, "Analyzing and Improving
the Image Quality of StyleGAN", Sec. 3.2)."""
import math
from typing import Optional, Tuple

import torch
from torch import Tensor, autograd

from mmgen_ada.ops import conv2d_gradfix


def path_lengths(img: Tensor,
                 ws: Tensor,
                 noise: Optional[Tensor] = None,
                 create_graph: bool = True) -> Tensor:
    """Lengths ``||J_w^T y||_2`` per sample.

    ``y`` is Gaussian noise scaled by ``1 / sqrt(H * W)``, ``J_w^T y`` the
    gradient of ``sum(img * y)`` w.r.t. the generator's per-layer styles
    ``ws``; the length is ``sqrt(mean over layers of the squared norm over
    C)``. Convolution weight gradients are skipped while computing
    ``J_w^T y`` (:func:`conv2d_gradfix.no_weight_gradients`) as in the
    reference.

    Args:
        img (Tensor): Generated images, shape (N, C, H, W), computed from
            ``ws`` with a graph.
        ws (Tensor): The styles the images were synthesised from, shape
            (N, num_ws, w_dim).
        noise (Tensor, optional): The projection ``y`` before scaling,
            shape like ``img``. Defaults to fresh ``randn``.
        create_graph (bool): Keep a graph to the generator's weights (for a
            penalty). Defaults to True.

    Returns:
        Tensor: Lengths, shape (N,).
    """
    if noise is None:
        noise = torch.randn_like(img)
    noise = noise / math.sqrt(img.shape[2] * img.shape[3])
    with conv2d_gradfix.no_weight_gradients():
        grad, = autograd.grad(
            outputs=[(img * noise).sum()],
            inputs=[ws],
            create_graph=create_graph,
            only_inputs=True)
    return grad.square().sum(2).mean(1).sqrt()  # [N]


def path_length_penalty(
        img: Tensor,
        ws: Tensor,
        pl_mean: Tensor,
        pl_decay: float = 0.01,
        noise: Optional[Tensor] = None,
        batch_lengths: Optional[Tensor] = None
) -> Tuple[Tensor, Tensor, Tensor]:
    """Penalty ``(||J_w^T y||_2 - a)^2`` per sample.

    The lengths are :func:`path_lengths`; ``a`` is the exponential moving
    average of the batch-mean length, updated here as ``a <- a + pl_decay *
    (mean - a)``. As in the reference, the penalty is also differentiated
    through the batch mean inside the updated ``a``.

    For a micro-batch of a larger batch, ``batch_lengths`` gives the lengths
    of the whole batch (without a graph); ``a`` is then updated with their
    mean, and the penalty has the value ``(length - a)^2`` and the gradient
    that the whole-batch penalty has for these samples. Writing ``m`` for
    the batch mean and ``N`` for the batch size, ``d a / d length_k =
    pl_decay / N``, so the gradient of ``sum_k (length_k - a)^2`` w.r.t.
    ``length_j`` is ``2 (length_j - a - pl_decay * mean_k(length_k - a))``:
    that of ``(length_j - centre)^2`` with the constant ``centre = a +
    pl_decay * mean_k(length_k - a)``.

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
        batch_lengths (Tensor, optional): Lengths of the whole batch these
            samples belong to, shape (N_batch,), including theirs (computed
            with the same noise). Defaults to None: the batch is ``img``.

    Returns:
        tuple[Tensor, Tensor, Tensor]: ``penalty`` (N,) with a graph to the
        generator's weights, ``new_pl_mean`` (scalar, detached) and
        ``pl_lengths`` (N,).
    """
    lengths = path_lengths(img, ws, noise)
    if batch_lengths is None:
        new_pl_mean = pl_mean.lerp(lengths.mean(), pl_decay)
        penalty = (lengths - new_pl_mean).square()
        return penalty, new_pl_mean.detach(), lengths
    batch_lengths = batch_lengths.detach()
    new_pl_mean = pl_mean.lerp(batch_lengths.mean(), pl_decay)
    centre = new_pl_mean + pl_decay * (batch_lengths - new_pl_mean).mean()
    surrogate = (lengths - centre).square()
    value = (lengths.detach() - new_pl_mean).square()
    penalty = surrogate + (value - surrogate.detach())
    return penalty, new_pl_mean, lengths
