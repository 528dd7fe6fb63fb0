# The limited-data comparison of docs/limited_data.md, DiffAugment arm: the
# ADA arm (stylegan2-ada_quickstart_1xb16_twemoji1k-32x32.py: the same
# 1,000-image subset, iterations, checkpoints and metrics) with ADAAug
# replaced by DiffAugment (Zhao et al., NeurIPS 2020) at the paper's fixed
# policy color,translation,cutout, and no ADAHook (no strength controller).
# Run all arms: python tools/analysis/compare_limited_data.py run --iters 300
_base_ = './stylegan2-ada_quickstart_1xb16_twemoji1k-32x32.py'

model = dict(
    discriminator=dict(
        data_aug=dict(
            _delete_=True,
            type='DiffAugment',
            policy='color,translation,cutout',
            translation_ratio=0.125,
            cutout_ratio=0.5)))

custom_hooks = [
    dict(type='GeneratorEMAHook'),
    dict(type='RNGStateHook'),
]
