# StyleGAN3-T (Karras et al. 2021, "Alias-Free GANs"): the settings of NVlabs
# stylegan3 `train.py --cfg=stylegan3-t`. Generator: 2-layer mapping, 3x3
# modulated convs with separable Kaiser filters (translation equivariance).
# Discriminator: the StyleGAN2 'resnet' one. No path-length regularisation,
# no style mixing. Top-level configs set out_size/in_size and r1_gamma (no
# default on purpose: it must be tuned per dataset).
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
            channel_base=32768,
            channel_max=512,
            conv_kernel=3,
            use_radial_filters=False,
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
    # reference: ema_kimg = total batch * 10 / 32, ramp-up 0.05.
    ema_config=dict(type='StyleGANEMA', ema_kimg=10., ema_rampup=0.05))
