# Copyright (c) mmgen-ada contributors. All rights reserved.
import pytest
import torch

from mmgen_ada.evaluation.metrics import FrechetInceptionDistance, to_uint8


def test_to_uint8_is_the_nvlabs_mapping():
    x = torch.tensor([-1.5, -1.0, -0.001, 0.0, 0.5, 0.9999, 1.0, 2.0])
    # (x * 127.5 + 128).clamp(0, 255) truncated: 0 -> 128, 1 -> 255.
    expected = [0, 0, 127, 128, 191, 255, 255, 255]
    assert to_uint8(x.view(1, 1, 1, -1)).flatten().tolist() == expected
    u8 = torch.arange(256, dtype=torch.uint8)
    assert to_uint8(u8) is u8


def test_metric_lifecycle_errors():
    metric = FrechetInceptionDistance(
        fake_nums=4,
        feature_extractor=dict(type='TinyTestFeatureExtractor'),
        real_cache_dir=None)
    with pytest.raises(RuntimeError, match='reset'):
        metric.process(None, [dict(fake_img=torch.zeros(3, 4, 4))])
    with pytest.raises(RuntimeError, match='reset'):
        metric.evaluate()
    with pytest.raises(ValueError, match='at least 2 real'):
        metric.reset(1)
    metric.reset(5)
    assert metric.real_target == 5
    metric.feed_real(torch.randn(5, 16))
    metric.feed_fake(torch.randn(3, 16))
    with pytest.raises(RuntimeError, match='got 3 fake features, expected 4'):
        metric.evaluate()
    with pytest.raises(TypeError, match='MODELS config'):
        FrechetInceptionDistance(feature_extractor='inception')
