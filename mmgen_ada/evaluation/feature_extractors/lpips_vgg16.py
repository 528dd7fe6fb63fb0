# Copyright (c) mmgen-ada contributors. All rights reserved.
"""LPIPS distance with a VGG16 trunk (Zhang et al. 2018, Sec. 3 / Eq. 1)."""
from types import MappingProxyType
from typing import List, Optional, Tuple

import torch
import torch.nn as nn

from mmgen_ada.registry import MODELS
from .lpips_weights import (find_lpips_weights, find_vgg16_weights,
                            read_state_dict)

#: VGG16 ``features`` layout (torchvision indices): channels or 'M' (pool).
VGG16_LAYOUT = (64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512,
                'M', 512, 512, 512)
#: Indices (in ``features``) of the ReLUs LPIPS taps: relu1_2, relu2_2,
#: relu3_3, relu4_3, relu5_3.
TAPS = (3, 8, 15, 22, 29)
TAP_CHANNELS = (64, 128, 256, 512, 512)
#: ImageNet mean/std mapped to images in [-1, 1]: (2 mean - 1, 2 std).
INPUT_SHIFT = (-0.030, -0.088, -0.188)
INPUT_SCALE = (0.458, 0.448, 0.450)
#: Added to channel norms before dividing (LPIPS ``normalize_tensor``).
NORM_EPS = 1e-10
#: Key spellings of the LPIPS linear weights, '{k}' is the layer index.
LIN_KEYS = MappingProxyType({
    'lin{k}.weight': 'ours',
    'lin{k}.model.1.weight': 'LPIPS v0.1 (with dropout)',
    'lin{k}.model.0.weight': 'LPIPS v0.1 (no dropout)',
})


def vgg16_features() -> nn.Sequential:
    """VGG16 conv trunk up to relu5_3, with torchvision's module indices."""
    layers: List[nn.Module] = []
    in_ch = 3
    for item in VGG16_LAYOUT:
        if item == 'M':
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [
                nn.Conv2d(in_ch, item, kernel_size=3, padding=1),
                nn.ReLU(inplace=False)
            ]
            in_ch = item
    return nn.Sequential(*layers)


def unit_normalize(feat: torch.Tensor) -> torch.Tensor:
    """Divide each pixel's feature vector by its L2 norm (+ 1e-10).

    Args:
        feat (Tensor): (N, C, H, W).

    Returns:
        Tensor: (N, C, H, W), unit length along C.
    """
    return feat / (feat.square().sum(dim=1, keepdim=True).sqrt() + NORM_EPS)


