# Copyright (c) mmgen-ada contributors. All rights reserved.
import math

import numpy as np
import pytest
import torch

from mmgen_ada.models.stylegan2 import StyleGAN2Discriminator
from mmgen_ada.models.stylegan2.discriminator_blocks import MinibatchStdLayer
from mmgen_ada.registry import MODELS


def _tiny(**kwargs):
    cfg = dict(in_size=16, channel_base=128, channel_max=16)
    cfg.update(kwargs)
    return StyleGAN2Discriminator(**cfg)


def test_build_from_registry_and_shapes():
    D = MODELS.build(
        dict(
            type='StyleGAN2Discriminator',
            in_size=16,
            channel_base=128,
            channel_max=16))
    assert isinstance(D, StyleGAN2Discriminator)
    torch.manual_seed(0)
    logits = D(torch.randn(4, 3, 16, 16))
    assert logits.shape == (4, 1) and logits.dtype == torch.float32
    # Layout: b16 (with fromrgb), b8, epilogue; 8x8 has 16 channels.
    assert D.b16.fromrgb.weight.shape == (8, 3, 1, 1)
    assert D.b8.conv1.weight.shape == (16, 16, 3, 3)
    assert D.epilogue.conv.weight.shape == (16, 17, 3, 3)  # + mbstd map
    assert D.epilogue.fc.weight.shape == (16, 16 * 16)
    big = StyleGAN2Discriminator(256, channel_multiplier=2)
    assert big.b256.conv0.weight.shape == (128, 128, 3, 3)  # 64 * 2
    assert big.b64.conv1.weight.shape == (512, 512, 3, 3)


def test_grayscale_and_mbstd_options():
    torch.manual_seed(0)
    D = _tiny(img_channels=1, mbstd_group_size=2, mbstd_num_channels=2)
    assert D(torch.randn(6, 1, 16, 16)).shape == (6, 1)
    assert D.epilogue.conv.weight.shape[1] == 18
    D_off = _tiny(mbstd_num_channels=0)
    assert D_off.epilogue.mbstd is None
    assert D_off(torch.randn(3, 3, 16, 16)).shape == (3, 1)


def _mbstd_numpy(x, group_size, num_channels):
    n, c, h, w = x.shape
    g = min(group_size, n)
    groups = n // g
    cpg = c // num_channels
    out = np.zeros((n, num_channels, h, w))
    for i in range(n):
        members = [j for j in range(n) if j % groups == i % groups]
        assert len(members) == g
        for f in range(num_channels):
            vals = x[members, f * cpg:(f + 1) * cpg]  # [G, c, H, W]
            std = np.sqrt(vals.var(axis=0) + 1e-8)  # population variance
            out[i, f] = std.mean()
    return np.concatenate([x, out], axis=1)


@pytest.mark.parametrize('n,group_size,num_channels', [(8, 4, 1), (8, 4, 2),
                                                       (6, 4, 1), (3, 4, 3),
                                                       (4, None, 1)])
def test_minibatch_std_matches_numpy(n, group_size, num_channels):
    if n % min(group_size or n, n):
        with pytest.raises(ValueError, match='divisible'):
            MinibatchStdLayer(group_size, num_channels)(
                torch.zeros(n, 6, 2, 2))
        return
    torch.manual_seed(0)
    x = torch.randn(n, 6, 3, 2, dtype=torch.float64)
    out = MinibatchStdLayer(group_size, num_channels)(x)
    ref = _mbstd_numpy(x.numpy(), group_size or n, num_channels)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12)


def test_conditional_projection():
    torch.manual_seed(0)
    D = _tiny(cond_size=3, cond_mapping_layers=2).eval()
    assert D.cmap_dim == 16 and D.epilogue.out.weight.shape == (16, 16)
    with torch.no_grad():
        D.epilogue.out.bias.normal_()
    captured = {}
    D.epilogue.out.register_forward_hook(
        lambda m, i, o: captured.__setitem__('out', o))
    D.mapping.register_forward_hook(
        lambda m, i, o: captured.__setitem__('cmap', o))
    img = torch.randn(4, 3, 16, 16)
    c = torch.eye(3)[[0, 1, 2, 0]]
    logits = D(img, c)
    expected = (captured['out'] * captured['cmap']).sum(
        dim=1, keepdim=True) / math.sqrt(16)
    torch.testing.assert_close(logits, expected)
    # The label changes the score; the same label gives the same score.
    other = D(img, torch.eye(3)[[1, 2, 0, 0]])
    assert not torch.allclose(logits[:3], other[:3])
    torch.testing.assert_close(logits[3], other[3])
    custom = _tiny(cond_size=3, cond_mapping_channels=5)
    assert custom.epilogue.out.weight.shape == (5, 16)
    assert len([
        n for n in custom.state_dict()
        if n.startswith('mapping.fc') and n.endswith('weight')
    ]) == 8
    with pytest.raises(ValueError, match=r'c must be \(4, 3\)'):
        D(img)
    with pytest.raises(ValueError, match='unconditional'):
        _tiny()(img, c)


