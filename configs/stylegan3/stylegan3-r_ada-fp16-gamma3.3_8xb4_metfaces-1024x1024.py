# StyleGAN3-R fine-tuned on MetFaces 1024 with ADA, the paper's setting
# (NVlabs stylegan3 docs/configs.md): 8 GPUs x 4 = 32, gamma 3.3, x-flips,
# 5000 kimg, resumed from the FFHQ 1024 StyleGAN3-R snapshot. Mixed precision
# is the networks' own float16 layers (num_fp16_res / num_fp16_scales = 4).
_base_ = [
    '../_base_/models/stylegan3_r.py',
    '../_base_/datasets/metfaces_1024x1024.py',
    '../_base_/default_runtime.py',
]

model = dict(
    generator=dict(out_size=1024),
    discriminator=dict(
        type='ADAStyleGAN2Discriminator',
        in_size=1024,
        # Transfer learning: ADA reacts faster (reference on --resume).
        data_aug=dict(
            type='ADAAug',
            aug_pipeline='bgc',
            update_interval=4,
            ada_target=0.6,
            ada_kimg=100)),
    r1_gamma=3.3,
    # Transfer learning: no blur and no EMA ramp-up (reference on --resume).
    blur_init_sigma=0.,
    ema_config=dict(type='StyleGANEMA', ema_kimg=10., ema_rampup=None))

# Official snapshot converted with
#   python tools/model_converters/nvlabs_pkl_to_mmgen_ada.py \
#       stylegan3-r-ffhq-1024x1024.pkl \
#       checkpoints/stylegan3-r-ffhq-1024x1024.pth
# (https://api.ngc.nvidia.com/v2/models/nvidia/research/stylegan3/versions/1/
#  files/stylegan3-r-ffhq-1024x1024.pkl). Set to None to train from scratch
# (then also restore blur_init_sigma=10 and ema_rampup=0.05).
load_from = 'checkpoints/stylegan3-r-ffhq-1024x1024.pth'
# The converted network has no ADA state (discriminator.data_aug.*): load
# the rest, start ADA afresh; every skipped key is logged.
partial_load = True

optim_wrapper = dict(
    constructor='LazyRegOptimWrapperConstructor',
    generator=dict(
        optimizer=dict(type='Adam', lr=0.0025, betas=(0., 0.99), eps=1e-8)),
    discriminator=dict(
        optimizer=dict(type='Adam', lr=0.002, betas=(0., 0.99), eps=1e-8)))

# 5000 kimg at 32 images per iteration.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=156250,
                 val_interval=1250)
val_cfg = dict(type='GenValLoop')
val_evaluator = dict(
    metrics=[dict(type='FrechetInceptionDistance', fake_nums=50000,
                  sample_model='ema')])
test_cfg = dict(type='GenTestLoop')
test_evaluator = val_evaluator

custom_hooks = [
    dict(type='GeneratorEMAHook'),
    dict(type='ADAHook'),
    dict(type='RNGStateHook'),
]
default_hooks = dict(checkpoint=dict(interval=1250))
