# Copyright (c) mmgen-ada contributors. All rights reserved.
"""A G/D or data/D size mismatch says where the image came from and the
fix."""
import pytest
import torch
from mmengine.optim import OptimWrapperDict
from mmengine.registry import init_default_scope

from mmgen_ada.engine.optimizers import GANOptimWrapper
from mmgen_ada.models import StyleGAN2, StyleGAN2Discriminator
from mmgen_ada.testing import TINY_STYLEGAN2_D_CFG, TINY_STYLEGAN2_G_CFG

init_default_scope('mmgen_ada')

G_CFG = dict(TINY_STYLEGAN2_G_CFG)
D_CFG = dict(TINY_STYLEGAN2_D_CFG)


def _model(g=None, d=None):
    return StyleGAN2(
        generator=dict(G_CFG, **(g or {})),
        discriminator=dict(D_CFG, **(d or {})),
        ema_config=False,
        r1_interval=None,
        pl_weight=0)


@pytest.mark.parametrize('g, d, match', [
    (dict(out_size=16), {}, r'model\.generator\.out_size=16 but '
     r'model\.discriminator\.in_size=8: .*image resolution'),
    (dict(out_size=(8, 16)), {}, r'model\.generator\.out_size=\(8, 16\) '
     r'but model\.discriminator\.in_size=8: .*image resolution'),
    (dict(out_size=(8, 16)), dict(in_size=(16, 8)), r'out_size=\(8, 16\) '
     r'but model\.discriminator\.in_size=\(16, 8\)'),
    (dict(out_channels=1), {}, r'model\.generator\.out_channels=1 but '
     r'model\.discriminator\.img_channels=3'),
    ({}, dict(cond_size=2), r'model\.generator\.cond_size=0 but '
     r'model\.discriminator\.cond_size=2: .*label dimension'),
])
def test_generator_and_discriminator_must_agree(g, d, match):
    with pytest.raises(ValueError, match=match):
        _model(g, d)


def test_real_images_of_the_wrong_size_blame_the_data():
    model = _model()
    optim = OptimWrapperDict(
        generator=GANOptimWrapper(
            torch.optim.Adam(model.generator.parameters(), lr=1e-3)),
        discriminator=GANOptimWrapper(
            torch.optim.Adam(model.discriminator.parameters(), lr=1e-3)))
    batch = dict(inputs=[
        torch.randint(0, 256, (3, 16, 16), dtype=torch.uint8) for _ in range(2)
    ])
    with pytest.raises(ValueError) as err:
        model.train_step(batch, optim)
    msg = str(err.value)
    assert 'got (2, 3, 16, 16)' in msg
    assert 'real images from the dataset' in msg
    assert 'tools/dataset_tool.py --resolution 8' in msg


def test_discriminator_names_the_source():
    D = StyleGAN2Discriminator(in_size=8, channel_base=64, channel_max=8)
    img = torch.zeros(2, 3, 16, 16)
    with pytest.raises(ValueError, match='real images from the dataset'):
        D(img, is_real=True)
    with pytest.raises(
            ValueError,
            match=r'generated \(fake\) images .* Set '
            r'model\.generator\.out_size'):
        D(img)
