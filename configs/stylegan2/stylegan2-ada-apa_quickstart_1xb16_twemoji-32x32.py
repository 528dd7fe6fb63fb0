# The Twemoji ADA quickstart plus adaptive pseudo augmentation (APA; Jiang
# et al., NeurIPS 2021, Sec. 3): in Dmain each real is replaced, with
# probability p_apa, by a generated image still labelled real; p_apa follows
# r_t = E[sign(D(real-labelled))] towards 0.6 like ADA's p (APAHook, every 4
# iterations, logged as train/apa_p). The speed matches the quickstart's ADA
# (one unit per 100 kimg, so short runs can move p_apa at all); untuned.
# Everything else is stylegan2-ada_quickstart_1xb16_twemoji-32x32.py.
# See docs/limited_data.md.
# Train: python tools/train.py \
#       configs/stylegan2/stylegan2-ada-apa_quickstart_1xb16_twemoji-32x32.py
_base_ = './stylegan2-ada_quickstart_1xb16_twemoji-32x32.py'

model = dict(apa=dict(target=0.6, kimg=100, update_interval=4, initial_p=0.))

custom_hooks = [
    dict(type='GeneratorEMAHook'),
    dict(type='ADAHook'),
    dict(type='APAHook'),
    dict(type='RNGStateHook'),
]
