# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The float16 layers of G and D on CPU: off by default, on inside a float16
CPU autocast (dtypes per block, float32 outputs, conv_clamp applied), and no
enclosing autocast changes a float32 layer."""
import warnings

import pytest
import torch
import torch.nn.functional as F

from mmgen_ada.models.stylegan2 import (StyleGAN2Discriminator,
                                        StyleGANv2Generator)
from mmgen_ada.engine.optimizers.gan_amp_optim_wrapper import \
    cpu_has_fast_bfloat16
from mmgen_ada.models.stylegan2.mixed_precision import use_float16
from mmgen_ada.models.stylegan3 import StyleGANv3Generator
from mmgen_ada.testing import TINY_STYLEGAN2_D_CFG, TINY_STYLEGAN2_G_CFG


def _cpu_float16_supported() -> bool:
    """This torch autocasts the CPU to float16 and has float16 CPU convs."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # "CPU autocast only supports..."
            with torch.autocast('cpu', dtype=torch.float16):
                from mmgen_ada.models.stylegan2.mixed_precision import \
                    cpu_float16_autocast
                if not cpu_float16_autocast():
                    return False
        x = torch.ones(1, 1, 3, 3, dtype=torch.float16)
        F.conv_transpose2d(F.conv2d(x, x), x, stride=2).sum()
    except RuntimeError:
        return False
    return True


needs_cpu_fp16 = pytest.mark.skipif(
    not _cpu_float16_supported(),
    reason='this torch has no float16 CPU autocast / float16 CPU convs')


def _tiny_G(**kwargs):
    torch.manual_seed(0)
    G = StyleGANv2Generator(
        out_size=16,
        style_channels=16,
        num_mlps=2,
        channel_base=128,
        channel_max=16,
        num_fp16_scales=2,
        conv_clamp=256,
        **kwargs).eval()
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():  # nonzero biases and noise strengths
        for name, p in G.named_parameters():
            if name.endswith(('bias', 'noise_strength')):
                p.add_(0.2 * torch.randn(p.shape, generator=gen))
    return G


def _tiny_D():
    torch.manual_seed(0)
    return StyleGAN2Discriminator(
        in_size=16,
        channel_base=128,
        channel_max=16,
        mbstd_group_size=2,
        num_fp16_scales=1,
        conv_clamp=256)


def _record_dtypes(named_modules):
    """Forward hooks storing each module's (first) output dtype."""
    seen = {}
    for name, module in named_modules:
        module.register_forward_hook(
            lambda mod, args, out, name=name: seen.__setitem__(
                name, (out[0] if isinstance(out, tuple) else out).dtype))
    return seen


def test_float16_decision_per_device():
    cuda, cpu = torch.device('cuda'), torch.device('cpu')
    assert use_float16(True, False, cuda)
    assert not use_float16(True, True, cuda)
    assert not use_float16(False, False, cuda)
    assert not use_float16(True, False, cpu)
    assert not use_float16(True, False, torch.device('meta'))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert not use_float16(True, False, cpu)  # bfloat16 switches nothing


@needs_cpu_fp16
def test_float16_decision_inside_cpu_float16_autocast():
    with torch.autocast('cpu', dtype=torch.float16):
        assert use_float16(True, False, torch.device('cpu'))
        assert not use_float16(True, True, torch.device('cpu'))
        assert not use_float16(False, False, torch.device('cpu'))


@needs_cpu_fp16
def test_generator_float16_blocks_on_cpu_autocast():
    G = _tiny_G()
    seen = _record_dtypes(G.synthesis.named_children())
    z = torch.randn(4, 16)
    ref = G(z, noise_mode='const')
    assert set(seen.values()) == {torch.float32}  # CPU default: float32
    with torch.autocast('cpu', dtype=torch.float16):
        out = G(z, noise_mode='const')
    # The 2 highest resolutions compute (and hand on features) in float16;
    # 4x4 and the image stay float32.
    assert seen == dict(b4=torch.float32, b8=torch.float16, b16=torch.float16)
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
    err = (out - ref).abs().max().item()
    assert 0 < err < 2e-2, err  # really float16, and close to float32
    # force_fp32 inside the region gives the float32 result exactly.
    with torch.autocast('cpu', dtype=torch.float16):
        forced = G.synthesis(G.mapping(z), noise_mode='const', force_fp32=True)
    assert torch.equal(forced, ref)