@MODELS.register_module()
class LPIPSVGG16(nn.Module):
    """Learned perceptual distance ``d(x0, x1)`` on VGG16 features.

    Eq. 1 of Zhang et al.: for the five tapped stages ``l`` with features
    ``y^l`` unit-normalised along channels,
    ``d = sum_l mean_{h,w} || w_l * (y0^l_hw - y1^l_hw) ||_2^2``, with learned
    non-negative channel weights ``w_l`` (``lin{l}``, 1x1 convolutions
    without bias). Inputs are RGB in [-1, 1], shifted and scaled by the
    ImageNet mean and std first (:data:`INPUT_SHIFT`, :data:`INPUT_SCALE`).

    Weights come from two local files (see
    :mod:`~mmgen_ada.evaluation.feature_extractors.lpips_weights`); a
    missing file is an error that says where to get it. With
    ``load_weights=False`` the module keeps its random initial weights and
    the caller must load a state dict itself (tests do).

    Args:
        vgg16_weights (str, optional): torchvision VGG16 state dict.
            Defaults to None: torchvision's cached ``vgg16-397923af.pth``.
        lpips_weights (str, optional): LPIPS v0.1 ``vgg.pth``. Defaults to
            None: the file of an installed ``lpips`` package.
        load_weights (bool): Load the two files. Defaults to True.
    """

    def __init__(self,
                 vgg16_weights: Optional[str] = None,
                 lpips_weights: Optional[str] = None,
                 load_weights: bool = True) -> None:
        super().__init__()
        if load_weights:  # no random init of 14.7M parameters to overwrite
            with torch.device('meta'):
                self.features = vgg16_features()
        else:
            self.features = vgg16_features()
        for k, ch in enumerate(TAP_CHANNELS):
            self.add_module(f'lin{k}', nn.Conv2d(ch, 1, 1, bias=False))
        self.register_buffer('shift',
                             torch.tensor(INPUT_SHIFT).view(1, 3, 1, 1))
        self.register_buffer('scale',
                             torch.tensor(INPUT_SCALE).view(1, 3, 1, 1))
        if load_weights:
            self.vgg16_path = find_vgg16_weights(vgg16_weights)
            self.lpips_path = find_lpips_weights(lpips_weights)
            self.load_trunk(read_state_dict(self.vgg16_path, 'vgg16_weights'))
            self.load_linear(read_state_dict(self.lpips_path, 'lpips_weights'))
        self.requires_grad_(False)
        self.eval()

    def load_trunk(self, state: dict) -> None:
        """Load ``features.N.weight/bias`` (other keys, e.g. the VGG16
        classifier, are ignored); a missing or mis-shaped key is an error."""
        trunk = {
            k[len('features.'):]: v
            for k, v in state.items() if k.startswith('features.')
        }
        missing = sorted('features.' + k
                         for k in set(self.features.state_dict()) - set(trunk))
        if missing:
            raise KeyError(f'vgg16_weights lacks {missing}; expected '
                           "torchvision's VGG16 keys features.N.weight/bias.")
        try:
            self.features.load_state_dict(
                {k: trunk[k].float()
                 for k in self.features.state_dict()},
                assign=True)
        except RuntimeError as err:
            raise ValueError(f'vgg16_weights do not fit VGG16: {err}') from err

    def load_linear(self, state: dict) -> None:
        """Load the five ``lin{k}`` weights (1, C_k, 1, 1), all >= 0."""
        for k, ch in enumerate(TAP_CHANNELS):
            found = [
                key.format(k=k) for key in LIN_KEYS if key.format(k=k) in state
            ]
            if not found:
                raise KeyError(f'lpips_weights lacks lin{k}; expected one of '
                               f'{[key.format(k=k) for key in LIN_KEYS]}.')
            weight = state[found[0]]
            if tuple(weight.shape) != (1, ch, 1, 1):
                raise ValueError(f'lpips_weights {found[0]} has shape '
                                 f'{tuple(weight.shape)}, expected (1, {ch}, '
                                 '1, 1).')
            if (weight < 0).any():
                raise ValueError(f'lpips_weights {found[0]} has negative '
                                 'entries; LPIPS weights are non-negative.')
            getattr(self, f'lin{k}').weight.data.copy_(weight)

    def tapped_features(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """The five tapped ReLU outputs of images ``x`` (N, 3, H, W)."""
        x = (x - self.shift) / self.scale
        taps = []
        for idx, layer in enumerate(self.features):
            x = layer(x)
            if idx in TAPS:
                taps.append(x)
        return tuple(taps)

    def forward(self, x0: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
        """LPIPS distance of image pairs.

        Args:
            x0 (Tensor): (N, 3, H, W) RGB in [-1, 1]; 1 channel is repeated.
            x1 (Tensor): Same shape.

        Returns:
            Tensor: (N,) distances, float32.
        """
        if x0.shape != x1.shape or x0.ndim != 4 or x0.shape[1] not in (1, 3):
            raise ValueError(f'LPIPS takes two (N, 1|3, H, W) batches of '
                             f'equal shape, got {tuple(x0.shape)} and '
                             f'{tuple(x1.shape)}.')
        if x0.shape[1] == 1:
            x0, x1 = x0.repeat(1, 3, 1, 1), x1.repeat(1, 3, 1, 1)
        n = x0.shape[0]
        feats = self.tapped_features(torch.cat([x0, x1]).float())
        dist = 0
        for k, feat in enumerate(feats):
            f0, f1 = unit_normalize(feat[:n]), unit_normalize(feat[n:])
            weighted = getattr(self, f'lin{k}')((f0 - f1).square())
            dist = dist + weighted.mean(dim=(1, 2, 3))
        return dist
