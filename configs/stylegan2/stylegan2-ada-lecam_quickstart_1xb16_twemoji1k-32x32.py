# The limited-data comparison of docs/limited_data.md, ADA+LeCam arm: the
# ADA arm (stylegan2-ada_quickstart_1xb16_twemoji1k-32x32.py: the same
# 1,000-image subset, iterations, checkpoints, metrics and ada_kimg=10) plus
# LeCam regularisation (Tseng et al., CVPR 2021, Eq. 3) at the untuned
# weight 0.3 and the paper's anchor decay 0.99, as in
# stylegan2-ada-lecam_quickstart_1xb16_twemoji-32x32.py.
# Run all arms: python tools/analysis/compare_limited_data.py run --iters 300
_base_ = './stylegan2-ada_quickstart_1xb16_twemoji1k-32x32.py'

model = dict(lecam_weight=0.3, lecam_decay=0.99)
