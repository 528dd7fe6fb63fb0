# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Data/model checks of the run summary: the errors name both numbers."""
from types import SimpleNamespace

import pytest

from mmgen_ada.engine.runner.run_summary import check_data_matches_model


def _dataset(res=16, channels=3, label_dim=0):
    return SimpleNamespace(
        data_root='/data/mine.zip',
        resolution=res,
        num_channels=channels,
        label_dim=label_dim)


def _model(size=16, channels=3, g_cond=0, d_cond=None):
    gen = SimpleNamespace(
        out_size=size, out_channels=channels, cond_size=g_cond)
    disc = SimpleNamespace(
        in_size=size,
        img_channels=channels,
        cond_size=g_cond if d_cond is None else d_cond)
    return SimpleNamespace(generator=gen, discriminator=disc)


def test_matching_data_passes_silently():
    assert check_data_matches_model(_dataset(), _model()) == []
    assert check_data_matches_model(
        _dataset(label_dim=5), _model(g_cond=5)) == []


def test_labels_with_an_unconditional_model_warn():
    (warning, ) = check_data_matches_model(_dataset(label_dim=5), _model())
    assert 'labels of dimension 5' in warning
    assert 'unconditional' in warning and '--cond' in warning


def test_label_dimension_mismatch_names_both():
    with pytest.raises(ValueError) as err:
        check_data_matches_model(_dataset(label_dim=3), _model(g_cond=5))
    msg = str(err.value)
    assert 'label dimension 5' in msg and 'dimension 3' in msg
    assert 'cond_size=3' in msg and '--cond' in msg
    with pytest.raises(ValueError, match='has no labels'):
        check_data_matches_model(_dataset(), _model(g_cond=5))
    with pytest.raises(ValueError, match='discriminator 2'):
        check_data_matches_model(
            _dataset(label_dim=5), _model(g_cond=5, d_cond=2))


def test_resolution_and_channel_mismatch_name_both():
    with pytest.raises(ValueError) as err:
        check_data_matches_model(_dataset(res=64), _model(size=32))
    msg = str(err.value)
    assert '64x64 images' in msg and 'out_size=32' in msg
    assert '--cfg auto' in msg
    with pytest.raises(ValueError, match='1-channel.*out_channels=3'):
        check_data_matches_model(_dataset(channels=1), _model())


def test_rectangular_mismatch_names_width_x_height():
    assert check_data_matches_model(
        _dataset(res=(16, 32)), _model(size=(16, 32))) == []
    with pytest.raises(ValueError) as err:
        check_data_matches_model(_dataset(res=(16, 32)), _model(size=16))
    msg = str(err.value)
    assert '32x16 images (width x height)' in msg
    assert 'model.generator.out_size=16' in msg
    assert '--cfg-options model.generator.out_size="(16, 32)"' in msg
    with pytest.raises(ValueError, match=r'built for 16x32 .*\(32, 16\)'):
        check_data_matches_model(_dataset(res=(16, 32)), _model(size=(32, 16)))


@pytest.mark.parametrize('num_fp16_scales', [0, 2])
def test_amp_without_float16_blocks_warns_with_the_fix(num_fp16_scales):
    # --amp changes only the float16 blocks (as NVlabs); with
    # num_fp16_scales=0 (the quickstart) it would silently train in float32.
    from mmengine.registry import init_default_scope

    from mmgen_ada.engine.runner.run_summary import check_precision
    from mmgen_ada.registry import MODELS
    init_default_scope('mmgen_ada')
    widths = dict(channel_base=128, channel_max=16,
                  num_fp16_scales=num_fp16_scales)
    model = SimpleNamespace(
        generator=MODELS.build(
            dict(type='StyleGANv2Generator', out_size=16, style_channels=16,
                 num_mlps=1, **widths)),
        discriminator=MODELS.build(
            dict(type='StyleGAN2Discriminator', in_size=16, **widths)))
    amp = dict(
        generator=dict(type='AmpOptimWrapper', dtype='bfloat16'),
        discriminator=dict(type='AmpOptimWrapper', dtype='bfloat16'))
    row, warnings = check_precision(model, amp)
    if num_fp16_scales == 0:
        assert row == 'AMP bfloat16, but no float16 blocks: float32'
        assert len(warnings) == 1
        assert 'model.generator.num_fp16_scales=4' in warnings[0]
        assert 'model.discriminator.num_fp16_scales=4' in warnings[0]
    else:  # b16, b8 of G; b16, b8 of D
        assert row == 'AMP bfloat16 in the 2 G / 2 D float16 blocks'
        assert warnings == []
    row, warnings = check_precision(
        model, dict(generator=dict(type='GANOptimWrapper')))
    assert warnings == []
    assert row == ('float32' if num_fp16_scales == 0 else
                   'float32; on CUDA float16 in the 2 G / 2 D float16 blocks')
