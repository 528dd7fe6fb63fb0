# CIFAR-10 (50k training images, 10 classes), class-conditional, ADA paper
# "cifar" setting: total batch 64 on 2 GPUs (2 x 32), no x-flips (the NVlabs
# example command `--cfg=cifar --cond=1` has no --mirror).
# Build: save the five python training batches as cifar10.npz with
#   images uint8 (50000, 32, 32, 3) (NHWC) and labels int (50000,), then
#   python tools/dataset_tool.py --source cifar10.npz \
#       --dest data/cifar10-32x32.zip
# (see docs/datasets.md). The generator/discriminator cond_size must be 10.
dataset_type = 'ImageFolderDataset'
data_root = 'data/cifar10-32x32.zip'

pipeline = [dict(type='LoadGANImage'), dict(type='PackGANInputs')]

train_dataloader = dict(
    batch_size=32,
    num_workers=3,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='GANBatchSampler'),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        mirror=False,
        num_classes=10,
        pipeline=pipeline))

val_dataloader = dict(
    batch_size=32,
    num_workers=3,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        mirror=False,
        num_classes=10,
        test_mode=True,
        pipeline=pipeline))
test_dataloader = val_dataloader
