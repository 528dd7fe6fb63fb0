# FFHQ (70k faces) at 256x256, ADA paper "paper256" setting (8 GPUs x 8 = 64).
# mirror=True gives the 140k x-flipped set. The paper's limited-data runs use
# random subsets: set dataset.max_size (e.g. 2000, 10000; NVlabs selection).
# Build: python tools/dataset_tool.py --source <ffhq images1024x1024> \
#            --resolution 256 --dest data/ffhq-256x256.zip
dataset_type = 'ImageFolderDataset'
data_root = 'data/ffhq-256x256.zip'

pipeline = [dict(type='LoadGANImage'), dict(type='PackGANInputs')]

# Batch size per GPU; 8 x 8 GPUs matches the paper's total batch.
train_dataloader = dict(
    batch_size=8,
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
    batch_size=8,
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
