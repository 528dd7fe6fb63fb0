# The Twemoji quickstart with DiffAugment (Zhao et al., NeurIPS 2020)
# instead of ADA: the same discriminator augments every input, real or
# generated, with the paper's fixed policy color,translation,cutout
# (translation 1/8, cutout 1/2). No strength controller, hence no ADAHook.
# Everything else is the ADA quickstart's, so the three quickstarts (no
# augmentation, ADA, DiffAugment) differ by the augmentation only.
# Train: python tools/train.py \
#       configs/stylegan2/stylegan2-diffaugment_quickstart_1xb16_twemoji-32x32.py
_base_ = './stylegan2-ada_quickstart_1xb16_twemoji-32x32.py'

model = dict(
    discriminator=dict(
        data_aug=dict(
            _delete_=True,
            type='DiffAugment',
            policy='color,translation,cutout',
            translation_ratio=0.125,
            cutout_ratio=0.5)))

custom_hooks = [
    dict(type='GeneratorEMAHook'),
    dict(type='RNGStateHook'),
]
