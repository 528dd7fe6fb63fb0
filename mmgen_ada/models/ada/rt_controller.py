# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The r_t controller shared by ADA's ``p`` and APA's ``p_apa``.

Karras et al. 2020, Sec. 3: with ``r_t = E[sign(D(x_real))]``, every
``update_interval`` iterations ``p += sign(r_t - target) * N / (kimg *
1000)``, ``N`` the real images seen since the last update over all ranks,
clamped to ``[0, max_p]``. APA (Jiang et al. 2021, Sec. 3) adopts the same
rule for its pseudo-augmentation probability.
"""
import math
from typing import Optional


def rt_controller_step(p: float,
                       sign_sum: float,
                       count: float,
                       num_images: Optional[float],
                       target: float,
                       kimg: float,
                       max_p: Optional[float] = None,
                       name: str = '') -> float:
    """One update of the probability from (global) sign statistics.

    Args:
        p (float): The current probability.
        sign_sum (float): Sum of ``sign(D(real))`` over all ranks.
        count (float): Number of real logits summed (>= 0); 0 leaves ``p``
            unchanged.
        num_images (float, optional): Real images over all ranks since the
            last update; None means ``count``.
        target (float): Target of ``r_t``.
        kimg (float): Thousands of images for ``p`` to move by 1.
        max_p (float, optional): Upper bound; None means unbounded.
        name (str): Prefix of the error message (e.g. ``'APA '``).

    Returns:
        float: The new probability.

    Raises:
        ValueError: If a statistic is not finite or a count is negative.
    """
    sign_sum, count = float(sign_sum), float(count)
    num_images = count if num_images is None else float(num_images)
    if min(count, num_images) < 0 or not all(
            math.isfinite(v) for v in (sign_sum, count, num_images)):
        raise ValueError(
            f'{name}update needs finite statistics with count >= 0 and '
            f'num_images >= 0, got sign_sum={sign_sum}, count={count}, '
            f'num_images={num_images}.')
    if count == 0:
        return p
    rt = sign_sum / count
    sign = float((rt > target) - (rt < target))
    new_p = max(p + sign * (num_images / (kimg * 1000)), 0.)
    return new_p if max_p is None else min(new_p, max_p)
