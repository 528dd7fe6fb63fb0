# Copyright (c) mmgen-ada contributors. All rights reserved.
import pytest
import torch

from mmgen_ada.models.ada import ADAAug, ADAStyleGAN2Discriminator
from mmgen_ada.models.stylegan2 import StyleGAN2Discriminator
from mmgen_ada.registry import MODELS

TINY = dict(in_size=16, channel_base=256, channel_max=32)


def _images(n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, 16, 16, generator=g) * 2 - 1


def test_is_a_stylegan2_discriminator_with_default_bgc():
    disc = ADAStyleGAN2Discriminator(**TINY)
    assert isinstance(disc, StyleGAN2Discriminator)
    assert isinstance(disc.data_aug, ADAAug)
    assert disc.data_aug.aug_pipeline.rotate == 1
    assert disc.data_aug.aug_pipeline.imgfilter == 0


def test_build_from_mmagic_style_config():
    disc = MODELS.build(
        dict(
            type='ADAStyleGAN2Discriminator',
            data_aug=dict(
                type='ADAAug',
                aug_pipeline=dict(xflip=1, rotate90=1, xint=1),
                ada_kimg=100,
                update_interval=8),
            **TINY))
    assert disc.data_aug.update_interval == 8
    assert disc.data_aug.ada_kimg == 100


def test_p0_output_equals_plain_discriminator():
    torch.manual_seed(0)
    disc = ADAStyleGAN2Discriminator(**TINY)
    plain = StyleGAN2Discriminator(**TINY)
    missing, unexpected = plain.load_state_dict(
        disc.state_dict(), strict=False)
    assert not missing
    assert all(k.startswith('data_aug.') for k in unexpected)
    x = _images()
    assert torch.equal(disc(x), plain(x))
    disc.data_aug.aug_pipeline.p.fill_(1.0)
    assert not torch.equal(disc(x), plain(x))


def test_records_only_real_passes_in_training_mode():
    disc = ADAStyleGAN2Discriminator(**TINY)
    x = _images()
    disc.train()
    logits = disc(x, is_real=True)
    signs = torch.sign(logits).sum().item()
    assert disc.data_aug.sign_stats().tolist() == [signs, 4.0, 4.0]
    disc(x)  # fake pass
    disc(x, is_real=False)
    assert disc.data_aug.sign_stats().tolist() == [signs, 4.0, 4.0]
    # A second pass over the same reals (lazy R1) feeds r_t, not the count
    # of images.
    again = disc(x, is_real=True, repeated_reals=True)
    assert disc.data_aug.sign_stats().tolist() == [
        signs + torch.sign(again).sum().item(), 8.0, 4.0
    ]
    disc.eval()
    disc(x, is_real=True)
    assert disc.data_aug.sign_stats().tolist()[1:] == [8.0, 4.0]


def test_no_augmentation_and_conditional():
    disc = ADAStyleGAN2Discriminator(data_aug=None, cond_size=3, **TINY)
    assert disc.data_aug is None
    c = torch.eye(3)[[0, 1, 2, 0]]
    out = disc(_images(), c, is_real=True)
    assert out.shape == (4, 1)
    with pytest.raises(ValueError, match='data_aug'):
        ADAStyleGAN2Discriminator(data_aug=dict(aug_pipeline='bgc'), **TINY)


def test_gradient_penalty_through_augmentation():
    """R1 on augmented reals needs double backward through the pipe."""
    disc = ADAStyleGAN2Discriminator(**TINY)
    disc.data_aug.aug_pipeline.p.fill_(0.8)
    x = _images().requires_grad_()
    torch.manual_seed(3)
    logits = disc(x, is_real=True)
    (grad, ) = torch.autograd.grad(logits.sum(), x, create_graph=True)
    grad.square().sum().backward()
    weights = [p.grad for p in disc.parameters() if p.requires_grad]
    assert any(w is not None and w.abs().sum() > 0 for w in weights)
