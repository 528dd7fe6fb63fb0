# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The ADA augmentation pipeline (Karras et al. 2020, Sec. 2.3 and App. B).

Every op ``o`` is applied to each sample independently with probability
``multiplier_o * p``, where ``p`` is the global augmentation strength that
the ADA controller adapts. The ops, in order:

* pixel blitting: ``xflip``, ``rotate90``, ``xint``;
* general geometric: ``scale``, ``rotate`` (pre- and post-rotation around
  ``aniso``), ``aniso``, ``xfrac``;
* colour: ``brightness``, ``contrast``, ``lumaflip``, ``hue``,
  ``saturation``;
* image-space filtering: ``imgfilter``;
* corruptions: ``noise``, ``cutout``.

The general geometric ops are composed into one inverse homogeneous matrix
per sample and executed by one wavelet-filtered resampling; the blitting ops
are executed exactly as pixel copies before it (the reference code resamples
them too). All colour ops compose into one 4x4 colour matrix.

Non-square images (``H != W``) follow the reference code's pixel-space
geometry: every transform acts on pixel coordinates about the image centre,
and translations and cutout are measured in each axis's own size (``x`` in
units of ``W``, ``y`` in units of ``H``). A single quarter turn of a
``H x W`` image is no pixel permutation: it is resampled into the same
``H x W`` frame (the turned content is cropped along one axis and the other
is filled from the mirror padding), together with the integer translation
drawn after it; flips, half turns and the other translations stay exact
pixel copies.
"""
import math
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from mmgen_ada.ops import setup_filter
from mmgen_ada.registry import MODELS
from .augment_filters import IMGFILTER_EXPECTED_POWER, SYM6, band_filter_bank
from .augment_matrices import (LUMA_AXIS, rotate2d, rotate2d_quarter, rotate3d,
                               scale2d, scale3d, translate2d, translate3d)
from .augment_presets import (BLIT_OPS, COLOR_OPS, CUTOUT_OPS, FILTER_OPS,
                              GEOM_OPS, NOISE_OPS)
from .augment_transforms import (apply_band_filter, apply_blit, apply_color,
                                 apply_cutout, resample_geometric)


@dataclass
class AugmentParams:
    """Per-sample parameters drawn by :meth:`AugmentPipe.sample_params`.

    Ops that are disabled (multiplier 0) or not drawn hold identity values.

    Attributes:
        blit_inv (Tensor): ``(N, 3, 3)`` inverse pixel-blitting transform
            (integer entries): output pixel ``(x, y, 1)`` relative to the
            image centre -> input pixel. Executed first, exactly.
        geom_inv (Tensor): ``(N, 3, 3)`` inverse general geometric
            transform, same convention, resampled after the blit. For
            non-square images it also holds an odd quarter turn and the
            integer translation after it (``blit_inv`` then holds the
            x-flip and the half turn).
        color (Tensor): ``(N, 4, 4)`` colour transform acting on
            ``(r, g, b, 1)``.
        filter_gains (Tensor): ``(N, num_bands)`` imgfilter band gains.
        noise_sigma (Tensor): ``(N,)`` std of the additive noise (>= 0).
        cutout_size (Tensor): ``(N,)`` cutout side relative to the image
            width (x) and height (y) (0 = no cutout).
        cutout_center (Tensor): ``(N, 2)`` cutout centre ``(x, y)`` in
            ``[0, 1]``, in units of the width and the height.
        blit_active, geom_active, color_active, filter_active,
        noise_active, cutout_active (Tensor): ``(N,)`` bool, the stage's
            drawn transform differs from the identity for that sample.
        applied (dict[str, Tensor]): For every enabled op, the bool draw
            "apply this op", ``(N,)``; ``True`` with probability
            ``multiplier * p`` (for ``rotate``: pre- or post-rotation).
            ``applied['imgfilter']`` is ``(N, num_bands)``, one draw per band.
            With ``debug_percentile`` every enabled op is applied.
        image_size (tuple[int, int], optional): ``(H, W)`` the parameters
            were drawn for (translations are in its pixels, and whether the
            blits are copied or resampled depends on it); None skips the
            check in :meth:`AugmentPipe.apply_params`.
    """
    blit_inv: torch.Tensor
    geom_inv: torch.Tensor
    color: torch.Tensor
    filter_gains: torch.Tensor
    noise_sigma: torch.Tensor
    cutout_size: torch.Tensor
    cutout_center: torch.Tensor
    blit_active: torch.Tensor
    geom_active: torch.Tensor
    color_active: torch.Tensor
    filter_active: torch.Tensor
    noise_active: torch.Tensor
    cutout_active: torch.Tensor
    applied: Dict[str, torch.Tensor] = field(default_factory=dict)
    image_size: Optional[Tuple[int, int]] = None


class _Sampler:
    """Random draws of one :meth:`AugmentPipe.sample_params` call.

    With ``percentile`` set, every draw returns that percentile instead
    (following the reference implementation: normal draws become
    ``erfinv(2q - 1)``, half-normal ones ``erfinv(q)``) and every op is
    applied.
    """

    def __init__(self, batch_size: int, device: torch.device,
                 percentile: Optional[float]):
        self.n = batch_size
        self.device = device
        self.q = percentile

    def _full(self, value: float, width: int) -> torch.Tensor:
        shape = (self.n, ) if width == 1 else (self.n, width)
        return torch.full(shape, value, device=self.device)

    def uniform(self, width: int = 1) -> torch.Tensor:
        """U[0, 1) draws, ``(N,)`` or ``(N, width)``."""
        if self.q is not None:
            return self._full(self.q, width)
        shape = (self.n, ) if width == 1 else (self.n, width)
        return torch.rand(shape, device=self.device)

    def normal(self, width: int = 1) -> torch.Tensor:
        """N(0, 1) draws, ``(N,)`` or ``(N, width)``."""
        if self.q is not None:
            return self._full(_erfinv(2 * self.q - 1), width)
        shape = (self.n, ) if width == 1 else (self.n, width)
        return torch.randn(shape, device=self.device)

    def half_normal(self) -> torch.Tensor:
        """|N(0, 1)| draws, ``(N,)``."""
        if self.q is not None:
            return self._full(_erfinv(self.q), 1)
        return torch.randn(self.n, device=self.device).abs()

    def gate(self, prob: torch.Tensor) -> torch.Tensor:
        """Bool ``(N,)``: True with probability ``prob`` (a 0-d tensor)."""
        if self.q is not None:
            return torch.ones(self.n, dtype=torch.bool, device=self.device)
        return torch.rand(self.n, device=self.device) < prob


def _erfinv(value: float) -> float:
    return float(torch.erfinv(torch.tensor(value, dtype=torch.float64)))


@MODELS.register_module()
class AugmentPipe(nn.Module):
    """Adaptive discriminator augmentation pipeline.

    Each op is applied per sample with probability ``multiplier * p``; all
    multipliers default to 0 (op disabled). ``p`` is a buffer (initially 1,
    as in the reference code; :class:`ADAAug` sets and adapts it), so it is
    saved in checkpoints. The output is differentiable with respect to the
    input images to any order.

    Args:
        xflip (float): Multiplier for a random x-flip (flip with chance 1/2
            when applied). Defaults to 0.
        rotate90 (float): Multiplier for a rotation by a uniform multiple of
            90 degrees. Defaults to 0.
        xint (float): Multiplier for an integer translation, uniform in
            ``[-xint_max, xint_max]`` of the image width along x and of its
            height along y, rounded to whole pixels. Defaults to 0.
        xint_max (float): Range of integer translation. Defaults to 0.125.
        scale (float): Multiplier for isotropic scaling by
            ``2 ** N(0, scale_std^2)``. Defaults to 0.
        rotate (float): Multiplier for an arbitrary rotation, uniform in
            ``[-rotate_max, rotate_max]`` full turns. It is split into a
            pre- and a post-rotation around the anisotropic scaling, each
            drawn with ``1 - sqrt(1 - rotate * p)`` so that P(any rotation)
            is ``rotate * p``. Defaults to 0.
        aniso (float): Multiplier for anisotropic scaling by
            ``(s, 1 / s)``, ``s = 2 ** N(0, aniso_std^2)``. Defaults to 0.
        xfrac (float): Multiplier for a fractional translation by
            ``N(0, xfrac_std^2)`` of the image width along x and of its
            height along y. Defaults to 0.
        scale_std (float): Log2 std of isotropic scaling. Defaults to 0.2.
        rotate_max (float): Range of arbitrary rotation, 1 = full circle.
            Defaults to 1.
        aniso_std (float): Log2 std of anisotropic scaling. Defaults to 0.2.
        xfrac_std (float): Std of fractional translation, relative to the
            image width (x) and height (y). Defaults to 0.125.
        brightness (float): Multiplier for adding ``N(0, brightness_std^2)``
            to every channel. Defaults to 0.
        contrast (float): Multiplier for scaling colours by
            ``2 ** N(0, contrast_std^2)``. Defaults to 0.
        lumaflip (float): Multiplier for reflecting colours through the
            plane orthogonal to the luma axis (with chance 1/2 when applied).
            Defaults to 0.
        hue (float): Multiplier for a rotation about the luma axis, uniform
            in ``[-hue_max, hue_max]`` full turns (RGB only). Defaults to 0.
        saturation (float): Multiplier for scaling the chroma (the colour
            component orthogonal to the luma axis) by
            ``2 ** N(0, saturation_std^2)`` (RGB only). Defaults to 0.
        brightness_std (float): Std of brightness. Defaults to 0.2.
        contrast_std (float): Log2 std of contrast. Defaults to 0.5.
        hue_max (float): Range of hue rotation, 1 = full circle. Defaults
            to 1.
        saturation_std (float): Log2 std of saturation. Defaults to 1.
        imgfilter (float): Multiplier for amplifying / attenuating the 4
            frequency bands by ``2 ** N(0, imgfilter_std^2)`` each, with
            gains normalised to keep the expected image power. Defaults to 0.
        imgfilter_bands (Sequence[float]): Per-band multipliers, lowest band
            first. Defaults to ``(1, 1, 1, 1)``.
        imgfilter_std (float): Log2 std of band amplification. Defaults
            to 1.
        noise (float): Multiplier for additive Gaussian noise whose std is
            drawn per sample from ``|N(0, noise_std^2)|``. Defaults to 0.
        cutout (float): Multiplier for zeroing a rectangle of
            ``cutout_size * W`` by ``cutout_size * H`` pixels (a square on
            square images) at a uniform random centre. Defaults to 0.
        noise_std (float): Scale of the noise std. Defaults to 0.1.
        cutout_size (float): Cutout side, relative to the image width (x)
            and height (y). Defaults to 0.5.
        skip_identity (bool): Run each stage (blit, resampling, colour,
            filter, noise, cutout) only on the samples whose drawn transform
            for that stage is not the identity, so the cost grows with ``p``
            and at ``p = 0`` the input tensor itself is returned. False
            sends every sample through every enabled stage, like the
            reference code (same results up to float rounding). Defaults to
            True.
    """

    def __init__(self,
                 xflip: float = 0.,
                 rotate90: float = 0.,
                 xint: float = 0.,
                 xint_max: float = 0.125,
                 scale: float = 0.,
                 rotate: float = 0.,
                 aniso: float = 0.,
                 xfrac: float = 0.,
                 scale_std: float = 0.2,
                 rotate_max: float = 1.,
                 aniso_std: float = 0.2,
                 xfrac_std: float = 0.125,
                 brightness: float = 0.,
                 contrast: float = 0.,
                 lumaflip: float = 0.,
                 hue: float = 0.,
                 saturation: float = 0.,
                 brightness_std: float = 0.2,
                 contrast_std: float = 0.5,
                 hue_max: float = 1.,
                 saturation_std: float = 1.,
                 imgfilter: float = 0.,
                 imgfilter_bands: Sequence[float] = (1., 1., 1., 1.),
                 imgfilter_std: float = 1.,
                 noise: float = 0.,
                 cutout: float = 0.,
                 noise_std: float = 0.1,
                 cutout_size: float = 0.5,
                 skip_identity: bool = True) -> None:
        super().__init__()
        values = dict(
            xflip=xflip,
            rotate90=rotate90,
            xint=xint,
            xint_max=xint_max,
            scale=scale,
            rotate=rotate,
            aniso=aniso,
            xfrac=xfrac,
            scale_std=scale_std,
            rotate_max=rotate_max,
            aniso_std=aniso_std,
            xfrac_std=xfrac_std,
            brightness=brightness,
            contrast=contrast,
            lumaflip=lumaflip,
            hue=hue,
            saturation=saturation,
            brightness_std=brightness_std,
            contrast_std=contrast_std,
            hue_max=hue_max,
            saturation_std=saturation_std,
            imgfilter=imgfilter,
            imgfilter_std=imgfilter_std,
            noise=noise,
            cutout=cutout,
            noise_std=noise_std,
            cutout_size=cutout_size)
        for name, value in values.items():
            if (isinstance(value, bool) or not isinstance(value, (int, float))
                    or not math.isfinite(value) or value < 0):
                raise ValueError(f'AugmentPipe argument {name} must be a '
                                 f'finite number >= 0, got {value!r}.')
            setattr(self, name, float(value))
        if not isinstance(skip_identity, bool):
            raise TypeError('skip_identity must be a bool, got '
                            f'{skip_identity!r}.')
        self.skip_identity = skip_identity

        # p: overall strength; a buffer so that checkpoints carry it.
        self.register_buffer('p', torch.ones([]))
        # Orthogonal low-pass filter of the geometric resampling.
        self.register_buffer(
            'geom_filter', setup_filter(SYM6), persistent=False)
        # Octave filter bank of image-space filtering, lowest band first.
        bank = torch.as_tensor(band_filter_bank(), dtype=torch.float32)
        self.register_buffer('filter_bank', bank, persistent=False)
        self.register_buffer(
            'filter_expected_power',
            torch.tensor(IMGFILTER_EXPECTED_POWER, dtype=torch.float32),
            persistent=False)
        bands = [float(b) for b in imgfilter_bands]
        if len(bands) != bank.shape[0] or any(not math.isfinite(b) or b < 0
                                              for b in bands):
            raise ValueError(
                f'imgfilter_bands must hold {bank.shape[0]} finite numbers '
                f'>= 0 (one per band, lowest first), got {imgfilter_bands!r}.')
        self.imgfilter_bands = bands

    def extra_repr(self) -> str:
        enabled = [
            f'{op}={getattr(self, op):g}' for op in self.op_names()
            if getattr(self, op) > 0
        ]
        return (f'p={float(self.p):.4f}, ops=({", ".join(enabled)}), '
                f'skip_identity={self.skip_identity}')

    @staticmethod
    def op_names() -> tuple:
        """Names of all probability multipliers, in the order applied."""
        return (BLIT_OPS + GEOM_OPS + COLOR_OPS + FILTER_OPS + NOISE_OPS +
                CUTOUT_OPS)

    # ------------------------------------------------------------------
    # Drawing the parameters.
    # ------------------------------------------------------------------

    def sample_params(
            self,
            batch_size: int,
            num_channels: int,
            height: int,
            width: int,
            device: Optional[torch.device] = None,
            debug_percentile: Optional[float] = None) -> AugmentParams:
        """Draw the per-sample parameters of every op.

        Args:
            batch_size (int): ``N``.
            num_channels (int): ``C``; hue and saturation are only drawn
                for ``C > 1``.
            height (int): ``H`` in pixels (integer translations round to
                whole pixels).
            width (int): ``W`` in pixels.
            device (torch.device, optional): Defaults to the device of ``p``.
            debug_percentile (float, optional): In ``(0, 1)``. Replace every
                random draw by this percentile and apply every enabled op,
                for visualising an op at a given strength (see the module
                note of :class:`_Sampler`). Defaults to None.

        Returns:
            AugmentParams: The drawn parameters.
        """
        if debug_percentile is not None and not 0 < debug_percentile < 1:
            raise ValueError('debug_percentile must be in (0, 1), got '
                             f'{debug_percentile!r}.')
        device = self.p.device if device is None else torch.device(device)
        draw = _Sampler(batch_size, device, debug_percentile)
        p = self.p.to(device)
        applied = {}
        blit_inv, blit_active, geom_inv, geom_active = self._sample_geometric(
            draw, p, height, width, applied)
        color, color_active = self._sample_color(draw, p, num_channels,
                                                 applied)
        gains, filter_active = self._sample_filter(draw, p, applied)

        n = batch_size
        zeros = torch.zeros(n, device=device)
        sigma = zeros
        if self.noise > 0:
            gate = draw.gate(self.noise * p)
            sigma = torch.where(gate,
                                draw.half_normal() * self.noise_std, zeros)
            applied['noise'] = gate
        size, center = zeros, torch.full((n, 2), 0.5, device=device)
        if self.cutout > 0:
            gate = draw.gate(self.cutout * p)
            size = torch.where(gate, torch.full_like(zeros, self.cutout_size),
                               zeros)
            center = draw.uniform(2)
            applied['cutout'] = gate
        return AugmentParams(
            blit_inv=blit_inv,
            geom_inv=geom_inv,
            color=color,
            filter_gains=gains,
            noise_sigma=sigma,
            cutout_size=size,
            cutout_center=center,
            blit_active=blit_active,
            geom_active=geom_active,
            color_active=color_active,
            filter_active=filter_active,
            noise_active=sigma != 0,
            cutout_active=size != 0,
            applied=applied,
            image_size=(int(height), int(width)))

    def _sample_geometric(self, draw: _Sampler, p: torch.Tensor, height: int,
                          width: int, applied: dict) -> tuple:
        """Blitting and general geometric ops.

        Each op right-multiplies an inverse transform by its own inverse, so
        the forward transform applies the ops in the listed order. The
        blitting ops (integer-valued) are kept in their own matrix and later
        executed exactly by copying pixels, before the general ops are
        resampled. On non-square images an odd number of quarter turns is no
        pixel permutation; it and the integer translation after it are
        moved to the resampled matrix (:func:`_split_blits`).

        Returns:
            tuple: ``(blit_inv, blit_active, geom_inv, geom_active)``.
        """
        n, device = draw.n, draw.device
        zeros, ones = torch.zeros(
            n, device=device), torch.ones(
                n, device=device)
        eye = torch.eye(3, device=device).repeat(n, 1, 1)
        b_inv, g_inv = eye, eye
        b_active = torch.zeros(n, dtype=torch.bool, device=device)
        g_active = b_active
        flip_inv, quarter, shift_inv = eye, zeros, eye

        if self.xflip > 0:
            gate = draw.gate(self.xflip * p)
            flip = torch.where(gate, torch.floor(draw.uniform() * 2), zeros)
            flip_inv = scale2d(1 - 2 * flip, ones)  # self-inverse
            b_inv = b_inv @ flip_inv
            applied['xflip'], b_active = gate, b_active | (flip != 0)

        if self.rotate90 > 0:
            gate = draw.gate(self.rotate90 * p)
            quarter = torch.where(gate, torch.floor(draw.uniform() * 4), zeros)
            # Inverse of a turn by -k quarters is a turn by +k quarters.
            b_inv = b_inv @ rotate2d_quarter(quarter)
            applied['rotate90'], b_active = gate, b_active | (quarter != 0)

        if self.xint > 0:
            gate = draw.gate(self.xint * p)
            shift = (draw.uniform(2) * 2 - 1) * self.xint_max
            shift = torch.where(gate[:, None], shift, torch.zeros_like(shift))
            tx = torch.round(shift[:, 0] * width)
            ty = torch.round(shift[:, 1] * height)
            shift_inv = translate2d(-tx, -ty)
            b_inv = b_inv @ shift_inv
            applied['xint'] = gate
            b_active = b_active | (tx != 0) | (ty != 0)

        if height != width:
            b_inv, g_inv = _split_blits(flip_inv, quarter, shift_inv)
            b_active = (b_inv != eye).flatten(1).any(1)
            g_active = (g_inv != eye).flatten(1).any(1)

        if self.scale > 0:
            gate = draw.gate(self.scale * p)
            s = torch.where(gate, torch.exp2(draw.normal() * self.scale_std),
                            ones)
            g_inv = g_inv @ scale2d(1 / s, 1 / s)
            applied['scale'], g_active = gate, g_active | (s != 1)

        # P(pre or post) = 1 - (1 - p_rot)^2 = rotate * p.
        p_rot = 1 - torch.sqrt((1 - self.rotate * p).clamp(0, 1))
        if self.rotate > 0:
            gate_pre = draw.gate(p_rot)
            theta = (draw.uniform() * 2 - 1) * math.pi * self.rotate_max
            theta = torch.where(gate_pre, theta, zeros)
            g_inv = g_inv @ rotate2d(theta)  # inverse of rotating by -theta
            g_active = g_active | (theta != 0)

        if self.aniso > 0:
            gate = draw.gate(self.aniso * p)
            s = torch.where(gate, torch.exp2(draw.normal() * self.aniso_std),
                            ones)
            g_inv = g_inv @ scale2d(1 / s, s)
            applied['aniso'], g_active = gate, g_active | (s != 1)

        if self.rotate > 0:
            gate_post = draw.gate(p_rot)
            if draw.q is None:
                theta = (draw.uniform() * 2 - 1) * math.pi * self.rotate_max
                theta = torch.where(gate_post, theta, zeros)
            else:  # Debug view: one rotation of the given percentile.
                theta = zeros
            g_inv = g_inv @ rotate2d(theta)
            applied['rotate'] = gate_pre | gate_post
            g_active = g_active | (theta != 0)

        if self.xfrac > 0:
            gate = draw.gate(self.xfrac * p)
            shift = draw.normal(2) * self.xfrac_std
            shift = torch.where(gate[:, None], shift, torch.zeros_like(shift))
            g_inv = g_inv @ translate2d(-shift[:, 0] * width,
                                        -shift[:, 1] * height)
            applied['xfrac'] = gate
            g_active = g_active | (shift != 0).any(dim=1)
        return b_inv, b_active, g_inv, g_active

    def _sample_color(self, draw: _Sampler, p: torch.Tensor, num_channels: int,
                      applied: dict) -> tuple:
        """Colour ops -> ``(color, active)``; each op left-multiplies."""
        n, device = draw.n, draw.device
        zeros, ones = torch.zeros(
            n, device=device), torch.ones(
                n, device=device)
        eye = torch.eye(4, device=device)
        color = eye.repeat(n, 1, 1)
        active = torch.zeros(n, dtype=torch.bool, device=device)
        luma = torch.tensor(LUMA_AXIS, device=device)
        luma_proj = torch.outer(luma, luma)  # projection onto the luma axis

        if self.brightness > 0:
            gate = draw.gate(self.brightness * p)
            b = torch.where(gate, draw.normal() * self.brightness_std, zeros)
            color = translate3d(b, b, b) @ color
            applied['brightness'], active = gate, active | (b != 0)

        if self.contrast > 0:
            gate = draw.gate(self.contrast * p)
            c = torch.where(gate,
                            torch.exp2(draw.normal() * self.contrast_std),
                            ones)
            color = scale3d(c, c, c) @ color
            applied['contrast'], active = gate, active | (c != 1)

        if self.lumaflip > 0:
            gate = draw.gate(self.lumaflip * p)
            flip = torch.where(gate, torch.floor(draw.uniform() * 2), zeros)
            # Householder reflection through the plane orthogonal to luma.
            color = (eye - 2 * luma_proj * flip[:, None, None]) @ color
            applied['lumaflip'], active = gate, active | (flip != 0)

        if self.hue > 0 and num_channels > 1:
            gate = draw.gate(self.hue * p)
            theta = (draw.uniform() * 2 - 1) * math.pi * self.hue_max
            theta = torch.where(gate, theta, zeros)
            color = rotate3d(luma, theta) @ color
            applied['hue'], active = gate, active | (theta != 0)

        if self.saturation > 0 and num_channels > 1:
            gate = draw.gate(self.saturation * p)
            s = torch.where(gate,
                            torch.exp2(draw.normal() * self.saturation_std),
                            ones)
            color = (luma_proj + (eye - luma_proj) * s[:, None, None]) @ color
            applied['saturation'], active = gate, active | (s != 1)
        return color, active

    def _sample_filter(self, draw: _Sampler, p: torch.Tensor,
                       applied: dict) -> tuple:
        """imgfilter band gains ``(N, num_bands)`` and the active mask."""
        n, device = draw.n, draw.device
        num_bands = self.filter_bank.shape[0]
        gains = torch.ones(n, num_bands, device=device)
        active = torch.zeros(n, dtype=torch.bool, device=device)
        if self.imgfilter == 0:
            return gains, active
        power = self.filter_expected_power.to(device)
        gates = []
        for band, band_strength in enumerate(self.imgfilter_bands):
            if draw.q is not None:
                gate = torch.full((n, ), band_strength > 0, device=device)
            else:
                gate = draw.gate(self.imgfilter * p * band_strength)
            amp = torch.exp2(draw.normal() * self.imgfilter_std)
            amp = torch.where(gate, amp, torch.ones_like(amp))
            # Amplify one band, then renormalise the expected power to 1.
            t = torch.ones(n, num_bands, device=device)
            t[:, band] = amp
            t = t / (power * t.square()).sum(dim=1, keepdim=True).sqrt()
            gains = gains * t
            gates.append(gate)
            active = active | (amp != 1)
        applied['imgfilter'] = torch.stack(gates, dim=1)
        return gains, active

    # ------------------------------------------------------------------
    # Executing the parameters.
    # ------------------------------------------------------------------

    def forward(self,
                images: torch.Tensor,
                debug_percentile: Optional[float] = None) -> torch.Tensor:
        """Augment a batch.

        Args:
            images (Tensor): ``(N, C, H, W)`` float images, typically in
                ``[-1, 1]``; ``C`` must be 1 or 3 when colour ops are
                enabled, and ``H, W > 21`` when imgfilter is enabled.
            debug_percentile (float, optional): See :meth:`sample_params`.

        Returns:
            Tensor: ``(N, C, H, W)`` augmented images, differentiable with
            respect to ``images``.
        """
        if not isinstance(images, torch.Tensor) or images.ndim != 4:
            raise ValueError('AugmentPipe expects images of shape (N, C, H, '
                             f'W), got {_describe(images)}.')
        n, c, h, w = images.shape
        if (self.skip_identity and debug_percentile is None
                and float(self.p) == 0):
            return images  # no op can be drawn: skip even the draws
        params = self.sample_params(n, c, h, w, images.device,
                                    debug_percentile)
        return self.apply_params(images, params)

    def apply_params(self, images: torch.Tensor,
                     params: AugmentParams) -> torch.Tensor:
        """Execute drawn parameters (deterministic except for the noise).

        Args:
            images (Tensor): ``(N, C, H, W)``.
            params (AugmentParams): From :meth:`sample_params` for this
                batch size, channel count and image size.

        Returns:
            Tensor: ``(N, C, H, W)``.
        """
        num_channels, height, width = images.shape[1:]
        drawn_n = params.geom_inv.shape[0]
        if drawn_n != images.shape[0] or params.image_size not in (None,
                                                                   (height,
                                                                    width)):
            drawn = (f'{drawn_n} images' if params.image_size is None else
                     f'{drawn_n} images of {params.image_size[0]}x'
                     f'{params.image_size[1]} (HxW)')
            raise ValueError(
                f'AugmentParams were drawn for {drawn} but the batch holds '
                f'{images.shape[0]} images of {height}x{width}; draw them '
                f'with sample_params({images.shape[0]}, {num_channels}, '
                f'{height}, {width}).')
        blit_on = any(getattr(self, op) > 0 for op in BLIT_OPS)
        geom_on = any(getattr(self, op) > 0
                      for op in GEOM_OPS) or (self.rotate90 > 0
                                              and height != width)
        images = self._run_stage(images, blit_on, params.blit_active,
                                 apply_blit, params.blit_inv)
        images = self._run_stage(images, geom_on, params.geom_active,
                                 self._resample, params.geom_inv)
        color_on = any(
            getattr(self, op) > 0
            for op in ('brightness', 'contrast',
                       'lumaflip')) or (num_channels > 1 and
                                        (self.hue > 0 or self.saturation > 0))
        images = self._run_stage(images, color_on, params.color_active,
                                 apply_color, params.color)
        images = self._run_stage(images, self.imgfilter > 0,
                                 params.filter_active, self._band_filter,
                                 params.filter_gains)
        if self.noise > 0 and (not self.skip_identity
                               or bool(params.noise_active.any())):
            # Drawn for the whole batch in both modes so that they agree.
            noise = torch.randn_like(images)
            images = self._run_stage(images, True, params.noise_active,
                                     _add_noise, noise, params.noise_sigma)
        return self._run_stage(images, self.cutout > 0, params.cutout_active,
                               apply_cutout, params.cutout_size,
                               params.cutout_center)

    def _resample(self, images: torch.Tensor,
                  geom_inv: torch.Tensor) -> torch.Tensor:
        return resample_geometric(images, geom_inv, self.geom_filter)

    def _band_filter(self, images: torch.Tensor,
                     gains: torch.Tensor) -> torch.Tensor:
        return apply_band_filter(images, gains, self.filter_bank)

    def _run_stage(self, images: torch.Tensor, enabled: bool,
                   active: torch.Tensor, fn: Callable, *per_sample:
                   torch.Tensor) -> torch.Tensor:
        """Run ``fn(images, *per_sample)`` on the samples that need it.

        With ``skip_identity`` only the ``active`` samples are processed
        (and nothing at all if none is); otherwise every sample is
        processed when the stage is ``enabled``.
        """
        if not self.skip_identity:
            return fn(images, *per_sample) if enabled else images
        index = active.nonzero().squeeze(1)
        if index.numel() == 0:
            return images
        if index.numel() == images.shape[0]:
            return fn(images, *per_sample)
        out = fn(images[index], *(arg[index] for arg in per_sample))
        return images.index_copy(0, index, out)


def _split_blits(flip_inv: torch.Tensor, quarter: torch.Tensor,
                 shift_inv: torch.Tensor) -> tuple:
    """Split the blits of a non-square image into exact and resampled parts.

    The inverse blit is ``F R(k) T`` (x-flip, ``k`` quarter turns, integer
    translation). A flip, a half turn and an integer translation permute
    the pixels of an ``H x W`` image (mirroring at the borders), a single
    quarter turn does not: the turned image is ``W x H``. With
    ``R(k) = R(k - k % 2) R(k % 2)`` the exact part is ``F R(k - k % 2)``,
    plus ``T`` when ``k`` is even; the resampled part is ``R(1) T`` when
    ``k`` is odd, else the identity.

    Args:
        flip_inv (Tensor): ``(N, 3, 3)`` inverse x-flips.
        quarter (Tensor): ``(N,)`` quarter turns ``k`` (integer-valued).
        shift_inv (Tensor): ``(N, 3, 3)`` inverse integer translations.

    Returns:
        tuple: ``(blit_inv, geom_inv)``, both ``(N, 3, 3)``, whose product
        is ``F R(k) T``.
    """
    odd = torch.remainder(quarter, 2)
    resample = (odd != 0)[:, None, None]
    eye = torch.eye(3, device=quarter.device, dtype=shift_inv.dtype)
    blit_inv = flip_inv @ rotate2d_quarter(quarter - odd) @ torch.where(
        resample, eye, shift_inv)
    geom_inv = torch.where(resample, rotate2d_quarter(odd) @ shift_inv, eye)
    return blit_inv, geom_inv


def _add_noise(images: torch.Tensor, noise: torch.Tensor,
               sigma: torch.Tensor) -> torch.Tensor:
    return images + noise * sigma.to(images.dtype).reshape(-1, 1, 1, 1)


def _describe(obj) -> str:
    if isinstance(obj, torch.Tensor):
        return f'a tensor of shape {tuple(obj.shape)}'
    return f'{type(obj).__name__}'
