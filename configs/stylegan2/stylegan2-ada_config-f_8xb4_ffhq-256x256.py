# StyleGAN2 config F (NVlabs `--cfg=stylegan2`) at FFHQ 256.
# With ADA. Global batch 32 (8 GPUs x 4), 25000 kimg.
# Values from NVlabs stylegan2-ada-pytorch train.py cfg_specs; the optimizer
# constructor derives the lazy-regularisation lr/beta scaling.
_base_ = [
    '../_base_/models/stylegan2_ada.py',
    '../_base_/datasets/ffhq_256x256.py',
    '../_base_/schedules/gan_iter_based.py',
    '../_base_/evaluation.py',
]

model = dict(
    generator=dict(out_size=256, channel_base=32768, num_mlps=8),
    discriminator=dict(in_size=256, channel_base=32768, mbstd_group_size=4),
    r1_gamma=10.0,
    ema_config=dict(ema_kimg=10.0, ema_rampup=None))

train_dataloader = dict(batch_size=4)  # config F: 8 GPUs x 4

optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=0.002)),
    discriminator=dict(optimizer=dict(lr=0.002)))

# Global batch (8 GPUs x 4), kept on any number of processes: tools/train.py
# gives each of N processes 32 // N images (N must divide 32).
global_batch_size = 32

train_cfg = dict(max_iters=781250, val_interval=6250)
default_hooks = dict(checkpoint=dict(interval=6250))