@needs_cpu_fp16
def test_generator_float16_backward_on_cpu_autocast():
    G = _tiny_G().train()
    z = torch.randn(4, 16)
    with torch.autocast('cpu', dtype=torch.float16):
        img = G(z)
    img.square().mean().backward()
    for name, p in G.named_parameters():
        assert p.grad is not None and p.grad.dtype == torch.float32, name
        assert torch.isfinite(p.grad).all(), name


@needs_cpu_fp16
def test_conv_clamp_bounds_float16_activations():
    G = _tiny_G()
    layer = G.synthesis.b16.conv1
    with torch.no_grad():
        layer.bias.fill_(1e4)  # far beyond conv_clamp (and float16 range/4)
    outs = []
    layer.register_forward_hook(lambda m, a, o: outs.append(o))
    with torch.autocast('cpu', dtype=torch.float16):
        img = G(torch.randn(2, 16), noise_mode='const')
    (act, ) = outs
    assert act.dtype == torch.float16
    # lrelu(x) * sqrt(2) clamped to +-conv_clamp: the bound is reached.
    assert act.abs().max().item() == 256.
    assert torch.isfinite(img).all()
    outs.clear()
    G(torch.randn(2, 16), noise_mode='const')  # float32: clamped the same
    assert outs[0].dtype == torch.float32
    assert outs[0].abs().max().item() == 256.


@needs_cpu_fp16
def test_discriminator_float16_blocks_and_r1_on_cpu_autocast():
    D = _tiny_D()
    seen = _record_dtypes(D.named_children())
    img = torch.randn(4, 3, 16, 16, requires_grad=True)
    ref = D(img)
    with torch.autocast('cpu', dtype=torch.float16):
        out = D(img)
    assert seen == dict(
        b16=torch.float16, b8=torch.float32, epilogue=torch.float32)
    assert out.dtype == torch.float32
    err = (out - ref).abs().max().item()
    assert 0 < err < 2e-2, err
    # R1 differentiates D's input gradient again (double backward in fp16).
    (grad, ) = torch.autograd.grad(out.sum(), img, create_graph=True)
    assert grad.dtype == torch.float32
    grad.square().sum().backward()
    w = D.b16.conv0.weight.grad
    assert w is not None and torch.isfinite(w).all() and w.abs().sum() > 0


def test_bfloat16_blocks_on_cpu_autocast():
    # Inside a CPU bfloat16 autocast the float16 blocks compute in bfloat16
    # (emulated on CPUs without AMX/AVX512-BF16: same numbers, slower); the
    # rest and the outputs stay float32.
    G, D = _tiny_G(), _tiny_D()
    seen_g = _record_dtypes(G.synthesis.named_children())
    seen_d = _record_dtypes(D.named_children())
    z = torch.randn(4, 16)
    ref_img = G(z, noise_mode='const')
    ref_logits = D(ref_img)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        img = G(z, noise_mode='const')
        logits = D(ref_img)
    bf16, fp32 = torch.bfloat16, torch.float32
    assert seen_g == dict(b4=fp32, b8=bf16, b16=bf16)
    assert seen_d == dict(b16=bf16, b8=fp32, epilogue=fp32)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        forced = G.synthesis(G.mapping(z), noise_mode='const', force_fp32=True)
    assert img.dtype == fp32 and logits.dtype == fp32
    # bfloat16 keeps 8 significant bits: errors of ~1e-2, not more.
    err = (img - ref_img).abs().max().item()
    assert 0 < err < 0.1 * ref_img.abs().max().item(), err
    err = (logits - ref_logits).abs().max().item()
    assert 0 < err < 0.1 * max(ref_logits.abs().max().item(), 1), err
    assert torch.equal(forced, ref_img)


