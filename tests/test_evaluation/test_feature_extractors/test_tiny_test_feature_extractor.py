# Copyright (c) mmgen-ada contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmgen_ada.evaluation.feature_extractors import TinyTestFeatureExtractor


def test_features_are_pooled_pixels_times_the_seeded_projection():
    imgs = torch.randint(0, 256, (6, 3, 8, 8), dtype=torch.uint8)
    net = TinyTestFeatureExtractor(feature_dim=5, pool_size=2, seed=3)
    weight = torch.randn(12, 5, generator=torch.Generator().manual_seed(3))
    # Independent computation: 4x4 block means in numpy.
    x = imgs.numpy().astype(np.float64) / 255
    pooled = x.reshape(6, 3, 2, 4, 2, 4).mean((3, 5)).reshape(6, 12)
    out = net(imgs)
    assert out.dtype == torch.float32 and out.shape == (6, 5)
    np.testing.assert_allclose(out.numpy(), pooled @ weight.double().numpy(),
                               rtol=1e-6, atol=1e-6)
    assert net.cache_name == 'tiny-test-5-2-3'


def test_features_do_not_depend_on_the_batch_split():
    imgs = torch.randint(0, 256, (24, 3, 8, 8), dtype=torch.uint8,
                         generator=torch.Generator().manual_seed(0))
    net = TinyTestFeatureExtractor()
    whole = net(imgs)
    parts = torch.cat([net(chunk) for chunk in imgs.split(5)])
    assert torch.equal(whole, parts)


def test_grayscale_is_repeated_and_bad_input_rejected():
    net = TinyTestFeatureExtractor()
    gray = torch.randint(0, 256, (2, 1, 8, 8), dtype=torch.uint8)
    assert torch.equal(net(gray), net(gray.repeat(1, 3, 1, 1)))
    with pytest.raises(ValueError, match='uint8'):
        net(gray.float())
    with pytest.raises(ValueError, match='uint8'):
        net(torch.zeros(2, 2, 8, 8, dtype=torch.uint8))


@pytest.mark.parametrize('shape', [(8, 16), (16, 8)])
def test_non_square_images_pool_to_a_square_grid(shape):
    h, w = shape
    gen = torch.Generator().manual_seed(1)
    imgs = torch.randint(
        0, 256, (3, 3, h, w), dtype=torch.uint8, generator=gen)
    net = TinyTestFeatureExtractor(feature_dim=5, pool_size=2, seed=3)
    weight = torch.randn(12, 5, generator=torch.Generator().manual_seed(3))
    # Independent computation: (h/2) x (w/2) block means in numpy.
    x = imgs.numpy().astype(np.float64) / 255
    pooled = x.reshape(3, 3, 2, h // 2, 2, w // 2).mean((3, 5)).reshape(3, 12)
    expected = pooled @ weight.double().numpy()
    np.testing.assert_allclose(
        net(imgs).numpy(), expected, rtol=1e-6, atol=1e-6)
