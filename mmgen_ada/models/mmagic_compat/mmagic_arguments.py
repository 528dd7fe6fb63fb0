# Copyright (c) mmgen-ada contributors. All rights reserved.
"""MMagic's argument names mapped onto the typed arguments of our classes.

Each function takes the MMagic-style value (None or the MMagic default
when the config does not write it) and our own argument, and returns what
our constructor uses. Values whose MMagic behaviour is deliberately not
reproduced raise :class:`MMagicArgumentError`, saying why and what to write
instead. docs/mmagic_compat.md has the full table.
"""
from typing import Any, Iterable, Optional, Sequence, Tuple

from mmengine.logging import print_log

#: The FIR taps both code bases use unless told otherwise.
DEFAULT_RESAMPLE_FILTER = (1, 3, 3, 1)
#: MMagic's ``mbstd_cfg`` keys (``ModMBStddevLayer``'s arguments).
MBSTD_CFG_KEYS = ('group_size', 'channel_groups', 'sync_std', 'sync_groups',
                  'eps')


class MMagicArgumentError(ValueError):
    """An MMagic argument value whose behaviour is not reproduced here."""


def refuse_unless(owner: str, name: str, value: Any, allowed: Iterable,
                  reason: str) -> None:
    """Raise :class:`MMagicArgumentError` unless ``value`` is allowed.

    Args:
        owner (str): The class, e.g. ``'StyleGAN2Discriminator'``.
        name (str): The MMagic argument name.
        value: The configured value.
        allowed (Iterable): The values that mean what this code does.
        reason (str): Why other values are refused and what to write.
    """
    allowed = tuple(allowed)
    if any(
            value is a or (type(value) is type(a) and value == a)
            for a in allowed):
        return
    raise MMagicArgumentError(
        f'{owner}({name}={value!r}): only {", ".join(map(repr, allowed))} '
        f'is supported; {reason}')


def resample_filter_from_blur_kernel(
        owner: str, blur_kernel: Optional[Sequence[float]],
        resample_filter: Sequence[float]) -> Tuple[float, ...]:
    """MMagic's ``blur_kernel`` is our ``resample_filter`` (the same FIR
    taps, normalised to unit gain by both code bases).

    Raises:
        MMagicArgumentError: Both are given with different taps.
    """
    if blur_kernel is None:
        return tuple(resample_filter)
    if not isinstance(blur_kernel, (list, tuple)) or not blur_kernel:
        raise MMagicArgumentError(
            f'{owner}(blur_kernel={blur_kernel!r}): expected a list of FIR '
            'taps such as [1, 3, 3, 1]')
    if (tuple(resample_filter) != DEFAULT_RESAMPLE_FILTER
            and tuple(resample_filter) != tuple(blur_kernel)):
        raise MMagicArgumentError(
            f'{owner}: blur_kernel={list(blur_kernel)} and resample_filter='
            f'{list(resample_filter)} name the same filter; give only one')
    return tuple(blur_kernel)


def mbstd_from_cfg(owner: str, mbstd_cfg: Optional[dict],
                   group_size: Optional[int],
                   num_channels: int) -> Tuple[Optional[int], int]:
    """MMagic's ``mbstd_cfg=dict(group_size, channel_groups)`` as our
    ``(mbstd_group_size, mbstd_num_channels)``.

    MMagic's ``ModMBStddevLayer`` computes NVlabs' minibatch std: groups of
    ``min(group_size, N)`` images, ``channel_groups`` feature maps, std with
    ``eps=1e-8`` inside the square root; its discriminator supports only
    ``channel_groups=1`` (one extra input channel of the last conv).

    Raises:
        MMagicArgumentError: Unknown keys, ``sync_std=True`` (MMagic's
            cross-rank std, not reproduced: groups stay within one rank as
            in NVlabs) or an ``eps`` other than 1e-8.
    """
    if mbstd_cfg is None:
        return group_size, num_channels
    if not isinstance(mbstd_cfg, dict):
        raise MMagicArgumentError(
            f'{owner}(mbstd_cfg={mbstd_cfg!r}): expected a dict with keys '
            f'{list(MBSTD_CFG_KEYS)}')
    unknown = sorted(set(mbstd_cfg) - set(MBSTD_CFG_KEYS))
    if unknown:
        raise MMagicArgumentError(
            f'{owner}: unknown mbstd_cfg key(s) {unknown}; valid keys are '
            f'{list(MBSTD_CFG_KEYS)}')
    refuse_unless(
        owner, "mbstd_cfg['sync_std']", mbstd_cfg.get('sync_std', False),
        (False, ), 'the std is taken within each rank\'s groups, as in '
        'NVlabs; remove sync_std')
    refuse_unless(owner, "mbstd_cfg['sync_groups']",
                  mbstd_cfg.get('sync_groups'), (None, ),
                  'only used with sync_std, which is not supported')
    eps = mbstd_cfg.get('eps', 1e-8)
    if eps != 1e-8:
        raise MMagicArgumentError(
            f"{owner}(mbstd_cfg['eps']={eps!r}): the std uses NVlabs' 1e-8; "
            'remove eps')
    return (mbstd_cfg.get('group_size', 4), mbstd_cfg.get('channel_groups', 1))


def fp16_scales(owner: str, fp16_enabled: bool, num_fp16_scales: int,
                all_scales: int) -> int:
    """MMagic's ``fp16_enabled=True`` (the whole network in float16) is
    ``num_fp16_scales`` = every resolution; as ours, float16 runs on CUDA
    only and the network stays float32 on CPU."""
    if not isinstance(fp16_enabled, bool):
        raise MMagicArgumentError(
            f'{owner}(fp16_enabled={fp16_enabled!r}): expected a bool')
    return max(num_fp16_scales, all_scales) if fp16_enabled else \
        num_fp16_scales


def colour_flag_is_identity(owner: str, name: str, value: bool) -> None:
    """Accept one of MMagic's channel-order flags as a no-op.

    MMagic loads images in BGR order, and ``bgr2rgb``/``rgb2bgr``/
    ``input_bgr2rgb`` bridge that BGR data and networks (e.g. converted
    official weights) that work in RGB. Here the data, the generator's
    output and the discriminator's input are all RGB, so the bridge is the
    identity: the flag changes nothing (flipping here would swap G's
    colours against the reals). Logged when True.
    """
    if not isinstance(value, bool):
        raise MMagicArgumentError(f'{owner}({name}={value!r}): expected a '
                                  'bool')
    if value:
        print_log(
            f'{owner}: {name}=True is accepted and changes nothing: MMagic '
            'uses it to bridge its BGR data to RGB networks, and here the '
            'data and the networks are all RGB.',
            logger='current')


def style_mixing_prob(owner: str, default_style_mode: str,
                      eval_style_mode: str, mix_prob: float) -> float:
    """MMagic's style modes as a style-mixing probability.

    ``default_style_mode='mix'`` mixes in training with ``mix_prob`` (what
    our training passes do), ``'single'`` never mixes (``mix_prob=0``).
    Evaluation never mixes here, which is MMagic's ``eval_style_mode=
    'single'``.

    Raises:
        MMagicArgumentError: ``eval_style_mode='mix'`` or an unknown mode.
    """
    refuse_unless(
        owner, 'default_style_mode', default_style_mode, ('mix', 'single'),
        "'mix' trains with style mixing at "
        "mix_prob, 'single' without")
    refuse_unless(
        owner, 'eval_style_mode', eval_style_mode, ('single', ),
        'sampling and metrics use unmixed styles, as NVlabs; for mixed '
        'samples use tools/style_mixing.py')
    return mix_prob if default_style_mode == 'mix' else 0.
