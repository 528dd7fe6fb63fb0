# Config of the evaluation tools' tests: the toy GAN of toy_eval_gan.py
# (the tests put this folder on sys.path) with the shipped evaluation base.
_base_ = ['../../configs/_base_/evaluation.py']
custom_imports = dict(imports=['toy_eval_gan'], allow_failed_imports=False)
default_scope = 'mmgen_ada'
model = dict(type='ToyEvalGAN')
test_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ToyEvalImages'))
val_dataloader = test_dataloader
