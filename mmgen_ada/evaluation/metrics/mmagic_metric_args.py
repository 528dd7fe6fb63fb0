# Copyright (c) mmgen-ada contributors. All rights reserved.
"""MMagic's metric arguments, translated to this package's settings.

MMagic's GAN metrics (``mmagic/evaluation/metrics``) take arguments that
belong to its way of evaluating: a sampler feeds ``test_step`` outputs to
``process`` (``fake_key``, ``real_key``), ``sample_kwargs`` go to the
generator's ``forward``, the Inception network is chosen by
``inception_style``/``inception_path``. Here the evaluation loop
(:class:`~mmgen_ada.engine.runner.GenEvalLoop`) calls the generator and the
feature extractor itself, so each argument is mapped to what does the same
thing here, or refused with the reason and what to write instead.
"""
from typing import Dict, Optional, Tuple

#: MMagic's ``inception_style`` values (``ALLOWED_INCEPTION`` there).
INCEPTION_STYLES = ('StyleGAN', 'PyTorch')
#: MMagic's ``fake_key`` values that name the generated image itself.
FAKE_KEYS = (None, 'fake_img')
#: MMagic's ``real_key`` values that name the real image of a data sample.
REAL_KEYS = (None, 'gt_img', 'img')
#: ``need_cond_input`` -> where labels of conditional generators come from.
LABEL_SOURCES = {None: 'dataset', True: 'dataset', False: 'uniform'}
#: ``sample_kwargs`` keys understood here (MMagic generator ``forward``).
SAMPLE_KWARGS = ('truncation', 'randomize_noise', 'add_noise')


def inception_extractor_cfg(
        metric: str, inception_style: str, inception_path: Optional[str],
        feature_extractor: Optional[dict]) -> Optional[dict]:
    """The feature extractor config meant by MMagic's Inception arguments.

    ``inception_style='StyleGAN'`` is the TF Inception-v3 TorchScript that
    FID is defined with, which is :class:`InceptionV3TorchScript` here;
    ``inception_path`` is its file (or URL). ``'PyTorch'`` (torchvision's
    Inception-v3) is refused: its FID is not comparable with published
    numbers, and it needs torchvision and a download of ImageNet weights.

    Args:
        metric (str): Metric class name, for messages.
        inception_style (str): 'StyleGAN' or 'PyTorch'.
        inception_path (str, optional): TorchScript file or http(s) URL.
        feature_extractor (dict, optional): This package's argument.

    Returns:
        dict | None: ``feature_extractor`` to use; None means the default.
    """
    if inception_style == 'Pytorch' or inception_style == 'PyTorch':
        raise ValueError(
            f"{metric}: inception_style='PyTorch' (torchvision's Inception-"
            'v3) is not supported: its features differ from the TF '
            'Inception that FID/KID are defined with, so scores are not '
            'comparable with published ones, and it needs torchvision and '
            "downloaded ImageNet weights. Write inception_style='StyleGAN' "
            '(the NVlabs TorchScript Inception).')
    if inception_style != 'StyleGAN':
        raise ValueError(f'{metric}: inception_style must be one of '
                         f'{INCEPTION_STYLES}, got {inception_style!r}.')
    if inception_path is None:
        return feature_extractor
    if not isinstance(inception_path, str):
        raise TypeError(f'{metric}: inception_path must be a str, got '
                        f'{type(inception_path).__name__}.')
    if inception_path.startswith(('http://', 'https://')):
        wanted = dict(type='InceptionV3TorchScript', url=inception_path)
    else:
        wanted = dict(
            type='InceptionV3TorchScript', weights_path=inception_path)
    if feature_extractor is not None and feature_extractor != wanted:
        raise ValueError(
            f'{metric}: inception_path={inception_path!r} and '
            f'feature_extractor={feature_extractor!r} both choose the '
            'network; give only one of them.')
    return wanted


def check_sample_keys(metric: str, fake_key: Optional[str],
                      real_key: Optional[str]) -> None:
    """Refuse ``fake_key``/``real_key`` values that mean other images.

    The loop gives metrics the generator's images and the dataset's
    ``inputs``; MMagic's keys that name those (``fake_img``; ``gt_img`` or
    ``img``) are accepted, others would select a different output, which
    does not exist here.
    """
    if fake_key not in FAKE_KEYS:
        raise ValueError(
            f'{metric}: fake_key={fake_key!r} is not supported; the '
            'evaluation loop scores the images returned by the generator '
            "(MMagic's 'fake_img'). Write fake_key=None.")
    if real_key not in REAL_KEYS:
        raise ValueError(
            f'{metric}: real_key={real_key!r} is not supported; real images '
            "are the dataset's 'inputs' (MMagic's 'gt_img'/'img'). Write "
            "real_key='gt_img' or None.")


def label_source(metric: str, need_cond_input: Optional[bool]) -> str:
    """'dataset' (labels of random real images) or 'uniform' (random class).

    MMagic's ``need_cond_input=True`` takes labels of random dataset items,
    as the NVlabs metrics do and as the default None does here; ``False``
    draws a uniformly random class (one-hot) per sample. Unconditional
    generators ignore it.
    """
    if need_cond_input not in LABEL_SOURCES:
        raise TypeError(f'{metric}: need_cond_input must be True, False or '
                        f'None, got {need_cond_input!r}.')
    return LABEL_SOURCES[need_cond_input]


def sampling_from_kwargs(
        metric: str,
        sample_kwargs: Optional[Dict]) -> Tuple[float, Optional[str]]:
    """``(truncation_psi, noise_mode)`` meant by MMagic's ``sample_kwargs``.

    MMagic passes them to the generator's ``forward``: ``truncation`` (psi),
    ``randomize_noise`` (True: fresh noise, 'random'; False: the constant
    noise buffers, 'const') and ``add_noise`` (False: no noise, 'none').

    Returns:
        tuple: psi (1.0 when not given) and the noise mode (None when not
        given: the loop's ``noise_mode``).
    """
    kwargs = dict(sample_kwargs or {})
    unknown = sorted(set(kwargs) - set(SAMPLE_KWARGS))
    if unknown:
        raise KeyError(f'{metric}: sample_kwargs keys {unknown} are not '
                       f'supported; valid keys are {list(SAMPLE_KWARGS)}.')
    psi = kwargs.get('truncation', 1.0)
    if not isinstance(psi, (int, float)) or isinstance(psi, bool):
        raise TypeError(f'{metric}: sample_kwargs.truncation must be a '
                        f'number, got {psi!r}.')
    noise_mode = None
    if 'randomize_noise' in kwargs:
        noise_mode = 'random' if kwargs['randomize_noise'] else 'const'
    if kwargs.get('add_noise', True) is False:
        noise_mode = 'none'
    return float(psi), noise_mode
