# MetFaces (1,336 faces), ADA paper "paper1024" setting (8 GPUs x 4 = 32).
# Build: python tools/dataset_tool.py --source <metfaces>/images \
#            --dest data/metfaces-1024x1024.zip
dataset_type = 'ImageFolderDataset'
data_root = 'data/metfaces-1024x1024.zip'

pipeline = [dict(type='LoadGANImage'), dict(type='PackGANInputs')]

# Batch size per GPU; 4 x 8 GPUs matches the paper's total batch.
train_dataloader = dict(
    batch_size=4,
    num_workers=3,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='GANBatchSampler'),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type, data_root=data_root, mirror=True,
        pipeline=pipeline))

# Real images for the metrics. As in NVlabs, the reals of FID "full" are the
# training set including its x-flipped copies, so mirror matches training.
val_dataloader = dict(
    batch_size=4,
    num_workers=3,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        mirror=True,
        test_mode=True,
        pipeline=pipeline))
test_dataloader = val_dataloader
