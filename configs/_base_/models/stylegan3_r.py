# StyleGAN3-R (Karras et al. 2021): NVlabs stylegan3 `train.py
# --cfg=stylegan3-r`. As config T but with 1x1 convs, radially symmetric
# (jinc) downsampling filters, twice the generator's feature maps, and D's
# inputs blurred with a sigma fading from 10 px to 0 over the first 200 kimg
# (reference: blur_fade_kimg = total batch * 200 / 32). Top-level configs set
# out_size/in_size and r1_gamma.
model = dict(
    type='StyleGAN3',
    data_preprocessor=dict(type='GANDataPreprocessor'),
    generator=dict(
        type='StyleGANv3Generator',
        out_size=None,  # set by the top-level config
        style_channels=512,
        noise_size=512,
        img_channels=3,
        mapping_cfg=dict(num_layers=2, lr_multiplier=0.01, w_avg_beta=0.998),
        synthesis_cfg=dict(
            channel_base=65536,
            channel_max=1024,
            conv_kernel=1,
            use_radial_filters=True,
            margin_size=10,
            num_fp16_res=4,
            conv_clamp=256,
            # reference: 0.5 ** (total batch / 20k images); 32 here.
            magnitude_ema_beta=0.5**(32 / 20000))),
    discriminator=dict(
        type='StyleGAN2Discriminator',
        in_size=None,  # set by the top-level config
        channel_base=32768,
        channel_max=512,
        mbstd_group_size=4,
        num_fp16_scales=4,
        conv_clamp=256),
    r1_gamma=None,  # set by the top-level config
    r1_interval=16,
    pl_weight=0.,
    pl_interval=None,
    blur_init_sigma=10.,
    blur_fade_kimg=200.,
    ema_config=dict(type='StyleGANEMA', ema_kimg=10., ema_rampup=0.05))
