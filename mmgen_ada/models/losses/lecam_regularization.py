# Copyright (c) mmgen-ada contributors. All rights reserved.
"""LeCam regularisation (Tseng et al., "Regularizing Generative Adversarial
Networks under Limited Data", CVPR 2021)."""
from torch import Tensor


def lecam_penalty(real_logits: Tensor, fake_logits: Tensor,
                  anchor_real: Tensor, anchor_fake: Tensor) -> Tensor:
    """The LeCam penalty of Eq. 3.

    ``R_LC = E_x[(D(x) - alpha_F)^2] + E_z[(D(G(z)) - alpha_R)^2]``: real
    logits are pulled towards the moving average of the fake logits and
    vice versa. The anchors are constants here (detached), so the gradient
    reaches D only through the logits. (The official code clips each term
    at zero, ``relu(D(x) - alpha_F)^2``; this is the paper's two-sided
    form.)

    Args:
        real_logits (Tensor): ``D(x)``, shape (N, 1).
        fake_logits (Tensor): ``D(G(z))``, shape (M, 1).
        anchor_real (Tensor): ``alpha_R``, the moving average of D's real
            outputs, a scalar tensor.
        anchor_fake (Tensor): ``alpha_F``, the moving average of D's fake
            outputs, a scalar tensor.

    Returns:
        Tensor: The penalty, a scalar (means over each batch). The model
        weights it by ``lambda`` (``lecam_weight``).
    """
    return ((real_logits - anchor_fake.detach()).square().mean() +
            (fake_logits - anchor_real.detach()).square().mean())
