# The limited-data comparison of docs/limited_data.md, APA arm: the no-ADA
# arm (stylegan2_quickstart_1xb16_twemoji1k-32x32.py: plain discriminator,
# the same 1,000-image subset, iterations, checkpoints and metrics) plus
# adaptive pseudo augmentation alone (Jiang et al., NeurIPS 2021, Sec. 3):
# p_apa follows r_t towards 0.6 every 4 iterations at kimg=10, the speed of
# the ADA arm's ada_kimg=10, so that p_apa can move within a CPU-sized run.
# Run all arms: python tools/analysis/compare_limited_data.py run --iters 300
_base_ = './stylegan2_quickstart_1xb16_twemoji1k-32x32.py'

model = dict(apa=dict(target=0.6, kimg=10, update_interval=4, initial_p=0.))

custom_hooks = [
    dict(type='GeneratorEMAHook'),
    dict(type='APAHook'),
    dict(type='RNGStateHook'),
]
