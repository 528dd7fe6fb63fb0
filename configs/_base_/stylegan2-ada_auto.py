# NVlabs `--cfg=auto` on your own data: `tools/train.py --data PATH` (no
# CONFIG) starts from this file and fills in what depends on the data and the
# number of processes (mmgen_ada/apis/auto_config.py): resolution and
# channels from the images; global batch, widths (channel_base 16384 below
# 512 px, 32768 from 512), mbstd group, lr, R1 gamma = 0.0002 * res**2 /
# batch and the G_ema half-life = batch * 10 / 32 kimg from the resolution
# and the GPU count. 2-layer mapping, G_ema ramp-up 0.05, ADA 'bgc' towards
# r_t = 0.6, 25000 kimg, a snapshot (checkpoint + samples) every 200 kimg
# (NVlabs' 50 ticks). No metrics during training unless --metrics is given
# (they then run at every snapshot); tools/test.py with the saved config
# computes fid50k_full, kid50k_full and pr50k3_full (./evaluation.py).
_base_ = [
    './models/stylegan2_ada.py',
    './schedules/gan_iter_based.py',
    './evaluation.py',
]

# Your own images: a folder or .zip of square power-of-two images (NVlabs
# layout, optional dataset.json labels) from tools/dataset_tool.py;
# data_root is set by --data, the batch by global_batch_size (--batch).
dataset_type = 'ImageFolderDataset'
data_root = None

pipeline = [dict(type='LoadGANImage'), dict(type='PackGANInputs')]

train_dataloader = dict(
    batch_size=None,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='GANBatchSampler'),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        mirror=False,
        pipeline=pipeline))

# Real images for the metrics, in order (NVlabs compares with the training
# set, x-flips included when mirror=True).
test_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        mirror=False,
        test_mode=True,
        pipeline=pipeline))

model = dict(
    generator=dict(num_mlps=2),
    ema_config=dict(ema_rampup=0.05))

# max_iters and the intervals are written from --kimg / --snap.
train_cfg = dict(val_interval=100000000)
val_dataloader = None
val_cfg = None
val_evaluator = None