def test_freeze_layers_nvlabs_semantics():
    D = _tiny(in_size=32, freeze_layers=5)
    assert D.num_layers == 4 + 3 + 3
    trainable = {n for n, _ in D.named_parameters()}
    frozen = {'b32.fromrgb', 'b32.conv0', 'b32.conv1', 'b32.skip', 'b16.conv0'}
    for layer in frozen:
        assert f'{layer}.weight' not in trainable
    assert 'b16.conv1.weight' in trainable and 'b16.skip.weight' in trainable
    assert 'epilogue.conv.weight' in trainable
    # Same state dict keys as an unfrozen D: checkpoints stay compatible.
    assert list(D.state_dict()) == list(_tiny(in_size=32).state_dict())
    D.requires_grad_(True)  # training loops toggle this; frozen stays frozen
    img = torch.randn(2, 3, 32, 32)
    D(img).sum().backward()
    assert D.b32.conv0.weight.grad is None
    assert D.b16.conv1.weight.grad is not None


def test_orig_architecture_has_no_residual_skips():
    # NVlabs' cifar preset: x = conv1(conv0(x)) per block, no skip, no gain.
    torch.manual_seed(0)
    orig = _tiny(in_size=32, architecture='orig')
    resnet = _tiny(in_size=32)
    keys = list(resnet.state_dict())
    assert list(orig.state_dict()) == [k for k in keys if '.skip.' not in k]
    assert not any(hasattr(getattr(orig, f'b{r}'), 'skip') for r in (32, 16))
    assert orig.num_layers == 3 + 2 + 2  # fromrgb, conv0, conv1; conv0, 1
    img = torch.randn(4, 3, 32, 32)
    x = orig.b32.fromrgb(img)
    for res in (32, 16, 8):
        block = getattr(orig, f'b{res}')
        x = block.conv1(block.conv0(x))
    torch.testing.assert_close(orig(img), orig.epilogue(x, None))
    # Loading the resnet weights it shares, it differs from resnet only by
    # the skips: not a relabelled resnet.
    orig.load_state_dict({k: v for k, v in resnet.state_dict().items()
                          if '.skip.' not in k})
    assert not torch.allclose(orig(img), resnet(img))
    frozen = _tiny(in_size=32, architecture='orig', freeze_layers=4)
    trainable = {n for n, _ in frozen.named_parameters()}
    assert 'b16.conv0.weight' not in trainable
    assert 'b16.conv1.weight' in trainable


def test_orig_architecture_gradients():
    torch.manual_seed(0)
    D = _tiny(
        in_size=8, channel_base=16, channel_max=4, mbstd_group_size=2,
        architecture='orig').double()
    img = torch.randn(2, 3, 8, 8, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradgradcheck(
        lambda x: D(x), (img, ), eps=1e-6, atol=1e-6, fast_mode=True)


def test_r1_double_backward():
    torch.manual_seed(0)
    D = _tiny(cond_size=2)
    img = torch.randn(4, 3, 16, 16, requires_grad=True)
    logits = D(img, torch.eye(2)[[0, 1, 0, 1]])
    (grad, ) = torch.autograd.grad(logits.sum(), img, create_graph=True)
    grad.square().sum().backward()
    assert D.b16.fromrgb.weight.grad.abs().sum() > 0
    assert D.mapping.fc0.weight.grad.abs().sum() > 0


def test_gradcheck_small_discriminator():
    # Analytic gradients (incl. FIR downsampling and mbstd) vs finite
    # differences, in float64.
    torch.manual_seed(0)
    D = _tiny(
        in_size=8, channel_base=16, channel_max=4,
        mbstd_group_size=2).double()
    img = torch.randn(2, 3, 8, 8, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x: D(x), (img, ), eps=1e-6, atol=1e-6, fast_mode=True)
    assert torch.autograd.gradgradcheck(
        lambda x: D(x), (img, ), eps=1e-6, atol=1e-6, fast_mode=True)


def test_fp16_scales_stay_fp32_on_cpu():
    torch.manual_seed(0)
    D = _tiny(num_fp16_scales=1, conv_clamp=256)
    assert D.b16.use_fp16 and not D.b8.use_fp16
    D32 = _tiny(conv_clamp=256)
    D32.load_state_dict(D.state_dict())
    img = torch.randn(2, 3, 16, 16)
    out = D(img)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, D32(img))


