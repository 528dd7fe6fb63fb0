# Copyright (c) mmgen-ada contributors. All rights reserved.
"""GANOptimWrapper / GANAmpOptimWrapper on CPU: accumulation, non-finite
repair, AMP unscaling once with clip_grad."""
import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from mmgen_ada.engine.optimizers import GANAmpOptimWrapper, GANOptimWrapper
from mmgen_ada.models import StyleGAN2
from mmgen_ada.testing import TINY_STYLEGAN2_D_CFG, TINY_STYLEGAN2_G_CFG

init_default_scope('mmgen_ada')


def _sgd_wrapper(cls=GANOptimWrapper, values=(1., 2., 3., 4.), **kwargs):
    param = torch.nn.Parameter(torch.tensor(values))
    return param, cls(optimizer=torch.optim.SGD([param], lr=1.0), **kwargs)


def test_accumulation_steps_once_with_the_mean_gradient():
    param, wrapper = _sgd_wrapper(accumulative_counts=2)
    steps = []
    original = wrapper.optimizer.step
    wrapper.optimizer.step = lambda *a, **k: (steps.append(1), original())
    before = param.detach().clone()
    wrapper.update_params((param * torch.tensor([1., 2., 3., 4.])).sum())
    assert steps == [] and param.grad is not None
    wrapper.update_params((param * torch.tensor([3., 0., 1., 0.])).sum())
    assert steps == [1] and param.grad is None  # stepped, then zeroed
    # SGD lr 1 with the mean of the two micro-batch gradients.
    torch.testing.assert_close(param.detach(),
                               before - torch.tensor([2., 1., 2., 2.]))


def test_nonfinite_gradients_repaired_as_nvlabs_and_counted():
    param, wrapper = _sgd_wrapper(values=(0., 0., 0., 0., 0.))
    param.grad = torch.tensor(
        [float('nan'), float('inf'), -float('inf'), 1.5, 0.])
    wrapper.step()
    torch.testing.assert_close(param.detach(),
                               -torch.tensor([0., 1e5, -1e5, 1.5, 0.]))
    assert int(wrapper.pop_num_nonfinite()) == 3
    assert int(wrapper.pop_num_nonfinite()) == 0  # reset by the pop


def test_accumulative_counts_checked():
    param, wrapper = _sgd_wrapper(accumulative_counts=2)
    with pytest.raises(ValueError, match='accumulative_counts'):
        GANOptimWrapper(torch.optim.SGD([param], lr=1.), accumulative_counts=0)
    wrapper.update_params(param.sum())
    with pytest.raises(RuntimeError, match='middle of an accumulation'):
        wrapper.accumulative_counts = 3
    wrapper.update_params(param.sum())
    wrapper.accumulative_counts = 3
    assert wrapper.accumulative_counts == 3


def test_amp_repairs_after_unscaling_and_skips_the_inf_step():
    param, wrapper = _sgd_wrapper(
        GANAmpOptimWrapper,
        loss_scale=dict(init_scale=1024.),
        dtype='bfloat16',
        force_bf16=True)
    before = param.detach().clone()
    loss = (param * torch.tensor([float('inf'), 1., 1., 1.])).sum()
    wrapper.update_params(loss)
    # The scaler saw the inf (step skipped, scale backed off) before the
    # repair replaced it; the count is logged all the same.
    assert torch.equal(param.detach(), before)
    assert int(wrapper.pop_num_nonfinite()) == 1
    assert wrapper.loss_scaler.get_scale() == 512.


def test_amp_with_clip_grad_trains_stylegan2_unscaling_once_per_step():
    """What ``tools/train.py --amp`` builds, on CPU with bf16 autocast."""
    torch.manual_seed(0)
    model = StyleGAN2(
        generator=dict(TINY_STYLEGAN2_G_CFG),
        discriminator=dict(TINY_STYLEGAN2_D_CFG),
        r1_interval=1,
        pl_interval=1,
        ema_config=dict(type='StyleGANEMA', ema_kimg=0.01, batch_size=4))
    sub_cfg = dict(
        type='AmpOptimWrapper',
        loss_scale='dynamic',
        force_bf16=True,
        clip_grad=dict(max_norm=1.0),
        optimizer=dict(type='Adam', lr=1e-3, betas=(0., 0.99)))
    wrappers = build_optim_wrapper(
        model,
        dict(
            constructor='LazyRegOptimWrapperConstructor',
            generator=sub_cfg,
            discriminator=sub_cfg))
    events = []
    for name, wrapper in wrappers.items():
        assert isinstance(wrapper, GANAmpOptimWrapper)
        scaler = wrapper.loss_scaler
        unscale, step = scaler.unscale_, scaler.step

        def unscale_spy(opt, name=name, unscale=unscale):
            events.append(('unscale', name))
            return unscale(opt)

        def step_spy(opt, *args, name=name, step=step, **kwargs):
            events.append(('step', name))
            return step(opt, *args, **kwargs)

        scaler.unscale_, scaler.step = unscale_spy, step_spy
    before = [p.detach().clone() for p in model.generator.parameters()]
    data = dict(inputs=torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8))
    log = model.train_step(data, wrappers)
    # Gmain, Greg, Dmain, Dreg: each unscaled exactly once, then stepped.
    assert events == [('unscale', 'generator'), ('step', 'generator'),
                      ('unscale', 'generator'), ('step', 'generator'),
                      ('unscale', 'discriminator'), ('step', 'discriminator'),
                      ('unscale', 'discriminator'), ('step', 'discriminator')]
    assert all(
        torch.isfinite(v).all() for v in log.values()
        if isinstance(v, torch.Tensor))
    assert any(not torch.equal(p, b)
               for p, b in zip(model.generator.parameters(), before))
