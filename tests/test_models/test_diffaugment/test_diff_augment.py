# Copyright (c) mmgen-ada contributors. All rights reserved.
"""DiffAugment against per-sample closed forms, its randomness and grads."""
import pytest
import torch

from mmgen_ada.models.ada import ADAStyleGAN2Discriminator
from mmgen_ada.models.diffaugment import (DiffAugment, adjust_brightness,
                                          adjust_contrast, adjust_saturation,
                                          cutout, translate)
from mmgen_ada.registry import MODELS


def _images(n=4, c=3, h=8, w=8, dtype=torch.float64):
    gen = torch.Generator().manual_seed(0)
    return torch.rand(n, c, h, w, generator=gen, dtype=dtype) * 2 - 1


def _expected_translate(img, dy, dx):
    """One sample, pixel by pixel."""
    c, h, w = img.shape
    out = torch.zeros_like(img)
    for i in range(h):
        for j in range(w):
            si, sj = i - dy, j - dx
            if 0 <= si < h and 0 <= sj < w:
                out[:, i, j] = img[:, si, sj]
    return out


def _expected_cutout(img, cy, cx, k):
    out = img.clone()
    for i in range(img.shape[1]):
        for j in range(img.shape[2]):
            if cy - k // 2 <= i < cy - k // 2 + k and \
                    cx - k // 2 <= j < cx - k // 2 + k:
                out[:, i, j] = 0
    return out


def test_color_transforms_closed_form():
    x = _images()
    b = torch.tensor([-0.5, -0.1, 0.2, 0.5], dtype=torch.float64)
    s = torch.tensor([0., 0.5, 1.0, 2.0], dtype=torch.float64)
    c = torch.tensor([0.5, 0.8, 1.0, 1.5], dtype=torch.float64)
    for i in range(4):
        img = x[i]
        torch.testing.assert_close(adjust_brightness(x, b)[i], img + b[i])
        pix_mean = img.sum(0) / 3  # mean of R, G, B per pixel
        torch.testing.assert_close(
            adjust_saturation(x, s)[i], pix_mean + s[i] * (img - pix_mean))
        img_mean = img.sum() / img.numel()
        torch.testing.assert_close(
            adjust_contrast(x, c)[i], img_mean + c[i] * (img - img_mean))
    # saturation 0 gives grey images, contrast keeps the image mean
    grey = adjust_saturation(x, torch.zeros(4, dtype=torch.float64))
    torch.testing.assert_close(grey, grey[:, :1].expand_as(grey))
    torch.testing.assert_close(
        adjust_contrast(x, c).mean((1, 2, 3)), x.mean((1, 2, 3)))


def test_translate_and_cutout_closed_form():
    x = _images(h=8, w=8)
    dy, dx = torch.tensor([-1, 0, 1, 1]), torch.tensor([1, 0, -1, 0])
    out = translate(x, dy, dx)
    for i in range(4):
        torch.testing.assert_close(
            out[i], _expected_translate(x[i], int(dy[i]), int(dx[i])))
    torch.testing.assert_close(translate(x, dy * 0, dx * 0), x)
    cy, cx = torch.tensor([0, 4, 8, 3]), torch.tensor([8, 4, 0, 5])
    out = cutout(x, cy, cx, 4, 4)
    for i in range(4):
        torch.testing.assert_close(
            out[i], _expected_cutout(x[i], int(cy[i]), int(cx[i]), 4))
    # a centred square zeroes exactly 4 x 4 pixels, a corner one 2 x 2
    assert int((out[1] == 0).all(0).sum()) == 16
    assert int((out[0] == 0).all(0).sum()) == 4


def test_forward_is_sample_params_then_closed_forms():
    aug = DiffAugment('color,translation,cutout')
    x = _images(n=6, h=16, w=16)
    torch.manual_seed(3)
    out = aug(x)
    torch.manual_seed(3)
    p = aug.sample_params(x)
    assert aug.translation_shift(16) == 2 and aug.cutout_size(16) == 8
    assert p['shift_y'].abs().max() <= 2 and p['center_x'].max() <= 16
    for i in range(6):
        img = x[i] + p['brightness'][i]
        m = img.mean(0)
        img = m + p['saturation'][i] * (img - m)
        m = img.mean()
        img = m + p['contrast'][i] * (img - m)
        img = _expected_translate(img, int(p['shift_y'][i]),
                                  int(p['shift_x'][i]))
        img = _expected_cutout(img, int(p['center_y'][i]),
                               int(p['center_x'][i]), 8)
        torch.testing.assert_close(out[i], img)


def test_draws_are_per_sample_and_in_range():
    aug = DiffAugment()
    torch.manual_seed(0)
    p = aug.sample_params(torch.zeros(512, 3, 32, 32))
    for key, (low, high) in dict(
            brightness=(-0.5, 0.5), saturation=(0, 2), contrast=(0.5, 1.5),
            shift_y=(-4, 4), shift_x=(-4, 4), center_y=(0, 32),
            center_x=(0, 32)).items():
        vals = p[key].double()
        assert low <= vals.min() and vals.max() <= high, key
        # different samples get different draws, covering the range
        assert vals.unique().numel() > (8 if 'shift' in key else 30), key
        assert vals.min() < low + 0.1 * (high - low), key
        assert vals.max() > high - 0.1 * (high - low), key
    # the draws of one batch are independent across parameters
    assert not torch.equal(p['shift_y'], p['shift_x'])
    # and two images of one batch are augmented differently
    out = aug(torch.ones(2, 3, 32, 32))
    assert not torch.equal(out[0], out[1])


def test_gradcheck_float64():
    aug = DiffAugment(['color', 'translation', 'cutout'])
    x = _images(n=2, c=3, h=4, w=4).requires_grad_(True)

    def fn(inp):
        torch.manual_seed(1)  # the same draws in every evaluation
        return aug(inp)

    assert torch.autograd.gradcheck(fn, (x, ))
    assert torch.autograd.gradgradcheck(fn, (x, ))


@pytest.mark.parametrize('policy', ['', [], None])
def test_empty_policy_is_identity(policy):
    aug = DiffAugment(policy)
    x = _images()
    state = torch.get_rng_state()
    assert aug(x) is x
    assert torch.equal(torch.get_rng_state(), state)  # no draws


def test_bad_arguments():
    with pytest.raises(ValueError, match='flip'):
        DiffAugment('color,flip')
    with pytest.raises(ValueError, match='repeats'):
        DiffAugment(['color', 'color'])
    with pytest.raises(TypeError, match='policy'):
        DiffAugment(3)
    with pytest.raises(ValueError, match='cutout_ratio'):
        DiffAugment(cutout_ratio=1.5)


def test_plugs_into_ada_discriminator_without_recording():
    D = ADAStyleGAN2Discriminator(
        16,
        data_aug=dict(type='DiffAugment', policy='color,translation'),
        channel_base=64,
        channel_max=8,
        mbstd_group_size=2)
    assert isinstance(D.data_aug, DiffAugment)
    assert 'p' not in dict(D.named_buffers())  # nothing for ADAHook
    D.train()
    logits = D(torch.zeros(2, 3, 16, 16), is_real=True)
    assert logits.shape == (2, 1)
    assert isinstance(MODELS.build(dict(type='DiffAugment')), DiffAugment)
    # nn.Module.apply (weight init walks every submodule) still works
    seen = []
    D.apply(lambda m: seen.append(type(m).__name__))
    assert 'DiffAugment' in seen
