# Copyright (c) mmgen-ada contributors. All rights reserved.
"""ADAHook with a fake runner, and p surviving save/resume in a real Runner."""
import copy
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.runner import Runner

import mmgen_ada  # noqa: F401  (checkpoint safe globals)
from mmgen_ada.engine.hooks import ADAHook
from mmgen_ada.models.ada import ADAAug
from mmgen_ada.registry import HOOKS


class _Wrapper(nn.Module):
    """Stands in for DDP: holds the model as ``.module``."""

    def __init__(self, module):
        super().__init__()
        self.module = module


def _runner(model, name):
    return SimpleNamespace(
        model=model, iter=0, message_hub=MessageHub.get_instance(name))


def _feed(aug, signs):
    aug.record(torch.tensor(signs, dtype=torch.float32)[:, None])


def test_updates_every_interval_with_closed_form_p():
    aug = ADAAug(update_interval=4, ada_kimg=0.1, ada_target=0.6)
    model = _Wrapper(
        nn.ModuleDict(dict(discriminator=nn.ModuleDict(dict(data_aug=aug)))))
    runner = _runner(model, 'ada_hook_closed_form')
    hook = HOOKS.build(dict(type='ADAHook'))
    hook.before_train(runner)
    expected, history = 0.0, []
    # 8 signs per iteration; iterations 0-3 are all positive (r_t = 1),
    # 4-7 have r_t = 0.5 < 0.6, 8-11 have r_t = 0.75.
    per_iter = [[1] * 8] * 4 + [[1] * 6 + [-1] * 2] * 4 + [[1] * 7 + [-1]] * 4
    for it, signs in enumerate(per_iter):
        runner.iter = it
        _feed(aug, signs)
        hook.after_train_iter(runner, batch_idx=it)
        if (it + 1) % 4 == 0:
            rt = sum(sum(s) for s in per_iter[it - 3:it + 1]) / 32
            expected = max(0.0, expected + (1 if rt > 0.6 else -1) * 32 / 100)
            history.append((expected, rt))
            assert aug.p == pytest.approx(expected, abs=1e-6)
            hub = runner.message_hub
            assert hub.get_scalar('train/ada_p').current() == pytest.approx(
                expected, abs=1e-6)
            assert hub.get_scalar('train/ada_rt').current() == rt
            assert aug.sign_stats().tolist() == [0.0, 0.0, 0.0]
        else:
            assert aug.sign_stats()[1].item() == 8 * (it % 4 + 1)
    assert [round(p, 6) for p, _ in history] == [0.32, 0.0, 0.32]
    assert [rt for _, rt in history] == [1.0, 0.5, 0.75]


def test_step_counts_real_images_and_r_t_every_real_logit():
    # 8 reals per iteration; every iteration also re-scores them (lazy R1
    # with interval 1): r_t averages 16 logits, the step counts 8 images.
    aug = ADAAug(update_interval=2, ada_kimg=0.1, ada_target=0.6)
    runner = _runner(_Wrapper(nn.ModuleDict(dict(data_aug=aug))),
                     'ada_hook_repeated_reals')
    hook = ADAHook()
    hook.before_train(runner)
    for it in range(2):
        runner.iter = it
        _feed(aug, [1] * 8)
        aug.record(-torch.ones(8, 1), repeated_reals=True)
        hook.after_train_iter(runner, batch_idx=it)
    # r_t = (16 - 16) / 32 = 0 < 0.6: p would go down by 16 / 100, from 0.
    assert aug.p == 0.0
    assert runner.message_hub.get_scalar('train/ada_rt').current() == 0.0
    aug.aug_pipeline.p.fill_(0.5)
    for it in range(2, 4):
        runner.iter = it
        _feed(aug, [1] * 8)
        aug.record(torch.ones(8, 1), repeated_reals=True)
        hook.after_train_iter(runner, batch_idx=it)
    assert aug.p == pytest.approx(0.5 + 16 / 100)  # not 32 / 100


