# StyleGAN3-T fine-tuned on MetFaces 1024 with ADA, the paper's setting
# (NVlabs stylegan3 docs/configs.md): 8 GPUs x 4 = 32, gamma 6.6, x-flips,
# 5000 kimg, resumed from the FFHQ 1024 StyleGAN3-T snapshot. Mixed precision
# is the networks' own float16 layers (num_fp16_res / num_fp16_scales = 4).
_base_ = [
    '../_base_/models/stylegan3_t.py',
    '../_base_/datasets/metfaces_1024x1024.py',
    '../_base_/schedules/gan_iter_based.py',
    '../_base_/evaluation.py',
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
    r1_gamma=6.6,
    # Transfer learning: no EMA ramp-up (reference on --resume).
    ema_config=dict(type='StyleGANEMA', ema_kimg=10., ema_rampup=None))

# Official snapshot converted with
#   python tools/model_converters/nvlabs_pkl_to_mmgen_ada.py \
#       stylegan3-t-ffhq-1024x1024.pkl \
#       checkpoints/stylegan3-t-ffhq-1024x1024.pth
# (https://api.ngc.nvidia.com/v2/models/nvidia/research/stylegan3/versions/1/
#  files/stylegan3-t-ffhq-1024x1024.pkl). Set to None to train from scratch.
load_from = 'checkpoints/stylegan3-t-ffhq-1024x1024.pth'
# The converted network has no ADA state (discriminator.data_aug.*): the
# runner keeps ADA's initial state and loads every weight strictly.

optim_wrapper = dict(
    constructor='LazyRegOptimWrapperConstructor',
    generator=dict(
        optimizer=dict(type='Adam', lr=0.0025, betas=(0., 0.99), eps=1e-8)),
    discriminator=dict(
        optimizer=dict(type='Adam', lr=0.002, betas=(0., 0.99), eps=1e-8)))

# Global batch (8 GPUs x 4), kept on any number of processes: tools/train.py
# gives each of N processes 32 // N images (N must divide 32).
global_batch_size = 32

# 5000 kimg at 32 images per iteration.
train_cfg = dict(max_iters=156250, val_interval=1250)

custom_hooks = [
    dict(type='GeneratorEMAHook'),
    dict(type='ADAHook'),
    dict(type='RNGStateHook'),
]
default_hooks = dict(checkpoint=dict(interval=1250))