def test_bfloat16_training_runs_regularisation_in_float32():
    from mmengine.optim import OptimWrapperDict
    from mmengine.registry import init_default_scope

    from mmgen_ada.engine.optimizers import GANAmpOptimWrapper
    from mmgen_ada.models import StyleGAN2
    init_default_scope('mmgen_ada')
    torch.manual_seed(0)
    fp16 = dict(channel_base=32, num_fp16_scales=1, conv_clamp=256)
    model = StyleGAN2(
        generator=dict(TINY_STYLEGAN2_G_CFG, **fp16),
        discriminator=dict(TINY_STYLEGAN2_D_CFG, **fp16),
        r1_interval=1,
        pl_interval=1,
        ema_config=dict(type='StyleGANEMA', ema_kimg=0.01, batch_size=2))
    wrappers = OptimWrapperDict(
        **{
            name: GANAmpOptimWrapper(
                optimizer=torch.optim.Adam(
                    getattr(model, name).parameters(), lr=1e-3),
                dtype='bfloat16',
                force_bf16=True)
            for name in ('generator', 'discriminator')
        })
    g_dtypes, d_dtypes = [], []
    model.generator.synthesis.b8.register_forward_hook(
        lambda m, a, out: g_dtypes.append(out[0].dtype))
    model.discriminator.b8.register_forward_hook(
        lambda m, a, out: d_dtypes.append(out.dtype))
    data = dict(inputs=torch.randint(0, 256, (2, 3, 8, 8), dtype=torch.uint8))
    log = model.train_step(data, wrappers)
    bf16, fp32 = torch.bfloat16, torch.float32
    # G: Gmain, Greg (float32), Dmain's fakes; D: Gmain, Dmain fake and
    # real, Dreg (float32).
    assert g_dtypes == [bf16, fp32, bf16]
    assert d_dtypes == [bf16, bf16, bf16, fp32]
    for key in ('loss_G', 'loss_G_pl', 'loss_D', 'loss_D_r1'):
        assert torch.isfinite(log[key]), key
    for p in model.parameters():
        assert p.dtype == fp32 and torch.isfinite(p).all()


@pytest.mark.skipif(
    cpu_has_fast_bfloat16(), reason='this CPU computes bfloat16 natively')
def test_amp_wrapper_refuses_emulated_bfloat16():
    from mmgen_ada.engine.optimizers import GANAmpOptimWrapper
    param = torch.nn.Parameter(torch.zeros(2))
    with pytest.raises(RuntimeError, match='AVX512-BF16.*force_bf16'):
        GANAmpOptimWrapper(
            optimizer=torch.optim.SGD([param], lr=0.1), dtype='bfloat16')
    GANAmpOptimWrapper(
        optimizer=torch.optim.SGD([param], lr=0.1), dtype='float16')


@pytest.mark.skipif(
    not cpu_has_fast_bfloat16(), reason='this CPU emulates bfloat16')
def test_amp_wrapper_accepts_native_bfloat16():
    from mmgen_ada.engine.optimizers import GANAmpOptimWrapper
    param = torch.nn.Parameter(torch.zeros(2))
    wrapper = GANAmpOptimWrapper(
        optimizer=torch.optim.SGD([param], lr=0.1), dtype='bfloat16')
    assert wrapper.cast_dtype == torch.bfloat16


def _tiny_sg3():
    torch.manual_seed(0)
    return StyleGANv3Generator(
        out_size=16,
        style_channels=8,
        noise_size=8,
        synthesis_cfg=dict(
            channel_base=128, channel_max=8, num_layers=4,
            num_fp16_res=1)).eval()


@needs_cpu_fp16
def test_stylegan3_float16_layers_on_cpu_autocast():
    G = _tiny_sg3()
    names = G.synthesis.layer_names
    # At 16x16 every layer's sampling rate is above 16 / 2**1; keep float16
    # in the first layers only, so both kinds are present.
    for name in names[-2:]:
        getattr(G.synthesis, name).use_fp16 = False
    fp16 = [n for n in names if getattr(G.synthesis, n).use_fp16]
    assert fp16 and len(fp16) < len(names)
    seen = _record_dtypes((n, getattr(G.synthesis, n)) for n in names)
    z = torch.randn(2, 8)
    ref = G(z)
    assert set(seen.values()) == {torch.float32}
    with torch.autocast('cpu', dtype=torch.float16):
        out = G(z)
    assert {n for n, d in seen.items() if d == torch.float16} == set(fp16)
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
    err = (out - ref).abs().max().item()
    assert 0 < err < 5e-2, err
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert torch.equal(G(z), ref)
