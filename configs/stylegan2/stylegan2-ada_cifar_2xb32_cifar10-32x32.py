# ADA paper, `--cfg=cifar`: class-conditional CIFAR-10, 2-layer mapping,
# no path-length regularisation, no style mixing, G_ema ramp-up 0.05,
# the 'orig' discriminator (no residual skips).
# With ADA. Global batch 64 (2 GPUs x 32), 100000 kimg.
# Values from NVlabs stylegan2-ada-pytorch train.py cfg_specs; the optimizer
# constructor derives the lazy-regularisation lr/beta scaling.
_base_ = [
    '../_base_/models/stylegan2_ada.py',
    '../_base_/datasets/cifar10_32x32.py',
    '../_base_/schedules/gan_iter_based.py',
    '../_base_/evaluation.py',
]

model = dict(
    generator=dict(
        out_size=32,
        channel_base=32768,
        num_mlps=2,
        cond_size=10,
        mix_prob=0.0),
    discriminator=dict(
        in_size=32,
        channel_base=32768,
        mbstd_group_size=32,
        cond_size=10,
        architecture='orig'),  # cifar: D without residual skips
    r1_gamma=0.01,
    pl_weight=0.0,  # cifar: no path-length regularisation
    ema_config=dict(ema_kimg=500.0, ema_rampup=0.05))

optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=0.0025)),
    discriminator=dict(optimizer=dict(lr=0.0025)))

# Global batch (2 GPUs x 32), kept on any number of processes: tools/train.py
# gives each of N processes 64 // N images (N must divide 64).
global_batch_size = 64

train_cfg = dict(max_iters=1562500, val_interval=3125)
default_hooks = dict(checkpoint=dict(interval=3125))
