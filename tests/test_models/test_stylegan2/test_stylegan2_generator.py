# Copyright (c) mmgen-ada contributors. All rights reserved.
import pytest
import torch

from mmgen_ada.models.stylegan2 import StyleGANv2Generator
from mmgen_ada.registry import MODELS


def _tiny(**kwargs):
    cfg = dict(
        out_size=16,
        style_channels=16,
        num_mlps=2,
        channel_base=128,
        channel_max=16)
    cfg.update(kwargs)
    return StyleGANv2Generator(**cfg)


def _perturb(G, seed=0):
    """Nonzero biases and noise strengths (both are zero at init)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in G.named_parameters():
            if name.endswith(('bias', 'noise_strength')):
                p.add_(0.2 * torch.randn(p.shape, generator=gen))
    return G


def test_build_from_registry_and_shapes():
    G = MODELS.build(
        dict(
            type='StyleGANv2Generator',
            out_size=16,
            style_channels=16,
            num_mlps=2,
            channel_base=128,
            channel_max=16))
    assert isinstance(G, StyleGANv2Generator)
    assert G.num_ws == 2 * 4 - 2 == 6
    assert (G.noise_size, G.style_channels, G.out_channels) == (16, 16, 3)
    assert G.cond_size == 0 and G.w_avg.shape == (16, )
    torch.manual_seed(0)
    img = G(torch.randn(2, 16))
    assert img.shape == (2, 3, 16, 16) and img.dtype == torch.float32
    assert torch.isfinite(img).all()
    # NVlabs layout: 8 layers of 512 channels at 1024x1024 with defaults.
    big = StyleGANv2Generator(1024)
    assert big.num_ws == 18
    assert big.synthesis.b1024.conv1.weight.shape == (32, 32, 3, 3)
    assert big.synthesis.b64.conv0.weight.shape == (512, 512, 3, 3)
    assert sum(1 for n in big.mapping.state_dict()
               if n.endswith('weight')) == 8


def test_mmagic_style_channel_multiplier_and_grayscale():
    G = StyleGANv2Generator(
        128,
        style_channels=8,
        num_mlps=1,
        channel_multiplier=1,
        out_channels=1,
        noise_size=4)
    # MMagic table: 512 up to 32, then 256 * cm at 64 and 128 * cm at 128.
    assert G.synthesis.b32.conv1.weight.shape[0] == 512
    assert G.synthesis.b64.conv1.weight.shape[0] == 256
    assert G.synthesis.b128.conv1.weight.shape[0] == 128
    assert G.synthesis.b128.torgb.weight.shape == (1, 128, 1, 1)
    assert G.mapping.fc0.weight.shape == (8, 4)
    gray = _tiny(out_channels=1, noise_size=8)
    assert gray(torch.randn(3, 8)).shape == (3, 1, 16, 16)


def test_mapping_and_synthesis_compose_to_forward():
    torch.manual_seed(0)
    G = _perturb(_tiny()).eval()
    z = torch.randn(3, 16)
    ws = G.mapping(z)
    assert ws.shape == (3, G.num_ws, 16)
    # One w broadcast to all layers.
    assert torch.equal(ws, ws[:, :1].expand_as(ws))
    torch.testing.assert_close(
        G(z, noise_mode='const'), G.synthesis(ws, noise_mode='const'))


def test_noise_modes():
    torch.manual_seed(0)
    G = _perturb(_tiny()).eval()
    z = torch.randn(2, 16)
    const1 = G(z, noise_mode='const')
    const2 = G(z, noise_mode='const')
    assert torch.equal(const1, const2)
    none = G(z, noise_mode='none')
    assert not torch.allclose(const1, none, atol=1e-4)
    rand1 = G(z, noise_mode='random')
    rand2 = G(z, noise_mode='random')
    assert not torch.allclose(rand1, rand2, atol=1e-4)
    # With zero noise strength, every mode agrees.
    with torch.no_grad():
        for name, p in G.named_parameters():
            if name.endswith('noise_strength'):
                p.zero_()
    torch.testing.assert_close(
        G(z, noise_mode='random'), G(z, noise_mode='none'))
    with pytest.raises(ValueError, match="'gaussian'"):
        G(z, noise_mode='gaussian')


def test_truncation():
    torch.manual_seed(0)
    G = _perturb(_tiny()).eval()
    with torch.no_grad():
        G.w_avg.copy_(torch.randn(16))
    z = torch.randn(3, 16)
    ws = G.mapping(z)
    # psi = 0: every sample is the w_avg image.
    img0 = G(z, truncation_psi=0, noise_mode='const')
    w_avg_ws = G.w_avg.expand(1, G.num_ws, 16)
    ref = G.synthesis(w_avg_ws, noise_mode='const').expand(3, -1, -1, -1)
    torch.testing.assert_close(img0, ref)
    # psi = 0.5, cutoff 2: first two styles halfway to w_avg, rest intact.
    ws_t = G.mapping(z, truncation_psi=0.5, truncation_cutoff=2)
    torch.testing.assert_close(ws_t[:, :2], (ws[:, :2] + G.w_avg) / 2)
    torch.testing.assert_close(ws_t[:, 2:], ws[:, 2:])


def test_w_avg_update_only_when_asked():
    torch.manual_seed(0)
    G = _tiny(w_avg_beta=0.9).train()
    z = torch.randn(5, 16)
    G(z)
    G.mapping(z)
    assert torch.equal(G.w_avg, torch.zeros(16))
    old = torch.randn(16)
    with torch.no_grad():
        G.w_avg.copy_(old)
    ws = G.mapping(z, update_w_avg=True)
    expected = 0.9 * old + 0.1 * ws[:, 0].detach().mean(dim=0)
    torch.testing.assert_close(G.w_avg, expected)
    assert not G.w_avg.requires_grad


def test_mix_styles():
    torch.manual_seed(0)
    G = _tiny(mix_prob=1.0).eval()
    z = torch.randn(4, 16)
    ws = G.mapping(z)
    cutoffs = set()
    for _ in range(40):
        mixed = G.mix_styles(ws)
        assert mixed.shape == ws.shape
        same = (mixed == ws).all(dim=2).all(dim=0)  # per layer
        cutoff = int(same.float().argmin())
        # A prefix of layers is kept, the rest is replaced.
        assert 1 <= cutoff < G.num_ws
        assert same[:cutoff].all() and not same[cutoff:].any()
        # The replaced layers carry one new w per sample (a mapped z2).
        new = mixed[:, cutoff:]
        assert torch.equal(new, new[:, :1].expand_as(new))
        cutoffs.add(cutoff)
    assert cutoffs == set(range(1, G.num_ws))
    assert torch.equal(G.mapping(z), ws)  # input untouched, no w_avg update
    assert torch.equal(G.w_avg, torch.zeros(16))

    never = _tiny(mix_prob=0.)
    assert never.mix_styles(ws) is ws
    # One Bernoulli(mix_prob) draw per batch: about 90% of batches mix.
    usual = _tiny(mix_prob=0.9)
    n_mixed = sum(not torch.equal(usual.mix_styles(ws), ws)
                  for _ in range(400))
    assert 0.85 * 400 < n_mixed < 0.95 * 400


def test_conditional_generator():
    torch.manual_seed(0)
    G = _tiny(cond_size=3).eval()
    z = torch.randn(2, 16)
    c1 = torch.eye(3)[:2]
    c2 = torch.eye(3)[1:]
    assert G.mapping.embed.weight.shape == (16, 3)
    assert G.mapping.fc0.weight.shape == (16, 32)
    assert not torch.allclose(G.mapping(z, c1), G.mapping(z, c2))
    assert G(z, c1).shape == (2, 3, 16, 16)
    mixed = _tiny(cond_size=3, mix_prob=1.).mix_styles(G.mapping(z, c1), c1)
    assert mixed.shape == (2, G.num_ws, 16)
    with pytest.raises(ValueError, match=r'c must be \(N, 3\)'):
        G(z)
    with pytest.raises(ValueError, match='unconditional'):
        _tiny()(z, c1)
    # (N, 0) labels are accepted by unconditional generators.
    assert _tiny()(z, torch.zeros(2, 0)).shape == (2, 3, 16, 16)


def test_train_mode_equals_eval_mode():
    # Train mode runs the non-fused modulated conv; same maths.
    torch.manual_seed(0)
    G = _perturb(_tiny())
    z = torch.randn(3, 16)
    out_eval = G.eval()(z, noise_mode='const')
    out_train = G.train()(z, noise_mode='const')
    torch.testing.assert_close(out_train, out_eval, atol=1e-5, rtol=1e-5)


def test_gradients_reach_all_parameters():
    torch.manual_seed(0)
    G = _tiny(cond_size=2).train()
    img = G(torch.randn(2, 16), torch.eye(2), noise_mode='random')
    img.square().sum().backward()
    for name, p in G.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name


def test_fp16_scales_stay_fp32_on_cpu():
    torch.manual_seed(0)
    G = _tiny(num_fp16_scales=2, conv_clamp=256).eval()
    assert G.synthesis.b16.use_fp16 and G.synthesis.b8.use_fp16
    assert not G.synthesis.b4.use_fp16
    G32 = _tiny(conv_clamp=256).eval()
    G32.load_state_dict(G.state_dict())
    z = torch.randn(2, 16)
    out = G(z, noise_mode='const')
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, G32(z, noise_mode='const'))


def test_conv_clamp_bounds_layer_outputs():
    torch.manual_seed(0)
    G = _perturb(_tiny(conv_clamp=0.05)).eval()
    outputs = []
    hooks = [
        m.register_forward_hook(lambda m, i, o: outputs.append(o))
        for n, m in G.named_modules() if n.endswith(('conv0', 'conv1'))
    ]
    G(torch.randn(2, 16), noise_mode='const')
    for h in hooks:
        h.remove()
    assert len(outputs) == 5
    assert all(o.abs().max() <= 0.05 + 1e-7 for o in outputs)
    assert max(o.abs().max() for o in outputs) > 0.04


@pytest.mark.parametrize('kwargs,match', [
    (dict(out_size=48), 'out_size must be a power of two'),
    (dict(out_size=2), 'out_size must be a power of two'),
    (dict(out_size=(16, 24)), 'out_size must be a power of two'),
    (dict(out_size=(4, 32)), r'out_size=\(4, 32\): the aspect ratio 8:1'),
    (dict(mix_prob=1.5), 'mix_prob'),
    (dict(num_mlps=0), 'num_mlps'),
    (dict(cond_size=-1), 'cond_size'),
    (dict(w_avg_beta=2.), 'w_avg_beta'),
    (dict(channel_multiplier=0), 'channel_multiplier'),
    (dict(conv_clamp=0), 'conv_clamp'),
])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _tiny(**kwargs)


def test_unknown_argument_and_bad_inputs():
    with pytest.raises(TypeError, match='blur_kernels'):
        _tiny(blur_kernels=[1, 3, 3, 1])
    G = _tiny()
    with pytest.raises(ValueError, match=r'z must be \(N, 16\)'):
        G(torch.randn(2, 8))
    with pytest.raises(ValueError, match=r'ws must be \(N, 6, 16\)'):
        G.synthesis(torch.randn(2, 5, 16))


def test_gradcheck_tiny_generator():
    # Analytic gradients w.r.t. the styles (modulation, demodulation,
    # transposed conv + FIR upsampling, skip ToRGB) vs finite differences.
    torch.manual_seed(0)
    G = _perturb(
        _tiny(out_size=8, style_channels=4, channel_base=16,
              channel_max=4)).double().eval()
    ws = torch.randn(2, G.num_ws, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda w: G.synthesis(w, noise_mode='const'), (ws, ),
        eps=1e-6,
        atol=1e-6,
        fast_mode=True)
    z = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda z: G.mapping(z), (z, ), eps=1e-6, atol=1e-6, fast_mode=True)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_fp16_scales_on_cuda():
    torch.manual_seed(0)
    G = _perturb(_tiny(num_fp16_scales=2, conv_clamp=256)).cuda().eval()
    z = torch.randn(4, 16, device='cuda')
    out16 = G(z, noise_mode='const')
    out32 = G.synthesis(G.mapping(z), noise_mode='const', force_fp32=True)
    assert out16.dtype == torch.float32
    torch.testing.assert_close(out16, out32, atol=2e-2, rtol=2e-2)
    G.train()
    G(z).square().mean().backward()
    assert all(torch.isfinite(p.grad).all() for p in G.parameters())


def _transposed_state(module, fc_hw=None):
    """State dict of ``module`` for the transposed size: spatial tensors
    (4-D conv weights, ``const`` (C, H, W), ``noise_const`` (H, W)) have
    their last two axes swapped; ``fc_hw=(h, w)`` also reorders the
    columns of ``epilogue.fc.weight``, which flattens a (C, h, w) map."""
    state = {}
    for name, t in module.state_dict().items():
        if name.endswith('noise_const') or name.endswith('.const') or (
                name.endswith('weight') and t.ndim == 4):
            t = t.transpose(-1, -2).contiguous()
        if fc_hw is not None and name == 'epilogue.fc.weight':
            h, w = fc_hw
            t = t.reshape(t.shape[0], -1, h, w).transpose(-1, -2)
            t = t.reshape(t.shape[0], -1)
        state[name] = t
    return state


@pytest.mark.parametrize('hw', [(16, 32), (32, 16), (8, 32)])
def test_rectangular_generator_shapes(hw):
    h, w = hw
    G = _tiny(out_size=hw)
    square = _tiny(out_size=min(hw))
    assert (G.out_size, G.out_hw) == (hw, hw)
    assert G.num_ws == square.num_ws
    assert G.synthesis.block_resolutions == square.synthesis.block_resolutions
    short = min(hw)
    for name, t in G.state_dict().items():
        ref = square.state_dict()[name].shape
        if name.endswith(('const', 'noise_const')):
            # Both sides of the square's map scaled to the aspect ratio.
            assert t.shape[-2:] == (ref[-2] * h // short, ref[-1] * w // short)
        else:
            assert t.shape == ref, name
    assert tuple(G.synthesis.b4.const.shape[1:]) == (4 * h // short,
                                                     4 * w // short)
    z = torch.randn(3, 16)
    for noise_mode in ('random', 'const', 'none'):
        assert G(z, noise_mode=noise_mode).shape == (3, 3, h, w)
    assert G(z, truncation_psi=0.5, truncation_cutoff=2).shape == (3, 3, h, w)
    ws = G.mix_styles(G.mapping(z))
    assert G.synthesis(ws).shape == (3, 3, h, w)
    fp16 = _tiny(out_size=hw, num_fp16_scales=2, conv_clamp=256.)
    with torch.autocast('cpu', dtype=torch.float16):
        img = fp16(z)
    assert img.shape == (3, 3, h, w) and img.dtype == torch.float32


def test_rectangular_generator_is_the_transpose_of_its_transpose():
    # With every spatial tensor transposed, a (32, 16) generator computes
    # the transpose of the (16, 32) one's images: a check, independent of
    # the implementation, that no layer mixes up height and width.
    torch.manual_seed(0)
    wide = _perturb(_tiny(out_size=(16, 32)))
    tall = _tiny(out_size=(32, 16))
    tall.load_state_dict(_transposed_state(wide))
    z = torch.randn(2, 16)
    a = wide(z, noise_mode='const')
    b = tall(z, noise_mode='const')
    assert a.shape == (2, 3, 16, 32)
    torch.testing.assert_close(b, a.transpose(-1, -2), atol=1e-5, rtol=1e-5)
    # Not a trivial symmetry: the image itself is far from symmetric.
    assert (a[..., :16] - a[..., 16:]).abs().max() > 0.1
