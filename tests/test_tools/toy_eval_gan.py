# Copyright (c) mmgen-ada contributors. All rights reserved.
"""A toy GAN and dataset for the evaluation tools' tests.

Imported by configs through ``custom_imports`` (the tests put this folder on
``sys.path``); not a test module itself.
"""
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from torch.utils.data import Dataset

from mmgen_ada.registry import DATASETS, MODELS


def toy_images() -> torch.Tensor:
    """Twelve uint8 (3, 8, 8) images, the same on every call."""
    g = torch.Generator().manual_seed(0)
    return torch.randint(
        0, 256, (12, 3, 8, 8), generator=g, dtype=torch.uint8)


@DATASETS.register_module(force=True)
class ToyEvalImages(Dataset):
    """The twelve toy images, unlabelled."""

    def __init__(self) -> None:
        self.images = toy_images()

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> dict:
        return dict(
            inputs=self.images[i], data_samples=dict(label=torch.zeros(0)))


class ToyEvalDiscriminator(nn.Module):
    """Logit = mean pixel value - threshold."""

    def __init__(self) -> None:
        super().__init__()
        self.threshold = nn.Parameter(torch.zeros(()))

    def forward(self, img: torch.Tensor, c=None) -> torch.Tensor:
        return img.mean((1, 2, 3))[:, None] - self.threshold


@MODELS.register_module(force=True)
class ToyEvalGAN(BaseModel):
    """Replays the toy images, in order, shifted by a saved offset."""

    def __init__(self) -> None:
        super().__init__(data_preprocessor=dict(type='GANDataPreprocessor'))
        self.offset = nn.Parameter(torch.zeros(()))
        self.discriminator = ToyEvalDiscriminator()
        self.register_buffer('cur_nimg', torch.zeros([], dtype=torch.int64))
        self.bank = toy_images().float() / 127.5 - 1
        self.made = 0

    def sample_z(self, num: int, device) -> torch.Tensor:
        return torch.randn(num, 2, device=device)

    def generate(self, z, c=None, truncation_psi=1.0, noise_mode='const',
                 use_ema=True) -> torch.Tensor:
        idx = torch.arange(self.made, self.made + len(z)) % len(self.bank)
        self.made += len(z)
        return self.bank[idx] + self.offset

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return inputs
