# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Equivariance metrics of StyleGAN3 (Karras et al. 2021, appendix E)."""
import math
from typing import Dict, List, Optional

import numpy as np
import torch
import torch.nn as nn

from mmgen_ada.registry import METRICS
from .equivariance_transforms import (fractional_pseudo_rotation,
                                      fractional_rotation,
                                      fractional_translate, integer_translate,
                                      rotation_matrix)
from .generator_metric import GeneratorMetric
from .mmagic_metric_args import sampling_from_kwargs

#: ``eq_cfg`` keys and defaults (MMagic's and NVlabs').
EQ_DEFAULTS = dict(
    compute_eqt_int=False,
    compute_eqt_frac=False,
    compute_eqr=False,
    translate_max=0.125,
    rotate_max=1.0)
#: eq_cfg switch -> result name (MMagic's keys).
EQ_RESULTS = (('compute_eqt_int', 'eqt_int'), ('compute_eqt_frac', 'eqt_frac'),
              ('compute_eqr', 'eqr'))


def psnr_db(sq_err_sum: float, mask_sum: float) -> float:
    """PSNR of images in [-1, 1] (peak-to-peak 2): ``20 log10(2) -
    10 log10(MSE)``, with ``MSE = sq_err_sum / mask_sum``; inf when 0."""
    if mask_sum <= 0:
        raise ValueError('Equivariance: no valid pixels (mask is empty); '
                         'lower translate_max.')
    mse = sq_err_sum / mask_sum
    if mse == 0:
        return math.inf
    return 20 * math.log10(2) - 10 * math.log10(mse)