def test_finds_every_ada_aug_and_suffixes_keys():
    augs = nn.ModuleDict(
        dict(d1=ADAAug(update_interval=1), d2=ADAAug(update_interval=2)))
    runner = _runner(_Wrapper(augs), 'ada_hook_two')
    found = ADAHook.find_ada_augs(runner.model)
    assert [name for name, _ in found] == ['d1', 'd2']
    hook = ADAHook()
    _feed(augs['d1'], [1, 1])
    _feed(augs['d2'], [1, 1])
    hook.after_train_iter(runner, batch_idx=0)  # only d1 is due
    assert augs['d1'].p > 0 and augs['d2'].p == 0
    assert runner.message_hub.get_scalar('train/ada_p/d1').current() > 0
    assert 'train/ada_p/d2' not in runner.message_hub.log_scalars
    runner.iter = 1
    hook.after_train_iter(runner, batch_idx=1)
    assert augs['d2'].p > 0


def test_no_ada_aug_is_harmless_and_bad_prefix_rejected():
    runner = _runner(nn.Linear(2, 2), 'ada_hook_none')
    hook = ADAHook()
    hook.before_train(runner)
    hook.after_train_iter(runner, batch_idx=0)
    with pytest.raises(ValueError, match='log_prefix'):
        ADAHook(log_prefix='')


# ----------------------------------------------------------------------------
# A real Runner: p and the pending statistics survive checkpoint + resume.


class _TinyADAModel(BaseModel):
    """Linear critic on augmented images.

    xflip / rotate90 keep the spatial mean, so the logits (hence p) do not
    depend on the random draws and two runs can be compared exactly.
    """

    def __init__(self):
        super().__init__()
        self.critic = nn.Linear(3, 1)
        self.data_aug = ADAAug(
            aug_pipeline=dict(xflip=1, rotate90=1),
            update_interval=4,
            augment_initial_p=0.1,
            ada_kimg=0.02)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        x = self.data_aug(torch.stack(list(inputs)).float())
        logits = self.critic(x.mean(dim=(2, 3)))
        if mode == 'loss':
            self.data_aug.record(logits)
            # Push the logits of alternating images up and down.
            target = torch.tensor([1., -1., 1., 1.])[:logits.shape[0]]
            return dict(loss=-(logits[:, 0] * target).mean())
        return logits


class _Images(torch.utils.data.Dataset):

    def __len__(self):
        return 64

    def __getitem__(self, idx):
        g = torch.Generator().manual_seed(idx % 4)
        return dict(inputs=torch.rand(3, 8, 8, generator=g) * 2 - 1)


def _make_runner(model, work_dir, max_iters, name, resume_from=None):
    return Runner(
        model=model,
        work_dir=str(work_dir),
        experiment_name=name,
        train_dataloader=dict(
            dataset=_Images(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=4,
            num_workers=0,
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.5)),
        custom_hooks=[dict(type='ADAHook')],
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=6, by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        load_from=resume_from,
        resume=resume_from is not None,
        default_scope='mmgen_ada',
        log_level='WARNING')


def test_p_round_trips_through_runner_checkpoint_and_resume(tmp_path):
    torch.manual_seed(0)
    template = _TinyADAModel()

    # Uninterrupted reference run: 10 iterations, updates after 4 and 8.
    straight = _make_runner(
        copy.deepcopy(template), tmp_path / 'straight', 10, 'ada_straight')
    straight.train()
    p_straight = straight.model.data_aug.p
    assert p_straight != pytest.approx(0.1)  # p really moved
    assert straight.message_hub.get_scalar(
        'train/ada_p').current() == pytest.approx(p_straight)

    # Interrupted run: 6 iterations (2 iterations of statistics pending).
    first = _make_runner(
        copy.deepcopy(template), tmp_path / 'first', 6, 'ada_first')
    first.train()
    p_first = first.model.data_aug.p
    pending = first.model.data_aug.sign_stats().tolist()
    assert pending[1] == 8.0
    ckpt = tmp_path / 'first' / 'iter_6.pth'
    assert ckpt.exists()

    # Resume into a fresh model with a different initial p.
    fresh = copy.deepcopy(template)
    fresh.data_aug.aug_pipeline.p.fill_(0.9)
    second = _make_runner(
        fresh, tmp_path / 'second', 10, 'ada_second', resume_from=str(ckpt))
    second.load_or_resume()
    assert second.model.data_aug.p == pytest.approx(p_first, abs=0)
    assert second.model.data_aug.sign_stats().tolist() == pending
    second.train()
    assert second.iter == 10
    assert second.model.data_aug.p == pytest.approx(p_straight, abs=1e-7)
