# The Twemoji quickstart without ADA: the twin of
# stylegan2-ada_quickstart_1xb16_twemoji-32x32.py with the plain
# StyleGAN2Discriminator and no ADAHook. Everything else (data, widths,
# batch 16, lr, R1 gamma, G_ema, seed, schedule) is inherited unchanged, so
# the pair is the limited-data comparison of docs/ada.md.
# Train: python tools/train.py \
#            configs/stylegan2/stylegan2_quickstart_1xb16_twemoji-32x32.py
_base_ = './stylegan2-ada_quickstart_1xb16_twemoji-32x32.py'

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
