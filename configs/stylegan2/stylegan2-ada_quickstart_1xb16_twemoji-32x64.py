# Rectangular quickstart: StyleGAN2-ADA on ~2,000 Twemoji pairs, 32 high x
# 64 wide (sizes are (H, W), height first; docs/training.md). The 32x32
# quickstart with out_size/in_size=(32, 64): G starts from a 4x8 constant
# and doubles both sides per block (4x8 ... 32x64, the blocks and channels
# of the 32x32 quickstart), D halves down to a 4x8 epilogue. About twice
# the pixels, so roughly half the 32x32 quickstart's speed.
# R1 follows NVlabs' `--cfg=auto` heuristic with the pixel count in place of
# res**2 (mmgen_ada/apis/auto_config.py): gamma = 0.0002 * 32 * 64 / 16 =
# 0.0256; everything else as in the 32x32 quickstart.
# Data:  python tools/dataset_converters/twemoji.py --pairs
#        (-> data/twemoji-32x64.zip)
# Train: python tools/train.py \
#            configs/stylegan2/stylegan2-ada_quickstart_1xb16_twemoji-32x64.py
_base_ = './stylegan2-ada_quickstart_1xb16_twemoji-32x32.py'

data_root = 'data/twemoji-32x64.zip'

model = dict(
    generator=dict(out_size=(32, 64)),
    discriminator=dict(in_size=(32, 64)),
    r1_gamma=0.0256)

# resolution=(H, W): loading stops with an error naming the file if the
# zip holds images of another size.
train_dataloader = dict(
    dataset=dict(data_root=data_root, resolution=(32, 64)))
test_dataloader = dict(
    dataset=dict(data_root=data_root, resolution=(32, 64)))
