# Your own images: a folder or .zip of square power-of-two images (NVlabs
# layout, optional dataset.json labels), e.g. from
#   python tools/dataset_tool.py --source photos/ --dest data/mine-256.zip \
#       --resolution 256 --transform center-crop
# data_root is set by `tools/train.py --data PATH` (or
# --cfg-options train_dataloader.dataset.data_root=PATH). The batch is set by
# the algorithm config's global_batch_size.
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
