# Config of the checkpoint reliability tests: the toy model of
# checkpoint_toy.py on the shipped runtime base (GANRunner,
# AtomicCheckpointHook, DivergenceGuardHook).
_base_ = ['../../configs/_base_/default_runtime.py']

custom_imports = dict(imports=['checkpoint_toy'], allow_failed_imports=False)

model = dict(type='ToyCheckpointModel')
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='ToyCheckpointVectors'))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=6)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=0.01))
randomness = dict(seed=0)

default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=1, max_keep_ckpts=3),
    visualization=None)  # the toy is no GAN
env_cfg = dict(dist_cfg=dict(backend='gloo'))
launcher = 'none'
