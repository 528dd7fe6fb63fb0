# Copyright (c) mmgen-ada contributors. All rights reserved.
import pickle

import pytest
import torch

from mmgen_ada.evaluation.feature_extractors import LPIPSVGG16
from mmgen_ada.evaluation.feature_extractors.lpips_vgg16 import TAPS


def test_lpips_matches_equation_1(lpips_files, lpips_by_hand):
    assert TAPS == (3, 8, 15, 22, 29)
    vgg, lin, trunk, lins = lpips_files
    net = LPIPSVGG16(vgg16_weights=vgg, lpips_weights=lin)
    gen = torch.Generator().manual_seed(1)
    x0 = torch.rand(2, 3, 16, 16, generator=gen) * 2 - 1
    x1 = torch.rand(2, 3, 16, 16, generator=gen) * 2 - 1
    d = net(x0, x1)
    expected = lpips_by_hand(x0, x1, trunk, lins)
    torch.testing.assert_close(d.double(), expected, rtol=1e-4, atol=1e-6)
    # d(x, x) = 0 and d(x1, x0) = d(x0, x1), one batch.
    again = net(torch.cat([x0, x1]), torch.cat([x0, x0]))
    assert torch.all(again[:2] == 0)
    torch.testing.assert_close(again[2:], d, rtol=1e-5, atol=1e-7)


def test_weight_files_are_checked(tmp_path, lpips_files):
    vgg, lin, trunk, lins = lpips_files
    trunk = dict(trunk)
    with pytest.raises(
            FileNotFoundError, match='never downloaded.*'
            'vgg16_weights'):
        LPIPSVGG16(vgg16_weights=str(tmp_path / 'none.pth'), lpips_weights=lin)
    with pytest.raises(FileNotFoundError, match='pip install --no-deps lpips'):
        LPIPSVGG16(vgg16_weights=vgg, lpips_weights=str(tmp_path / 'no.pth'))
    bad = dict(lins)
    bad['lin2.model.1.weight'] = -bad['lin2.model.1.weight']
    torch.save(bad, tmp_path / 'neg.pth')
    with pytest.raises(ValueError, match='non-negative'):
        LPIPSVGG16(vgg16_weights=vgg, lpips_weights=str(tmp_path / 'neg.pth'))
    del trunk['features.28.weight']
    torch.save({k: v[:1] for k, v in trunk.items()}, tmp_path / 'short.pth')
    with pytest.raises(KeyError, match='features.28.weight'):
        LPIPSVGG16(
            vgg16_weights=str(tmp_path / 'short.pth'), lpips_weights=lin)


class _Exploit:

    def __reduce__(self):
        return (print, ('executed', ))


def test_file_contents_are_never_executed(tmp_path, capsys, lpips_files):
    vgg = lpips_files[0]
    with open(tmp_path / 'evil.pth', 'wb') as f:
        pickle.dump({'lin0.weight': _Exploit()}, f)
    with pytest.raises(ValueError, match='cannot be read as a state dict'):
        LPIPSVGG16(vgg16_weights=vgg, lpips_weights=str(tmp_path / 'evil.pth'))
    assert 'executed' not in capsys.readouterr().out
