# Copyright (c) mmgen-ada contributors. All rights reserved.
"""NVlabs metric names (``--metrics fid50k_full,...``) as metric configs.

The settings are those of NVlabs ``metrics/metric_main.py``: 50k generated
images; ``_full`` compares with the whole dataset (KID and PR cap the reals
at 1M and 200k, as there), the others with the first 50k reals; KID uses
100 subsets of at most 1000 images, PR a 3-nearest-neighbour ball.
Inception-based metrics share one feature extractor (see
``configs/_base_/evaluation.py``). The generator metrics are NVlabs'
``ppl_{z,w}{full,end}`` (StyleGAN: cropped), ``ppl2_wend`` (StyleGAN2: W,
end points, uncropped), all 50k samples with epsilon 1e-4, and StyleGAN3's
``eqt50k_int``, ``eqt50k_frac``, ``eqr50k``.
"""
from types import MappingProxyType
from typing import Dict, List, Mapping

#: Feature extractor of every metric built here.
INCEPTION = MappingProxyType(dict(type='InceptionV3TorchScript'))

_KID_ARGS = dict(num_subsets=100, max_subset_size=1000)
_PR_ARGS = dict(nhood_size=3)

#: NVlabs name -> (metric type, keyword arguments).
NVLABS_METRICS: Mapping[str, tuple] = MappingProxyType({
    'fid50k_full': ('FrechetInceptionDistance', dict(real_nums=-1)),
    'kid50k_full': ('KernelInceptionDistance',
                    dict(real_nums=1000000, prefix='KID-Full', **_KID_ARGS)),
    'pr50k3_full': ('PrecisionAndRecall',
                    dict(real_nums=200000, prefix='PR-Full', **_PR_ARGS)),
    'fid50k': ('FrechetInceptionDistance', dict(real_nums=50000)),
    'kid50k': ('KernelInceptionDistance', dict(real_nums=50000, **_KID_ARGS)),
    'pr50k3': ('PrecisionAndRecall', dict(real_nums=50000, **_PR_ARGS)),
})



def _ppl(space: str, sampling: str, crop: bool) -> tuple:
    return ('PerceptualPathLength',
            dict(space=space, sampling=sampling, crop=crop, epsilon=1e-4))


def _eq(switch: str) -> tuple:
    return ('Equivariance', dict(eq_cfg={switch: True}))


#: NVlabs name -> (generator metric type, keyword arguments); the prefix of
#: the results is the NVlabs name.
NVLABS_GENERATOR_METRICS: Mapping[str, tuple] = MappingProxyType({
    'ppl_zfull': _ppl('z', 'full', True),
    'ppl_wfull': _ppl('w', 'full', True),
    'ppl_zend': _ppl('z', 'end', True),
    'ppl_wend': _ppl('w', 'end', True),
    'ppl2_wend': _ppl('w', 'end', False),
    'eqt50k_int': _eq('compute_eqt_int'),
    'eqt50k_frac': _eq('compute_eqt_frac'),
    'eqr50k': _eq('compute_eqr'),
})


def nvlabs_metric_cfgs(names: str) -> List[Dict]:
    """Metric configs for a comma-separated list of NVlabs metric names.

    Args:
        names (str): E.g. ``'fid50k_full,kid50k_full'``; ``'none'`` (or an
            empty string) for no metrics.

    Returns:
        list[dict]: One ``Evaluator`` metric config per name, in order.

    Raises:
        ValueError: An unknown or repeated name; the message lists the known
            ones.
    """
    wanted = [n.strip() for n in names.split(',') if n.strip()]
    if wanted in ([], ['none']):
        return []
    known = list(NVLABS_METRICS) + list(NVLABS_GENERATOR_METRICS)
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ValueError(f'unknown metric(s) {unknown}; known: {known} or '
                         'none (NVlabs is50k is not implemented)')
    if len(set(wanted)) != len(wanted):
        raise ValueError(f'metrics listed twice in {names!r}')
    cfgs = []
    for name in wanted:
        if name in NVLABS_GENERATOR_METRICS:
            metric_type, kwargs = NVLABS_GENERATOR_METRICS[name]
            cfgs.append(
                dict(
                    type=metric_type,
                    fake_nums=50000,
                    sample_model='ema',
                    prefix=name,
                    **kwargs))
            continue
        metric_type, kwargs = NVLABS_METRICS[name]
        cfgs.append(
            dict(
                type=metric_type,
                fake_nums=50000,
                feature_extractor=dict(INCEPTION),
                sample_model='ema',
                **kwargs))
    return cfgs
