# Copyright (c) mmgen-ada contributors. All rights reserved.
"""A toy model and dataset for the checkpoint reliability tests.

Imported by ``checkpoint_toy_config.py`` through ``custom_imports`` (the
tests put this folder on ``sys.path``); not a test module itself. Training
it is deterministic given the checkpointed state (weights, Adam moments,
iteration, sampler seed), so a resumed run must match a straight one bit
for bit.
"""
from typing import List, Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModel
from torch.utils.data import Dataset

from mmgen_ada.registry import DATASETS, MODELS


@DATASETS.register_module(force=True)
class ToyCheckpointVectors(Dataset):
    """Sixteen fixed random vectors of size 4 (the same on every call)."""

    def __init__(self) -> None:
        gen = torch.Generator().manual_seed(0)
        self.vectors = torch.randn(16, 4, generator=gen)

    def __len__(self) -> int:
        return len(self.vectors)

    def __getitem__(self, i: int) -> dict:
        return dict(inputs=self.vectors[i])


@MODELS.register_module(force=True)
class ToyCheckpointModel(BaseModel):
    """A 4 -> 4 linear map trained to rotate its inputs by one position."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 4)
        self.register_buffer('steps', torch.zeros([], dtype=torch.int64))

    def forward(self,
                inputs: List[torch.Tensor],
                data_samples: Optional[list] = None,
                mode: str = 'loss') -> dict:
        x = torch.stack(inputs)  # (N, 4)
        if mode != 'loss':
            return self.linear(x)
        self.steps += 1
        return dict(loss=(self.linear(x) - x.roll(1, 1)).pow(2).mean())
