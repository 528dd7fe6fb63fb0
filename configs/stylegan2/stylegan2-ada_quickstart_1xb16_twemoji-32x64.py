# Rectangular quickstart: StyleGAN2-ADA on ~2,000 Twemoji pairs, 32 high x
# 64 wide (sizes are (H, W), height first; docs/training.md). The
# quickstart's networks with out_size/in_size=(32, 64): G starts from a
# 4x8 constant and doubles both sides per block (4x8 ... 32x64, the blocks
# and channels of the 32x32 quickstart), D halves down to a 4x8 epilogue.
# About twice the pixels, so roughly half the 32x32 quickstart's speed.
# R1 follows NVlabs' `--cfg=auto` heuristic with the pixel count in place of
# res**2 (mmgen_ada/apis/auto_config.py): gamma = 0.0002 * 32 * 64 / 16 =
# 0.0256; everything else as in the 32x32 quickstart.
# Data:  python tools/dataset_converters/twemoji.py --pairs
#        (-> data/twemoji-32x64.zip)
# Train: python tools/train.py \
#            configs/stylegan2/stylegan2-ada_quickstart_1xb16_twemoji-32x64.py
_base_ = [
    '../_base_/models/stylegan2_ada.py',
    '../_base_/datasets/twemoji_32x64.py',
    '../_base_/schedules/gan_iter_based.py',
    '../_base_/evaluation.py',
]

model = dict(
    generator=dict(
        out_size=(32, 64),
        style_channels=128,
        num_mlps=2,
        channel_base=2048,
        channel_max=64,
        num_fp16_scales=0),
    discriminator=dict(
        in_size=(32, 64),
        channel_base=2048,
        channel_max=64,
        num_fp16_scales=0,
        mbstd_group_size=4,
        # As the 32x32 quickstart: p may move one unit per 100 kimg.
        data_aug=dict(ada_kimg=100)),
    r1_gamma=0.0256,
    ema_config=dict(ema_kimg=5.0, ema_rampup=0.05))

optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=0.0025)),
    discriminator=dict(optimizer=dict(lr=0.0025)))

train_dataloader = dict(batch_size=16, num_workers=0, persistent_workers=False)
global_batch_size = 16

# 20k iterations = 320 kimg; FID with tools/test.py (the Inception network
# resizes the 32x64 images to 299x299, as NVlabs does for any input).
train_cfg = dict(max_iters=20000)
val_dataloader = None
val_cfg = None
val_evaluator = None
test_evaluator = dict(metrics=[
    dict(
        type='FrechetInceptionDistance',
        fake_nums=5000,
        real_nums=-1,
        feature_extractor=dict(type='InceptionV3TorchScript'),
        sample_model='ema'),
])

default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=1000, max_keep_ckpts=3),
    visualization=dict(interval=500))
