# StyleGAN2 + ADA: the discriminator augments every input with the 'bgc'
# pipeline at strength p, tuned by ADAHook towards r_t = 0.6 (ADA paper
# defaults: update every 4 iterations, p moves 1 unit per 500 kimg).
_base_ = './stylegan2.py'

model = dict(
    discriminator=dict(
        type='ADAStyleGAN2Discriminator',
        data_aug=dict(
            type='ADAAug',
            # A dict (not the string 'bgc') so that single ops can be
            # changed from the command line, e.g. --cfg-options
            # model.discriminator.data_aug.aug_pipeline.rotate=0
            aug_pipeline=dict(preset='bgc'),
            update_interval=4,
            augment_initial_p=0.0,
            ada_target=0.6,
            ada_kimg=500)))

custom_hooks = [
    dict(type='GeneratorEMAHook'),
    dict(type='ADAHook'),
    dict(type='RNGStateHook'),
]
