# Copyright (c) mmgen-ada contributors. All rights reserved.
"""StyleGAN2 micro-batches (batch_gpu / accumulative_counts): one step on
micro-batches equals one step on the whole batch."""
import pytest
import torch
from mmengine.optim import OptimWrapperDict
from mmengine.registry import init_default_scope

from mmgen_ada.engine.optimizers import GANOptimWrapper
from mmgen_ada.models import StyleGAN2
from mmgen_ada.testing import TINY_STYLEGAN2_D_CFG, TINY_STYLEGAN2_G_CFG

init_default_scope('mmgen_ada')

G_CFG = dict(TINY_STYLEGAN2_G_CFG, mix_prob=0.0)
# No minibatch-std layer: D then scores every sample on its own, so a
# micro-batch split computes the same function.
D_CFG = {
    k: v
    for k, v in TINY_STYLEGAN2_D_CFG.items() if k != 'mbstd_group_size'
}
D_CFG['mbstd_num_channels'] = 0


class GradRecorder(GANOptimWrapper):
    """Records the accumulated gradients of each step and the backwards."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.step_grads, self.backwards = [], 0

    def backward(self, loss, **kwargs):
        self.backwards += 1
        super().backward(loss, **kwargs)

    def _step_optimizer(self, **kwargs):
        self.step_grads.append([
            p.grad.clone() if p.grad is not None else None
            for group in self.optimizer.param_groups for p in group['params']
        ])
        super()._step_optimizer(**kwargs)


def _model(**kwargs):
    torch.manual_seed(0)
    model = StyleGAN2(
        generator=G_CFG,
        discriminator=dict(D_CFG, **kwargs.pop('d', {})),
        pl_batch_shrink=2,
        ema_config=dict(type='StyleGANEMA', ema_kimg=0.01, batch_size=8),
        **kwargs)
    # Constant noise inputs: the generator is then a function of z alone
    # (its random noise is drawn per call, so per micro-batch).
    synthesis = model.generator.synthesis
    forward = synthesis.forward
    synthesis.forward = lambda ws, **kw: forward(
        ws, **dict(kw, noise_mode='const'))
    return model


def _wrappers(model, counts=1):
    return OptimWrapperDict(
        **{
            name:
            GradRecorder(
                torch.optim.Adam(
                    getattr(model, name).parameters(),
                    lr=1e-3,
                    betas=(0.0, 0.99)),
                accumulative_counts=counts)
            for name in ('generator', 'discriminator')
        })


def _batch(n=8):
    gen = torch.Generator().manual_seed(123)
    return dict(
        inputs=torch.randint(
            0, 256, (n, 3, 8, 8), dtype=torch.uint8, generator=gen))


@pytest.mark.parametrize('split, lazy', [('batch_gpu', True),
                                         ('batch_gpu', False),
                                         ('accumulative_counts', True)])
def test_micro_batches_equal_the_whole_batch(split, lazy):
    reg = dict(r1_gamma=3.0, pl_weight=2.0)
    reg.update(
        dict(r1_interval=2, pl_interval=2
             ) if lazy else dict(r1_interval=None, pl_interval=None))
    whole = _model(**reg)
    micro = _model(**reg,
                   **(dict(batch_gpu=4) if split == 'batch_gpu' else {}))
    for a, b in zip(whole.parameters(), micro.parameters()):
        assert torch.equal(a, b)
    optim_whole = _wrappers(whole)
    optim_micro = _wrappers(micro, 2 if split == 'accumulative_counts' else 1)

    torch.manual_seed(1)
    log_whole = whole.train_step(_batch(), optim_whole)
    torch.manual_seed(1)
    log_micro = micro.train_step(_batch(), optim_micro)

    # Gmain, Greg, Dmain, Dreg (or Gboth, Dboth): one step per phase, on the
    # same accumulated gradients; the micro run had two backwards each.
    for name in ('generator', 'discriminator'):
        w, m = optim_whole[name], optim_micro[name]
        assert len(w.step_grads) == len(m.step_grads) == (2 if lazy else 1)
        assert m.backwards == 2 * w.backwards
        assert m.accumulative_counts == 2
        for phase, (gw, gm) in enumerate(zip(w.step_grads, m.step_grads)):
            for g1, g2 in zip(gw, gm):
                assert (g1 is None) == (g2 is None)
                if g1 is not None:
                    torch.testing.assert_close(
                        g2,
                        g1,
                        rtol=1e-4,
                        atol=1e-7,
                        msg=f'{name} phase {phase}')
    # pl_mean sees the whole path-length batch; so does the logged penalty.
    torch.testing.assert_close(micro.pl_mean, whole.pl_mean)
    assert float(whole.pl_mean) > 0
    for key in ('loss_G', 'loss_D', 'pl_penalty', 'r1_penalty', 'scores_real',
                'scores_fake'):
        torch.testing.assert_close(
            log_micro[key], log_whole[key], rtol=1e-4, atol=1e-6, msg=key)
    for a, b in zip(whole.parameters(), micro.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_ada_statistics_count_the_whole_batch():
    torch.manual_seed(0)
    model = StyleGAN2(
        generator=G_CFG,
        discriminator=dict(
            D_CFG,
            type='ADAStyleGAN2Discriminator',
            data_aug=dict(
                type='ADAAug', aug_pipeline='bgc', augment_initial_p=0.3)),
        r1_interval=1,
        batch_gpu=2)
    model.train_step(_batch(4), _wrappers(model))
    # Dmain and the lazy R1 pass, 2 micro-batches each: the signs of 8
    # real logits, the p step counting the 4 reals once (as without).
    _, count, num_images = model.discriminator.data_aug.sign_stats().tolist()
    assert (count, num_images) == (8, 4)


def test_bad_splits_are_named():
    model = _model(batch_gpu=3)
    with pytest.raises(ValueError, match='multiple of batch_gpu=3'):
        model.train_step(_batch(8), _wrappers(model))
    model = _model(batch_gpu=2)
    with pytest.raises(ValueError, match='accumulative_counts=2'):
        model.train_step(_batch(8), _wrappers(model, counts=2))
    model = _model()
    with pytest.raises(ValueError, match='accumulative_counts=3'):
        model.train_step(_batch(8), _wrappers(model, counts=3))
    model = _model(batch_gpu=1)  # 4 micro-batches, path-length batch 2
    with pytest.raises(ValueError, match='pl_batch_shrink'):
        model.train_step(_batch(4), _wrappers(model))
    with pytest.raises(ValueError, match='batch_gpu'):
        _model(batch_gpu=0)


def test_plain_optim_wrappers_are_rejected():
    from mmengine.optim import OptimWrapper
    model = _model()
    optim = OptimWrapperDict(
        generator=OptimWrapper(
            torch.optim.SGD(model.generator.parameters(), lr=0.1)),
        discriminator=OptimWrapper(
            torch.optim.SGD(model.discriminator.parameters(), lr=0.1)))
    with pytest.raises(TypeError, match='GANOptimWrapper'):
        model.train_step(_batch(4), optim)