@METRICS.register_module()
class Equivariance(GeneratorMetric):
    """EQ-T, EQ-T_frac and EQ-R of a StyleGAN3 generator, in dB.

    For each batch (one transform per batch, as the reference) w is mapped
    from fresh z, the reference image is synthesised with the identity input
    transform, and for each enabled metric:

    * EQ-T (``eqt_int``): a shift ``t`` drawn uniformly in
      ``[-translate_max, translate_max]^2`` image widths and rounded to whole
      pixels; the image synthesised with the input translated by ``t`` is
      compared with the reference shifted by ``t`` (E.1);
    * EQ-T_frac (``eqt_frac``): the same without rounding, the reference
      shifted by Lanczos-3 interpolation (E.2).

    * EQ-R (``eqr``): an angle uniform in ``[-rotate_max, rotate_max]``
      half turns; the image synthesised with the input rotated by it,
      filtered as that rotation would filter it (R*), is compared with the
      reference rotated by band-limited resampling (R, E.3).

    Only pixels that the transformed reference fully determines count (the
    masks of :mod:`equivariance_transforms`). The score is the PSNR of the
    squared error summed over all samples and valid pixels, peak-to-peak 2
    (:func:`psnr_db`); an exactly equivariant generator gives ``inf``.

    Results ``<prefix>/eqt_int``, ``<prefix>/eqt_frac``, ``<prefix>/eqr``;
    prefix 'EQ'.

    Args:
        fake_nums (int): Samples. Defaults to 50000.
        real_nums, fake_key, real_key, need_cond_input, collect_device,
        prefix, sample_model: See :class:`GeneratorMetric`. The order of
            the arguments is MMagic's (``sample_model`` comes last).
        sample_mode (str, optional): MMagic's name of ``sample_model`` in
            this metric. Defaults to None.
        sample_kwargs (dict, optional): MMagic's ``truncation`` (psi of the
            mapping, 1 by default); the noise keys are accepted and have no
            effect (StyleGAN3 has no noise inputs).
        eq_cfg (dict, optional): ``compute_eqt_int``, ``compute_eqt_frac``,
            ``compute_eqr`` (bools, default False; at least one True),
            ``translate_max`` (0.125), ``rotate_max`` (1, in half turns).
    """

    default_prefix = 'EQ'

    def __init__(self,
                 fake_nums: int = 50000,
                 real_nums: int = 0,
                 fake_key: Optional[str] = None,
                 real_key: Optional[str] = 'gt_img',
                 need_cond_input: Optional[bool] = None,
                 sample_mode: Optional[str] = None,
                 sample_kwargs: Optional[dict] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 eq_cfg: Optional[dict] = None,
                 sample_model: str = 'ema') -> None:
        if sample_mode is not None:
            if sample_model != 'ema' and sample_model != sample_mode:
                raise ValueError(f'Equivariance: sample_mode={sample_mode!r} '
                                 f'and sample_model={sample_model!r} '
                                 'disagree; give one of them.')
            sample_model = sample_mode
        super().__init__(
            fake_nums=fake_nums,
            real_nums=real_nums,
            sample_model=sample_model,
            collect_device=collect_device,
            prefix=prefix,
            fake_key=fake_key,
            real_key=real_key,
            need_cond_input=need_cond_input)
        cfg = dict(eq_cfg or {})
        unknown = sorted(set(cfg) - set(EQ_DEFAULTS))
        if unknown:
            raise KeyError(f'Equivariance: unknown eq_cfg keys {unknown}; '
                           f'valid keys are {sorted(EQ_DEFAULTS)}.')
        cfg = {**EQ_DEFAULTS, **cfg}
        self.enabled: List[str] = [
            name for key, name in EQ_RESULTS if cfg[key]
        ]
        if not self.enabled:
            raise ValueError(
                'Equivariance: eq_cfg enables no metric; set compute_eqt_int, '
                'compute_eqt_frac and/or compute_eqr to True.')
        if not 0 < cfg['translate_max'] < 0.5:
            raise ValueError('Equivariance: translate_max must be in (0, '
                             f"0.5), got {cfg['translate_max']!r}.")
        self.eq_cfg = cfg
        self.truncation_psi, _ = sampling_from_kwargs('Equivariance',
                                                      sample_kwargs)

    @staticmethod
    def _input_transform(net: nn.Module) -> torch.Tensor:
        transform = getattr(
            getattr(getattr(net, 'synthesis', None), 'input', None),
            'transform', None)
        if not isinstance(transform, torch.Tensor) or \
                transform.shape != (3, 3):
            raise TypeError(
                'Equivariance needs a StyleGAN3 generator (an input '
                'transform synthesis.input.transform of shape (3, 3)); '
                f'{type(net).__name__} has none.')
        return transform

    def _shift(self, device: torch.device, resolution: int,
               whole_pixels: bool) -> torch.Tensor:
        t = (torch.rand(2, device=device) * 2 - 1) * \
            self.eq_cfg['translate_max']
        if whole_pixels:
            t = (t * resolution).round() / resolution
        return t

    def _rotated(self, net: nn.Module, ws: torch.Tensor, ref: torch.Tensor,
                 transform: torch.Tensor) -> tuple:
        """EQ-R's (target, compared image, mask) for a random angle.

        The input is rotated by ``-angle`` (the image by ``angle``); the
        reference rotated by ``angle`` is compared with the new image
        filtered as that rotation filters (E.3: R_alpha against R*_alpha).
        """
        angle = float(
            (torch.rand([]) * 2 - 1) * self.eq_cfg['rotate_max'] * math.pi)
        transform.copy_(rotation_matrix(-angle).to(transform))
        img = net.synthesis(ws, noise_mode='const', force_fp32=True)
        target, ref_mask = fractional_rotation(ref, angle)
        pseudo, pseudo_mask = fractional_pseudo_rotation(img, angle)
        return target, pseudo, ref_mask * pseudo_mask

    def sample_values(self, net: nn.Module, n: int, c: Optional[torch.Tensor],
                      device: torch.device) -> torch.Tensor:
        transform = self._input_transform(net)
        saved = transform.clone()
        z = torch.randn(n, net.noise_size, device=device)
        ws = net.mapping(z, c, truncation_psi=self.truncation_psi)
        values = []
        try:
            transform.copy_(torch.eye(3, device=transform.device))
            ref = net.synthesis(ws, noise_mode='const', force_fp32=True)
            res = ref.shape[-1]
            for name in self.enabled:
                if name == 'eqr':
                    target, img, mask = self._rotated(net, ws, ref, transform)
                else:
                    t = self._shift(device, res, name == 'eqt_int')
                    transform.copy_(torch.eye(3, device=transform.device))
                    transform[:2, 2] = -t
                    img = net.synthesis(
                        ws, noise_mode='const', force_fp32=True)
                    shift = integer_translate if name == 'eqt_int' else \
                        fractional_translate
                    target, mask = shift(ref, float(t[0]), float(t[1]))
                err = ((target - img).double().square() * mask).sum((1, 2, 3))
                values += [err, mask.double().sum((1, 2, 3))]
        finally:
            transform.copy_(saved)
        return torch.stack(values, dim=1)  # [N, 2 * num enabled]

    def compute(self, rows: np.ndarray) -> Dict[str, float]:
        sums = rows.sum(axis=0)
        return {
            name: psnr_db(float(sums[2 * i]), float(sums[2 * i + 1]))
            for i, name in enumerate(self.enabled)
        }
