# Copyright (c) mmgen-ada contributors. All rights reserved.
import math

import torch

from mmgen_ada.models.losses import path_length_penalty


def test_path_length_matches_linear_generator_closed_form():
    # Linear "generator": img[n] = sum_l ws[n, l] @ M[l], reshaped to
    # (C, H, W). Then d sum(img * y) / d ws[n, l] = M[l] @ y[n] (flattened),
    # so |J^T y| = sqrt(mean_l ||M[l] y_n||^2) with y = noise / sqrt(H W).
    torch.manual_seed(0)
    n, num_ws, w_dim, c, h, w = 3, 4, 5, 2, 3, 3
    mats = torch.randn(
        num_ws, w_dim, c * h * w, dtype=torch.float64, requires_grad=True)
    ws = torch.randn(n, num_ws, w_dim, dtype=torch.float64, requires_grad=True)
    img = torch.einsum('nlw,lwp->np', ws, mats).view(n, c, h, w)
    noise = torch.randn(n, c, h, w, dtype=torch.float64)
    pl_mean = torch.tensor(0.3, dtype=torch.float64)
    decay = 0.25

    penalty, new_mean, lengths = path_length_penalty(
        img, ws, pl_mean, decay, noise=noise)

    y = noise.view(n, -1) / math.sqrt(h * w)
    jt_y = torch.einsum('lwp,np->nlw', mats.detach(), y)
    exp_lengths = jt_y.square().sum(2).mean(1).sqrt()
    exp_mean = 0.3 + decay * (exp_lengths.mean() - 0.3)
    assert torch.allclose(lengths.detach(), exp_lengths)
    assert torch.allclose(new_mean, exp_mean)
    assert not new_mean.requires_grad
    assert pl_mean.item() == 0.3  # not modified in place
    assert torch.allclose(penalty.detach(), (exp_lengths - exp_mean)**2)

    # The penalty back-propagates into the generator weights, including
    # through the batch mean inside the updated moving average (as the
    # reference, which does not detach it there). Check by differences.
    penalty.sum().backward()

    def total(m):
        im = torch.einsum('nlw,lwp->np', ws.detach(), m).view(n, c, h, w)
        jty = torch.einsum('lwp,np->nlw', m, y)
        lens = jty.square().sum(2).mean(1).sqrt()
        mean = 0.3 + decay * (lens.mean() - 0.3)
        del im
        return ((lens - mean)**2).sum()

    base = mats.detach()
    numeric = torch.zeros_like(base)
    for i in range(0, base.numel(), 7):  # a spread subset keeps it quick
        d = torch.zeros_like(base).view(-1)
        d[i] = 1e-6
        d = d.view_as(base)
        numeric.view(-1)[i] = (total(base + d) - total(base - d)) / 2e-6
        assert torch.isclose(
            mats.grad.view(-1)[i], numeric.view(-1)[i], rtol=1e-5, atol=1e-9)


def test_micro_batch_penalty_has_the_whole_batch_gradient():
    # Two halves with batch_lengths = all lengths: same pl_mean, same
    # penalty values, and the summed gradients equal the whole batch's
    # (including the part through the batch mean in pl_mean).
    torch.manual_seed(0)
    n, num_ws, w_dim, c, h, w = 4, 3, 5, 2, 3, 3
    mats = torch.randn(
        num_ws, w_dim, c * h * w, dtype=torch.float64, requires_grad=True)
    ws = torch.randn(n, num_ws, w_dim, dtype=torch.float64, requires_grad=True)
    noise = torch.randn(n, c, h, w, dtype=torch.float64)
    pl_mean = torch.tensor(0.3, dtype=torch.float64)

    def image(ws_part):
        return torch.einsum('nlw,lwp->np', ws_part, mats).view(-1, c, h, w)

    whole, mean_whole, lengths = path_length_penalty(
        image(ws), ws, pl_mean, 0.25, noise=noise)
    grad_whole, = torch.autograd.grad(whole.sum(), mats)
    grad_parts = torch.zeros_like(mats)
    for part in (slice(0, 2), slice(2, 4)):
        ws_part = ws[part].detach().requires_grad_(True)
        penalty, mean_part, _ = path_length_penalty(
            image(ws_part),
            ws_part,
            pl_mean,
            0.25,
            noise=noise[part],
            batch_lengths=lengths.detach())
        torch.testing.assert_close(mean_part, mean_whole)
        torch.testing.assert_close(penalty.detach(), whole.detach()[part])
        grad_parts += torch.autograd.grad(penalty.sum(), mats)[0]
    torch.testing.assert_close(grad_parts, grad_whole)
