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
