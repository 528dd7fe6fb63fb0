# The limited-data experiment of docs/ada.md, no-ADA arm: the ADA arm
# (stylegan2-ada_quickstart_1xb16_twemoji1k-32x32.py: 1,000-image subset,
# 16 kimg, checkpoints and metrics) with the plain StyleGAN2Discriminator
# and no ADAHook, as in stylegan2_quickstart_1xb16_twemoji-32x32.py.
_base_ = './stylegan2-ada_quickstart_1xb16_twemoji1k-32x32.py'

model = dict(
    discriminator=dict(
        _delete_=True,
        type='StyleGAN2Discriminator',
        in_size=32,
        channel_base=2048,
        channel_max=64,
        conv_clamp=256,
        num_fp16_scales=0,
        mbstd_group_size=4))

custom_hooks = [
    dict(type='GeneratorEMAHook'),
    dict(type='RNGStateHook'),
]
