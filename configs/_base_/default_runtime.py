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
    # Fixed-latent G_ema samples (and augmented reals) in work_dir/samples.
    # Off: default_hooks = dict(visualization=None) (GANRunner accepts None
    # for every default hook).
    visualization=dict(
        type='GenVisualizationHook', interval=5000, num_samples=64),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

# scalars.json (local, read by tools/analysis/plot_curves.py) and TensorBoard
# event files, both under <work_dir>/<timestamp>/vis_data. TensorBoard off:
#   --cfg-options "visualizer.vis_backends=[dict(type='LocalVisBackend')]"
# GenVisualizer keeps the local backend unless visualizer.keep_local=False
# (docs/training.md).
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
]
visualizer = dict(type='GenVisualizer', vis_backends=vis_backends)

# `kimg` is a running total: log its latest value, not a 10-iteration mean.
log_processor = dict(
    type='LogProcessor',
    window_size=10,
    by_epoch=False,
    custom_cfg=[dict(data_src='kimg', method_name='mean', window_size=1)])
log_level = 'INFO'
load_from = None
resume = False

# Different seeds per rank, as NVlabs (seed * num_gpus + rank): every rank
# draws its own latents. G and D start identical (DDP broadcasts them at
# wrapping), G_ema is broadcast by GeneratorEMAHook.
randomness = dict(seed=0, diff_rank_seed=True)

# GANs need one DDP wrapper per sub-model; their phases bypass it and the
# GANOptimWrapper averages the gradients over ranks. device_ids=None lets
# DDP use the module's device: the current GPU, or the CPU (gloo).
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel',
    broadcast_buffers=False,
    find_unused_parameters=False,
    device_ids=None)
