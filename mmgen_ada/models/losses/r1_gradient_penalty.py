# Copyright (c) mmgen-ada contributors. All rights reserved.
"""R1 gradient penalty (Mescheder et al. 2018, "Which training methods for
GANs do actually converge?"), as used by StyleGAN2(-ADA)."""
from torch import Tensor, autograd

from mmgen_ada.ops import conv2d_gradfix


def r1_gradient_penalty(real_logits: Tensor, real_img: Tensor) -> Tensor:
    """Squared norm of D's gradient w.r.t. its real input, per sample.

    ``R1(x) = || d D(x) / d x ||^2`` summed over (C, H, W). The gradient is
    taken with ``create_graph=True`` so the penalty can be back-propagated
    into D's weights. As in the reference, convolution weight gradients are
    skipped while computing the input gradient
    (:func:`conv2d_gradfix.no_weight_gradients`): they are not needed here and
    the second backward still reaches the weights through the graph.

    With ADA, ``real_img`` is the *un-augmented* batch and ``real_logits``
    come from D applied to its augmentation, so the gradient flows through
    the (differentiable) augmentation pipe, as in the reference.

    Args:
        real_logits (Tensor): D's logits of ``real_img``, shape (N, 1).
        real_img (Tensor): The real images D saw, shape (N, C, H, W), with
            ``requires_grad=True``.

    Returns:
        Tensor: The penalty per sample, shape (N,). StyleGAN2 weights it by
        ``r1_gamma / 2`` (and by the lazy-regularisation interval).
    """
    if not real_img.requires_grad:
        raise ValueError('r1_gradient_penalty: real_img must require grad '
                         '(call real_img.detach().requires_grad_(True) '
                         'before running D)')
    with conv2d_gradfix.no_weight_gradients():
        grad, = autograd.grad(
            outputs=[real_logits.sum()],
            inputs=[real_img],
            create_graph=True,
            only_inputs=True)
    return grad.square().sum(dim=[1, 2, 3])  # [N]
