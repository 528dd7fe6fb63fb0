# Copyright (c) mmgen-ada contributors. All rights reserved.
"""GenTestLoop with MMagic's metric arguments and a GeneratorMetric."""
import math
import uuid

import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset


class LabelledImages(Dataset):
    """uint8 (3, 8, 8) images, labels one-hot over 3 classes, all class 2."""

    def __init__(self, n=6):
        g = torch.Generator().manual_seed(0)
        self.images = torch.randint(
            0, 256, (n, 3, 8, 8), generator=g, dtype=torch.uint8)

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return dict(
            inputs=self.images[i], data_samples=dict(label=torch.eye(3)[2]))


class ShiftNet(nn.Module):
    """mapping/synthesis whose image moves exactly with the input
    transform's whole-pixel translation (so EQ-T is infinite)."""

    noise_size = 2

    def __init__(self):
        super().__init__()
        self.synthesis = nn.Module()
        self.synthesis.input = nn.Module()
        self.synthesis.input.register_buffer('transform', torch.eye(3))
        self.synthesis.forward = self._synthesis

    def mapping(self, z, c=None, truncation_psi=1.0):
        return z

    def _synthesis(self, ws, noise_mode='const', force_fp32=False):
        t = -self.synthesis.input.transform[:2, 2]
        r = torch.arange(8.).view(-1, 1) - round(float(t[1]) * 8)
        c = torch.arange(8.).view(1, -1) - round(float(t[0]) * 8)
        return torch.sin(0.9 * r + 0.4 * c).expand(ws.shape[0], 3, 8, 8)


class ToyGAN(BaseModel):

    label_dim = 3

    def __init__(self):
        super().__init__()
        self.generator = ShiftNet()
        self.generator_ema = None
        self.w = nn.Parameter(torch.zeros(()))
        self.calls = []

    def sample_z(self, num, device):
        return torch.randn(num, 2, device=device)

    def generate(self,
                 z,
                 c=None,
                 truncation_psi=1.0,
                 noise_mode='const',
                 use_ema=True):
        self.calls.append((truncation_psi, noise_mode, use_ema, c))
        return torch.rand(len(z), 3, 8, 8) * 2 - 1

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return inputs


def test_mmagic_metric_arguments_drive_the_fake_passes(tmp_path):
    tiny = dict(type='TinyTestFeatureExtractor')
    metrics = [
        dict(
            type='FrechetInceptionDistance',
            fake_nums=4,
            prefix='FID-a',
            feature_extractor=tiny,
            real_cache_dir=None,
            inception_style='StyleGAN',
            need_cond_input=False,
            sample_kwargs=dict(truncation=0.5, randomize_noise=False),
            sample_model='orig'),
        dict(
            type='KernelInceptionDistance',
            fake_nums=4,
            num_subsets=2,
            feature_extractor=tiny,
            real_cache_dir=None,
            sample_model='orig'),
        dict(
            type='Equivariance',
            fake_nums=4,
            sample_mode='orig',
            prefix='EQ',
            eq_cfg=dict(compute_eqt_int=True, translate_max=0.25)),
    ]
    model = ToyGAN()
    runner = Runner(
        model=model,
        work_dir=str(tmp_path / 'work'),
        experiment_name=f'eqloop-{uuid.uuid4().hex[:8]}',
        default_scope='mmgen_ada',
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1)),
        test_dataloader=dict(
            dataset=LabelledImages(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=4,
            num_workers=0),
        test_cfg=dict(
            type='GenTestLoop', noise_mode='random', progress_bar=False),
        test_evaluator=metrics)
    out = runner.test()
    assert out['EQ/eqt_int'] == math.inf
    assert {'FID-a/fid', 'KID-Full/kid'} <= set(out)
    passes = {(psi, noise, ema) for psi, noise, ema, _ in model.calls}
    assert passes == {(0.5, 'const', False), (1.0, 'random', False)}
    uniform = [c for psi, _, _, c in model.calls if psi == 0.5]
    dataset = [c for psi, _, _, c in model.calls if psi == 1.0]
    for c in uniform + dataset:
        assert torch.equal(c.sum(1), torch.ones(len(c)))  # one-hot
    assert all(
        torch.equal(c.argmax(1), torch.full((len(c), ), 2))
        for c in dataset)  # the dataset's labels (class 2)
    # need_cond_input=False: uniform classes, not only the dataset's class.
    assert any(bool((c.argmax(1) != 2).any()) for c in uniform)