@pytest.mark.parametrize('kwargs,match', [
    (dict(in_size=4), 'in_size must be a power of two >= 8'),
    (dict(in_size=24), 'in_size must be a power of two'),
    (dict(in_size=(8, 4)), r'in_size must be a power of two >= 8'),
    (dict(in_size=(8, 12)), r'in_size must be a power of two'),
    (dict(in_size=(8, 64)), r'aspect ratio 8:1 is more than 4:1'),
    (dict(mbstd_group_size=0), 'mbstd_group_size'),
    (dict(freeze_layers=-1), 'freeze_layers'),
    (dict(conv_clamp=-1.), 'conv_clamp'),
    (dict(architecture='skip'), "'orig' or 'resnet'"),
])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _tiny(**kwargs)


def test_bad_inputs():
    D = _tiny()
    with pytest.raises(ValueError, match=r'img must be \(N, 3, 16, 16\)'):
        D(torch.randn(2, 3, 8, 8))
    with pytest.raises(ValueError, match='divisible by the mbstd group'):
        D(torch.randn(6, 3, 16, 16))
    with pytest.raises(TypeError, match='mbstd_cfgs'):
        _tiny(mbstd_cfgs=dict(group_size=4))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_fp16_scales_on_cuda():
    torch.manual_seed(0)
    D = _tiny(num_fp16_scales=1, conv_clamp=256).cuda()
    img = torch.randn(4, 3, 16, 16, device='cuda', requires_grad=True)
    out16 = D(img)
    out32 = D(img, force_fp32=True)
    assert out16.dtype == torch.float32
    torch.testing.assert_close(out16, out32, atol=2e-2, rtol=2e-2)
    (grad, ) = torch.autograd.grad(out16.sum(), img, create_graph=True)
    grad.square().sum().backward()
    assert torch.isfinite(D.b16.conv0.weight.grad).all()


@pytest.mark.parametrize('hw', [(16, 32), (32, 16), (8, 32)])
def test_rectangular_discriminator_shapes(hw):
    h, w = hw
    D = _tiny(in_size=hw, cond_size=3, mbstd_group_size=2)
    square = _tiny(in_size=min(hw), cond_size=3, mbstd_group_size=2)
    assert (D.in_size, D.in_hw) == (hw, hw)
    assert D.block_resolutions == square.block_resolutions
    epi = (4 * h // min(hw), 4 * w // min(hw))
    assert D.epilogue.resolution == epi
    channels = square.epilogue.conv.weight.shape[0]
    assert D.epilogue.fc.weight.shape == (channels, channels * epi[0] * epi[1])
    img, c = torch.randn(4, 3, h, w), torch.eye(3)[[0, 1, 2, 0]]
    assert D(img, c).shape == (4, 1)
    with pytest.raises(ValueError, match=rf'img must be \(N, 3, {h}, {w}\)'):
        D(img.transpose(-1, -2), c)
    with pytest.raises(ValueError, match=rf'--resolution {w}x{h} \(WxH\)'):
        D.check_input_shape(torch.randn(4, 3, 8, 8), is_real=True)
    fp16 = _tiny(in_size=hw, num_fp16_scales=2, conv_clamp=256.)
    with torch.autocast('cpu', dtype=torch.float16):
        logits = fp16(img)
    assert logits.shape == (4, 1) and logits.dtype == torch.float32


def test_rectangular_discriminator_is_the_transpose_of_its_transpose():
    # Transposing every conv kernel, and reordering the fc columns that
    # read the flattened (C, 4, 8) epilogue map, makes a (32, 16) D score
    # transposed images exactly as the (16, 32) D scores the originals.
    from .test_stylegan2_generator import _transposed_state
    torch.manual_seed(0)
    wide = _tiny(in_size=(16, 32), cond_size=3, mbstd_group_size=2)
    with torch.no_grad():
        for name, p in wide.named_parameters():
            if name.endswith('bias'):
                p.add_(0.2 * torch.randn(p.shape))
    tall = _tiny(in_size=(32, 16), cond_size=3, mbstd_group_size=2)
    tall.load_state_dict(_transposed_state(wide, fc_hw=(4, 8)))
    img, c = torch.randn(4, 3, 16, 32), torch.eye(3)[[0, 1, 2, 0]]
    a = wide(img, c)
    torch.testing.assert_close(
        tall(img.transpose(-1, -2).contiguous(), c), a, atol=1e-5, rtol=1e-5)
    # The fc reordering matters: without it the scores differ.
    tall.load_state_dict(_transposed_state(wide))
    assert (tall(img.transpose(-1, -2).contiguous(), c) - a).abs().max() > 1e-3
