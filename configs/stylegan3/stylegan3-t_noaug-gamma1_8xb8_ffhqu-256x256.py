# StyleGAN3-T on FFHQ-U 256 (unaligned FFHQ), the paper's ablation setting
# (NVlabs stylegan3 docs/configs.md "FFHQ-U ablations at 256x256"): 8 GPUs x
# 8 = 64, gamma 1, x-flips, no augmentation, cbase 16384, D lr 0.0025.
_base_ = [
    '../_base_/models/stylegan3_t.py',
    '../_base_/datasets/ffhq_256x256.py',
    '../_base_/schedules/gan_iter_based.py',
    '../_base_/evaluation.py',
]

model = dict(
    generator=dict(
        out_size=256,
        synthesis_cfg=dict(
            channel_base=16384,
            # reference: 0.5 ** (total batch / 20k images), batch 64.
            magnitude_ema_beta=0.5**(64 / 20000))),
    discriminator=dict(in_size=256, channel_base=16384),
    r1_gamma=1.,
    # reference: ema_kimg = total batch * 10 / 32.
    ema_config=dict(type='StyleGANEMA', ema_kimg=20., ema_rampup=0.05))

data_root = 'data/ffhqu-256x256.zip'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

optim_wrapper = dict(
    constructor='LazyRegOptimWrapperConstructor',
    generator=dict(
        optimizer=dict(type='Adam', lr=0.0025, betas=(0., 0.99), eps=1e-8)),
    discriminator=dict(
        optimizer=dict(type='Adam', lr=0.0025, betas=(0., 0.99), eps=1e-8)))

# Global batch (8 GPUs x 8), kept on any number of processes: tools/train.py
# gives each of N processes 64 // N images (N must divide 64).
global_batch_size = 64

# 25000 kimg (reference default) at 64 images per iteration; FID every
# 200 kimg.
train_cfg = dict(max_iters=390625, val_interval=3125)

custom_hooks = [dict(type='GeneratorEMAHook'), dict(type='RNGStateHook')]
default_hooks = dict(checkpoint=dict(interval=3125))
