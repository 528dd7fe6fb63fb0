# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Constructor type errors name the key and the expected type; lr errors
show the configured and the lazily scaled value."""
import pytest
import torch.nn as nn
from mmengine.registry import init_default_scope

from mmgen_ada.engine.optimizers import LazyRegOptimWrapperConstructor
from mmgen_ada.models import (StyleGAN2, StyleGAN2Discriminator, StyleGAN3,
                              StyleGANv2Generator)
from mmgen_ada.testing import TINY_STYLEGAN2_D_CFG, TINY_STYLEGAN2_G_CFG

init_default_scope('mmgen_ada')

G_CFG = dict(TINY_STYLEGAN2_G_CFG)
D_CFG = dict(TINY_STYLEGAN2_D_CFG)


def _model(cls=StyleGAN2, **kwargs):
    return cls(
        generator=dict(G_CFG, **kwargs.pop('g', {})),
        discriminator=dict(D_CFG, **kwargs.pop('d', {})),
        ema_config=False,
        **kwargs)


@pytest.mark.parametrize('kwargs, match', [
    (dict(r1_gamma='abc'), "r1_gamma must be a float, got str 'abc'"),
    (dict(pl_weight=[1]), 'pl_weight must be a float, got list'),
    (dict(pl_decay='0.1'), "pl_decay must be a float, got str '0.1'"),
    (dict(loss_config=dict(r1_loss_weight='x')),
     r"loss_config\['r1_loss_weight'\] must be a float, got str"),
])
def test_stylegan2_type_errors_name_the_key(kwargs, match):
    with pytest.raises(TypeError, match=match):
        _model(**kwargs)


def test_stylegan2_ranges_still_value_errors():
    with pytest.raises(
            ValueError,
            match=r'r1_gamma must be a finite float '
            r'in \[0, inf\), got -1.0'):
        _model(r1_gamma=-1)
    with pytest.raises(ValueError, match='pl_decay'):
        _model(pl_decay=float('nan'))


def test_stylegan3_type_errors_name_the_key():
    with pytest.raises(
            TypeError, match="blur_init_sigma must be a float, "
            "got str 'big'"):
        _model(StyleGAN3, r1_gamma=1.0, blur_init_sigma='big')
    with pytest.raises(TypeError, match='r1_gamma must be a float or None'):
        _model(StyleGAN3, r1_gamma='abc')


@pytest.mark.parametrize('key, value, match', [
    ('channel_max', 'lots', "channel_max must be an int >= 1, got str "
     "'lots'"),
    ('channel_base', 2.5, 'channel_base must be an int >= 1, got float'),
    ('conv_clamp', 'x', "conv_clamp must be a float or None, got str 'x'"),
])
def test_generator_and_discriminator_name_the_key(key, value, match):
    g_kwargs = {k: v for k, v in G_CFG.items() if k != 'type'}
    d_kwargs = {k: v for k, v in D_CFG.items() if k != 'type'}
    with pytest.raises(TypeError, match=match):
        StyleGANv2Generator(**dict(g_kwargs, **{key: value}))
    with pytest.raises(TypeError, match=match):
        StyleGAN2Discriminator(**dict(d_kwargs, **{key: value}))
    with pytest.raises(TypeError, match="mix_prob must be a float, got str"):
        StyleGANv2Generator(**dict(g_kwargs, mix_prob='often'))


class _TwoNets(nn.Module):
    lazy_reg_intervals = dict(generator=4, discriminator=16)

    def __init__(self):
        super().__init__()
        self.generator = nn.Linear(2, 2)
        self.discriminator = nn.Linear(2, 2)


def _build_optim(**generator_optimizer):
    cfg = dict(
        generator=dict(optimizer=dict(type='Adam', **generator_optimizer)),
        discriminator=dict(optimizer=dict(type='Adam', lr=0.002)))
    return LazyRegOptimWrapperConstructor(cfg)(_TwoNets())


def test_lr_type_error_names_the_key():
    with pytest.raises(
            TypeError,
            match="optim_wrapper.generator.optimizer.lr "
            "must be a float, got str 'fast'"):
        _build_optim(lr='fast')
    with pytest.raises(
            TypeError,
            match='optim_wrapper.generator.optimizer.'
            'betas must be a pair of floats'):
        _build_optim(lr=0.1, betas=0.9)


def test_lr_error_shows_written_and_scaled_values():
    with pytest.raises(ValueError) as err:
        _build_optim(lr=-0.1)
    msg = str(err.value)
    assert msg.startswith('optim_wrapper.generator.optimizer: lr must be >= 0')
    # 4 / (4 + 1) * -0.1 = -0.08: both the user's and the derived value.
    assert 'lr=-0.1 in the config' in msg
    assert 'every 4 iterations to lr=-0.08' in msg
    assert '-0.08000000000000002' not in msg


def test_optimizer_own_error_gets_the_values_too():
    with pytest.raises(ValueError) as err:
        _build_optim(lr=0.1, betas=(0, 1.5))
    msg = str(err.value)
    assert 'optim_wrapper.generator.optimizer: Invalid beta' in msg
    assert 'betas=(0, 1.5) in the config' in msg
    # 1.5 ** (4 / 5) = 1.38316
    assert 'betas=(0, 1.38316)' in msg
