default_scope = 'mmgen_ada'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        interval=1000,
        by_epoch=False,
        max_keep_ckpts=5,
        save_last=True,
        # Write through a temporary file + rename: a run killed while saving
        # never leaves a truncated checkpoint behind.
        backend_args=dict(backend='atomic_local')),
    sampler_seed=dict(type='DistSamplerSeedHook'),
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

log_processor = dict(type='LogProcessor', window_size=10, by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
