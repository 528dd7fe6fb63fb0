_base_ = '../default_runtime.py'

# Iteration-based GAN training. Algorithm configs set max_iters from the
# paper's kimg and global batch (max_iters = kimg * 1000 / batch) and
# val_interval (NVlabs evaluates every 200 kimg).
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=100000, val_interval=5000)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100, log_metric_by_epoch=False),
    checkpoint=dict(
        type='CheckpointHook',
        interval=5000,
        by_epoch=False,
        max_keep_ckpts=5,
        save_last=True))

# `kimg` is a running total: log its latest value, not a 10-iteration mean.
log_processor = dict(
    by_epoch=False,
    custom_cfg=[dict(data_src='kimg', method_name='mean', window_size=1)])

# Different seeds per rank, as NVlabs (seed * num_gpus + rank): every rank
# draws its own latents. G and D start identical (DDP broadcasts them at
# wrapping), G_ema is broadcast by GeneratorEMAHook.
randomness = dict(seed=0, diff_rank_seed=True)
