# ADA paper, `--cfg=paper1024`: MetFaces 1024, transfer learning from
# an FFHQ-1024 StyleGAN2 (`--resume=ffhq1024`).
# With ADA. Global batch 32 (8 GPUs x 4), 25000 kimg.
# Values from NVlabs stylegan2-ada-pytorch train.py cfg_specs; the optimizer
# constructor derives the lazy-regularisation lr/beta scaling.
_base_ = [
    '../_base_/models/stylegan2_ada.py',
    '../_base_/datasets/metfaces_1024x1024.py',
    '../_base_/schedules/gan_iter_based.py',
    '../_base_/evaluation.py',
]

model = dict(
    generator=dict(out_size=1024, channel_base=32768, num_mlps=8),
    discriminator=dict(
        in_size=1024,
        channel_base=32768,
        mbstd_group_size=4,
        # Transfer learning: ADA reacts faster (NVlabs: ada_kimg=100 when
        # resuming a network).
        data_aug=dict(ada_kimg=100)),
    r1_gamma=2.0,
    ema_config=dict(ema_kimg=10.0, ema_rampup=None))

optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=0.002)),
    discriminator=dict(optimizer=dict(lr=0.002)))

# Global batch (8 GPUs x 4), kept on any number of processes: tools/train.py
# gives each of N processes 32 // N images (N must divide 32).
global_batch_size = 32

train_cfg = dict(max_iters=781250, val_interval=6250)
default_hooks = dict(checkpoint=dict(interval=6250))

# FFHQ-1024 StyleGAN2 source network (NVlabs
# ffhq-res1024-mirror-stylegan2-noaug.pkl, the `--resume=ffhq1024` net),
# converted with
#   python tools/model_converters/nvlabs_pkl_to_mmgen_ada.py \
#       ffhq-res1024-mirror-stylegan2-noaug.pkl \
#       checkpoints/stylegan2_ffhq-1024x1024_nvlabs-noaug.pth
# G_ema ramp-up stays off when starting from a trained network.
load_from = 'checkpoints/stylegan2_ffhq-1024x1024_nvlabs-noaug.pth'
# The converted network has no ADA state (discriminator.data_aug.*): the
# runner keeps ADA's initial state and loads every weight strictly.
