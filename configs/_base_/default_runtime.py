default_scope = 'mmgen_ada'
# Checkpoints store the config as data, load strictly (see
# docs/reliability.md); `partial_load = True` loads only matching tensors.
runner_type = 'GANRunner'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Atomic save, then `last_checkpoint`, then rotation: a kill at any
    # moment leaves a loadable checkpoint.
    checkpoint=dict(
        type='AtomicCheckpointHook',
        interval=1000,
        by_epoch=False,
        max_keep_ckpts=5,
        save_last=True,
        backend_args=dict(backend='atomic_local')),
    # Stops a run whose losses/weights are non-finite before it is saved.
    divergence_guard=dict(type='DivergenceGuardHook', patience=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)

log_processor = dict(type='LogProcessor', window_size=10, by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
