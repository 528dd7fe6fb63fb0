# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Random LPIPS weight files and Eq. 1 of LPIPS written out, for tests."""
import pytest
import torch
import torch.nn.functional as F

from mmgen_ada.evaluation.feature_extractors.lpips_vgg16 import VGG16_LAYOUT

CONV_IDX = []  # torchvision indices of the 13 convolutions
_i = 0
for _item in VGG16_LAYOUT:
    if _item == 'M':
        _i += 1
    else:
        CONV_IDX.append(_i)
        _i += 2


def write_random_lpips_files(tmp_path, seed=0):
    """A VGG16 state dict (with a classifier key, as torchvision's) and LPIPS
    v0.1 linear weights, random; returns the two paths and the tensors."""
    gen = torch.Generator().manual_seed(seed)
    trunk, in_ch = {}, 3
    for idx, ch in zip(CONV_IDX, [c for c in VGG16_LAYOUT if c != 'M']):
        trunk[f'features.{idx}.weight'] = torch.randn(
            ch, in_ch, 3, 3, generator=gen) * (2 / (9 * in_ch))**0.5
        trunk[f'features.{idx}.bias'] = torch.randn(ch, generator=gen) * 0.1
        in_ch = ch
    trunk['classifier.0.weight'] = torch.zeros(2, 2)
    lins = {
        f'lin{k}.model.1.weight': torch.rand(1, ch, 1, 1, generator=gen)
        for k, ch in enumerate((64, 128, 256, 512, 512))
    }
    torch.save(trunk, tmp_path / 'vgg16.pth')
    torch.save(lins, tmp_path / 'vgg.pth')
    return str(tmp_path / 'vgg16.pth'), str(tmp_path / 'vgg.pth'), trunk, lins


def lpips_by_hand(x0, x1, trunk, lins):
    """Eq. 1 of Zhang et al. written out: conv/relu/pool with F, taps after
    the ReLUs of conv1_2, 2_2, 3_3, 4_3, 5_3."""
    shift = torch.tensor([-.030, -.088, -.188]).view(1, 3, 1, 1)
    scale = torch.tensor([.458, .448, .450]).view(1, 3, 1, 1)
    h = [(x - shift) / scale for x in (x0.double(), x1.double())]
    total = torch.zeros(x0.shape[0], dtype=torch.float64)
    tap_after = {3: 0, 8: 1, 15: 2, 22: 3, 29: 4}
    idx = 0
    for item in VGG16_LAYOUT:
        if item == 'M':
            h = [F.max_pool2d(v, 2) for v in h]
            idx += 1
            continue
        w = trunk[f'features.{idx}.weight'].double()
        b = trunk[f'features.{idx}.bias'].double()
        h = [F.relu(F.conv2d(v, w, b, padding=1)) for v in h]
        if idx + 1 in tap_after:
            k = tap_after[idx + 1]
            n0, n1 = (
                v / (torch.linalg.vector_norm(v, dim=1, keepdim=True) + 1e-10)
                for v in h)
            wk = lins[f'lin{k}.model.1.weight'].double().flatten()
            total += torch.einsum('c,nchw->n', wk, (n0 - n1)**2) / (
                h[0].shape[2] * h[0].shape[3])
        idx += 2
    return total


@pytest.fixture(scope='session')
def lpips_files(tmp_path_factory):
    """(vgg16 path, lpips path, trunk tensors, linear tensors), random."""
    return write_random_lpips_files(tmp_path_factory.mktemp('lpips'))


@pytest.fixture(scope='session', name='lpips_by_hand')
def lpips_by_hand_fixture():
    return lpips_by_hand
