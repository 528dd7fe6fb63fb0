# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The non-saturating logistic GAN loss (Goodfellow et al. 2014).

With ``sigmoid(logit)`` as D's probability of "real", the generator
minimises ``-log(sigmoid(fake))`` (the non-saturating form) and the
discriminator minimises ``-log(sigmoid(real)) - log(1 - sigmoid(fake))``.
Both are written with ``softplus`` for numerical stability:
``-log(sigmoid(x)) = softplus(-x)`` and ``-log(1 - sigmoid(x)) = softplus(x)``.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor


def g_nonsaturating_logistic_loss(fake_logits: Tensor) -> Tensor:
    """Per-sample generator loss ``softplus(-D(G(z)))``.

    Args:
        fake_logits (Tensor): D's logits of generated images, shape (N, 1).

    Returns:
        Tensor: Per-sample losses, shape (N, 1); average them yourself.
    """
    return F.softplus(-fake_logits)


def d_logistic_loss(real_logits: Optional[Tensor] = None,
                    fake_logits: Optional[Tensor] = None) -> Tensor:
    """Per-sample D loss ``softplus(D(fake)) + softplus(-D(real))``.

    Either term may be left out (the reference back-propagates the fake and
    the real half in two passes).

    Args:
        real_logits (Tensor, optional): Logits of real images, shape (N, 1).
        fake_logits (Tensor, optional): Logits of generated images, (M, 1).

    Returns:
        Tensor: ``softplus(-real_logits)`` and/or ``softplus(fake_logits)``;
        when both are given their batch sizes must match and the sum is
        returned, shape (N, 1).
    """
    if real_logits is None and fake_logits is None:
        raise ValueError('d_logistic_loss needs real_logits, fake_logits or '
                         'both; got neither')
    loss = 0
    if fake_logits is not None:
        loss = loss + F.softplus(fake_logits)
    if real_logits is not None:
        loss = loss + F.softplus(-real_logits)
    return torch.as_tensor(loss)
