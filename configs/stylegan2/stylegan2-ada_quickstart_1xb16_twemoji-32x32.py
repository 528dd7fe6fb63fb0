# Quickstart: StyleGAN2-ADA on ~4,000 Twemoji at 32x32, sized for a laptop
# CPU (2 cores). Small widths (64 channels at every resolution, 128-d
# styles, 2-layer mapping), batch 16, ADA 'bgc' towards r_t = 0.6: about
# 1.7 iterations/s (27 images/s, 1.6 kimg/min) on 2 cores, see
# docs/benchmarks.md; 128 channels are ~2.2x slower.
# Regularisation follows NVlabs' `--cfg=auto` heuristics for this batch and
# resolution: gamma = 0.0002 * 32**2 / 16 = 0.0128, G_ema half-life
# 16 * 10 / 32 = 5 kimg with ramp-up 0.05, lr 0.0025, mbstd group 4.
# Data: python tools/dataset_converters/twemoji.py  (-> data/twemoji-32x32.zip)
# Train: python tools/train.py \
#            configs/stylegan2/stylegan2-ada_quickstart_1xb16_twemoji-32x32.py
_base_ = [
    '../_base_/models/stylegan2_ada.py',
    '../_base_/datasets/twemoji_32x32.py',
    '../_base_/schedules/gan_iter_based.py',
    '../_base_/evaluation.py',
]

model = dict(
    generator=dict(
        out_size=32,
        style_channels=128,
        num_mlps=2,
        channel_base=2048,
        channel_max=64,
        num_fp16_scales=0),
    discriminator=dict(
        in_size=32,
        channel_base=2048,
        channel_max=64,
        num_fp16_scales=0,
        mbstd_group_size=4,
        # p may move one unit per 100 kimg (the ADA paper's speed for
        # transfer learning; 500 in long runs), so that it visibly adapts
        # in short runs: 300 iterations (4.8 kimg) allow up to 0.048.
        data_aug=dict(ada_kimg=100)),
    r1_gamma=0.0128,
    ema_config=dict(ema_kimg=5.0, ema_rampup=0.05))

optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=0.0025)),
    discriminator=dict(optimizer=dict(lr=0.0025)))

# Decoding 32x32 PNGs is cheap: keep both cores for training.
train_dataloader = dict(batch_size=16, num_workers=0, persistent_workers=False)

# Global batch, kept on any number of processes: tools/train.py gives each
# of N processes 16 // N images (N must divide 16).
global_batch_size = 16

# 20k iterations = 320 kimg. No metrics during training (the Inception
# network is slow on a CPU); evaluate a checkpoint with tools/test.py, which
# computes FID with 5k fakes against all ~4k reals.
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
