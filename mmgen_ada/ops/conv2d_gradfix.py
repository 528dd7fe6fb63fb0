# Copyright (c) mmgen-ada contributors. All rights reserved.
"""``conv2d`` / ``conv_transpose2d`` with switchable weight gradients.

Drop-in replacements for :func:`torch.nn.functional.conv2d` and
:func:`torch.nn.functional.conv_transpose2d` (same values, first and second
derivatives) built on a custom :class:`torch.autograd.Function`:

* the input gradient is itself a (transposed) convolution of differentiable
  torch ops, so double backward works (path-length regularisation
  differentiates ``d img / d ws`` again);
* the weight gradient is skipped (returned as None) while inside
  :func:`no_weight_gradients`, so ``autograd.grad(..., inputs=ws,
  create_graph=True)`` does not pay for weight gradients nobody needs. The
  weights still get their (second-order) gradient when the resulting graph is
  back-propagated later.

The op is pure PyTorch (mmcv's ``conv2d_gradfix`` is pure PyTorch too), so it
has no ``impl`` switch.
"""
import contextlib
from typing import Iterator, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

IntPair = Union[int, Sequence[int]]

_weight_gradients_disabled = 0  # nesting depth of no_weight_gradients()


@contextlib.contextmanager
def no_weight_gradients(disable: bool = True) -> Iterator[None]:
    """Skip weight gradients of this module's convolutions in the block.

    Backward passes run inside the block return None for the ``weight`` of
    every :func:`conv2d`/:func:`conv_transpose2d`, so ``weight.grad`` stays
    untouched while input gradients (and their graphs) are computed.

    Args:
        disable (bool): Whether to disable weight gradients; False makes the
            block a no-op. Defaults to True.
    """
    global _weight_gradients_disabled
    if not disable:
        yield
        return
    _weight_gradients_disabled += 1
    try:
        yield
    finally:
        _weight_gradients_disabled -= 1


def _pair(value: IntPair, name: str) -> Tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return value, value
    if (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(v, int) for v in value)):
        return int(value[0]), int(value[1])
    raise ValueError(
        f'{name} must be an int or a pair of ints, got {value!r}.')


class _Conv2dGradFix(torch.autograd.Function):
    """conv2d (``transpose=False``) or conv_transpose2d without bias."""

    @staticmethod
    def forward(ctx, input, weight, transpose, stride, padding, output_padding,
                dilation, groups):
        ctx.save_for_backward(input, weight)
        ctx.conf = (transpose, stride, padding, output_padding, dilation,
                    groups)
        if transpose:
            output = F.conv_transpose2d(input, weight, None, stride, padding,
                                        output_padding, groups, dilation)
        else:
            output = F.conv2d(input, weight, None, stride, padding, dilation,
                              groups)
        # Under autocast the convolution ran in a lower precision than its
        # inputs; the backward pass (outside autocast) uses the same.
        ctx.dtype = output.dtype
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, weight = ctx.saved_tensors
        transpose, stride, padding, output_padding, dilation, groups = \
            ctx.conf
        # Differentiable casts (no-ops without autocast): a double backward
        # still reaches the original weight.
        input, weight = input.to(ctx.dtype), weight.to(ctx.dtype)
        grad_output = grad_output.to(ctx.dtype)
        grad_input = grad_weight = None
        if ctx.needs_input_grad[0]:
            grad_input = _input_gradient(grad_output, weight, input.shape,
                                         transpose, stride, padding,
                                         output_padding, dilation, groups)
        if ctx.needs_input_grad[1] and not _weight_gradients_disabled:
            # aten's convolution_backward has its own double-backward formula.
            grad_weight = torch.ops.aten.convolution_backward(
                grad_output, input, weight, None, list(stride), list(padding),
                list(dilation), transpose, list(output_padding), groups,
                [False, True, False])[1]
        return grad_input, grad_weight, None, None, None, None, None, None


def _input_gradient(grad_output: torch.Tensor, weight: torch.Tensor,
                    input_shape: torch.Size, transpose: bool,
                    stride: Tuple[int, int], padding: Tuple[int, int],
                    output_padding: Tuple[int, int], dilation: Tuple[int, int],
                    groups: int) -> torch.Tensor:
    """Input gradient: the adjoint (transposed) convolution, via the Function.

    Going through :class:`_Conv2dGradFix` again keeps the weight-gradient
    switch in effect for the double-backward pass too.
    """
    if transpose:
        # Adjoint of conv_transpose2d is conv2d with the same weight.
        return _Conv2dGradFix.apply(grad_output, weight, False, stride,
                                    padding, (0, 0), dilation, groups)
    # Adjoint of conv2d is conv_transpose2d; output_padding recovers the
    # input rows/cols that the strided forward conv never reached.
    kh, kw = weight.shape[2:]
    out_h, out_w = grad_output.shape[2:]
    op = tuple(
        int(input_shape[2 + i]) -
        ((out - 1) * stride[i] - 2 * padding[i] + dilation[i] * (k - 1) + 1)
        for i, (out, k) in enumerate(((out_h, kh), (out_w, kw))))
    return _Conv2dGradFix.apply(grad_output, weight, True, stride, padding, op,
                                dilation, groups)


def conv2d(input: torch.Tensor,
           weight: torch.Tensor,
           bias: Optional[torch.Tensor] = None,
           stride: IntPair = 1,
           padding: IntPair = 0,
           dilation: IntPair = 1,
           groups: int = 1) -> torch.Tensor:
    """2-D convolution equal to :func:`torch.nn.functional.conv2d`.

    Args:
        input (Tensor): Shape (N, C_in, H, W).
        weight (Tensor): Shape (C_out, C_in // groups, kh, kw).
        bias (Tensor | None): Shape (C_out,). Defaults to None.
        stride (int | tuple[int, int]): Defaults to 1.
        padding (int | tuple[int, int]): Symmetric zero padding. Defaults to 0.
        dilation (int | tuple[int, int]): Defaults to 1.
        groups (int): Defaults to 1.

    Returns:
        Tensor: Shape (N, C_out, H_out, W_out).
    """
    out = _Conv2dGradFix.apply(input, weight, False, _pair(stride, 'stride'),
                               _pair(padding, 'padding'), (0, 0),
                               _pair(dilation, 'dilation'), groups)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out


def conv_transpose2d(input: torch.Tensor,
                     weight: torch.Tensor,
                     bias: Optional[torch.Tensor] = None,
                     stride: IntPair = 1,
                     padding: IntPair = 0,
                     output_padding: IntPair = 0,
                     groups: int = 1,
                     dilation: IntPair = 1) -> torch.Tensor:
    """Transposed convolution equal to :func:`F.conv_transpose2d`.

    Args:
        input (Tensor): Shape (N, C_in, H, W).
        weight (Tensor): Shape (C_in, C_out // groups, kh, kw).
        bias (Tensor | None): Shape (C_out,). Defaults to None.
        stride (int | tuple[int, int]): Defaults to 1.
        padding (int | tuple[int, int]): Defaults to 0.
        output_padding (int | tuple[int, int]): Defaults to 0.
        groups (int): Defaults to 1.
        dilation (int | tuple[int, int]): Defaults to 1.

    Returns:
        Tensor: Shape (N, C_out, H_out, W_out).
    """
    out = _Conv2dGradFix.apply(input, weight, True, _pair(stride, 'stride'),
                               _pair(padding, 'padding'),
                               _pair(output_padding, 'output_padding'),
                               _pair(dilation, 'dilation'), groups)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out


__all__ = ['conv2d', 'conv_transpose2d', 'no_weight_gradients']
