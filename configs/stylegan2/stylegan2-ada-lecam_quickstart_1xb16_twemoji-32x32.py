# The Twemoji ADA quickstart plus LeCam regularisation (Tseng et al., CVPR
# 2021, Eq. 3): Dmain pulls D's real logits towards the moving average of
# its fake logits and vice versa (anchor decay 0.99, the paper's). The
# weight is the only change from stylegan2-ada_quickstart_1xb16_twemoji-32x32.py.
# lambda = 0.3 is the official BigGAN setting (google/lecam-gan
# biggan_cifar/scripts/lc-biggan-cifar10.sh, --LC 0.3), untuned here; the
# official StyleGAN2-ADA scripts pass --lecam 3e-7 / 1e-6 to a training loop
# that was not published, so the scale of those numbers against this
# penalty (means over the batch) is unknown. See docs/limited_data.md.
# Train: python tools/train.py \
#       configs/stylegan2/stylegan2-ada-lecam_quickstart_1xb16_twemoji-32x32.py
_base_ = './stylegan2-ada_quickstart_1xb16_twemoji-32x32.py'

model = dict(lecam_weight=0.3, lecam_decay=0.99)
