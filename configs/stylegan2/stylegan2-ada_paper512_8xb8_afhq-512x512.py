# ADA paper, `--cfg=paper512` (AFHQ and BreCaHAD 512).
# With ADA. Global batch 64 (8 GPUs x 8), 25000 kimg.
# Values from NVlabs stylegan2-ada-pytorch train.py cfg_specs; the optimizer
# constructor derives the lazy-regularisation lr/beta scaling.
_base_ = [
    '../_base_/models/stylegan2_ada.py',
    '../_base_/datasets/afhq_512x512.py',
    '../_base_/schedules/gan_iter_based.py',
    '../_base_/evaluation.py',
]

model = dict(
    generator=dict(out_size=512, channel_base=32768, num_mlps=8),
    discriminator=dict(in_size=512, channel_base=32768, mbstd_group_size=8),
    r1_gamma=0.5,
    ema_config=dict(ema_kimg=20.0, ema_rampup=None))

optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=0.0025)),
    discriminator=dict(optimizer=dict(lr=0.0025)))

# Global batch (8 GPUs x 8), kept on any number of processes: tools/train.py
# gives each of N processes 64 // N images (N must divide 64).
global_batch_size = 64

train_cfg = dict(max_iters=390625, val_interval=3125)
default_hooks = dict(checkpoint=dict(interval=3125))
