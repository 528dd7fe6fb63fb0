# The limited-data experiment of docs/ada.md, ADA arm: the quickstart on a
# fixed 1,000-image subset of Twemoji (NVlabs' `--max-size` rule: shuffle
# with RandomState(0), keep 1,000, sort) for 1,000 iterations = 16 kimg,
# with a checkpoint every 200 iterations (3.2 kimg). ada_kimg=10 instead of
# the paper's 500, so that p can move within a CPU-sized run (with 500 it
# could rise by at most 0.03 in 16 kimg).
# The no-ADA arm is stylegan2_quickstart_1xb16_twemoji1k-32x32.py.
# Train:    OMP_NUM_THREADS=1 python tools/train.py CONFIG
# Evaluate: python tools/analysis/eval_checkpoints.py CONFIG WORK_DIR \
#               --out ada.json
# (FID and KID of 1,000 G_ema fakes against the same 1,000 reals at every
# checkpoint, plus D's mean sign on the reals.)
_base_ = './stylegan2-ada_quickstart_1xb16_twemoji-32x32.py'

model = dict(discriminator=dict(data_aug=dict(ada_kimg=10)))

train_dataloader = dict(dataset=dict(max_size=1000, random_seed=0))
test_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(max_size=1000, random_seed=0))

train_cfg = dict(max_iters=1000)

default_hooks = dict(
    logger=dict(interval=25),
    checkpoint=dict(interval=200, max_keep_ckpts=-1))

# FID is biased upwards at 1k samples: compare these values with each
# other, never with published 50k FIDs.
test_evaluator = dict(
    _delete_=True,
    type='Evaluator',
    metrics=[
        dict(
            type='FrechetInceptionDistance',
            fake_nums=1000,
            real_nums=-1,
            feature_extractor=dict(type='InceptionV3TorchScript'),
            sample_model='ema'),
        dict(
            type='KernelInceptionDistance',
            fake_nums=1000,
            real_nums=-1,
            num_subsets=100,
            max_subset_size=500,
            feature_extractor=dict(type='InceptionV3TorchScript'),
            sample_model='ema'),
    ])
