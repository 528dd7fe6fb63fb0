# StyleGAN2 (config F hyperparameters, NVlabs stylegan2-ada-pytorch
# `--cfg=stylegan2`): 8-layer mapping, channel_base 32768 / max 512,
# fp16 in the 4 highest resolutions with conv_clamp 256 (CUDA only), R1
# gamma 10 every 16 iterations, path length 2 every 4, style mixing 0.9,
# G_ema half-life 10 kimg. Sizes are set by the algorithm configs
# (generator.out_size, discriminator.in_size).
model = dict(
    type='StyleGAN2',
    data_preprocessor=dict(type='GANDataPreprocessor'),
    generator=dict(
        type='StyleGANv2Generator',
        out_size=None,
        style_channels=512,
        num_mlps=8,
        channel_base=32768,
        channel_max=512,
        conv_clamp=256,
        num_fp16_scales=4,
        mix_prob=0.9),
    discriminator=dict(
        type='StyleGAN2Discriminator',
        in_size=None,
        channel_base=32768,
        channel_max=512,
        conv_clamp=256,
        num_fp16_scales=4,
        mbstd_group_size=4),
    r1_gamma=10.0,
    r1_interval=16,
    pl_weight=2.0,
    pl_interval=4,
    pl_decay=0.01,
    pl_batch_shrink=2,
    ema_config=dict(type='StyleGANEMA', ema_kimg=10.0, ema_rampup=None))

# Paper values; LazyRegOptimWrapperConstructor scales lr and betas by
# c = interval / (interval + 1) from the model's pl/r1 intervals and builds
# a GANOptimWrapper per sub-model. Micro-batches (NVlabs --batch-gpu):
# model.batch_gpu.
optim_wrapper = dict(
    constructor='LazyRegOptimWrapperConstructor',
    generator=dict(
        optimizer=dict(type='Adam', lr=0.002, betas=(0.0, 0.99), eps=1e-8)),
    discriminator=dict(
        optimizer=dict(type='Adam', lr=0.002, betas=(0.0, 0.99), eps=1e-8)))

custom_hooks = [
    dict(type='GeneratorEMAHook'),
    dict(type='RNGStateHook'),
]
