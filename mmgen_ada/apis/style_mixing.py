# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Style mixing matrix as in NVlabs ``style_mixing.py`` (Karras et al.)."""
from typing import Dict, List, Tuple

import numpy as np
import torch
import torch.nn as nn

from .inference import (LabelsLike, get_generator, make_labels, run_synthesis,
                        seeds_to_z, to_uint8_hwc)


@torch.no_grad()
def style_mixing(
    model: nn.Module,
    row_seeds: List[int],
    col_seeds: List[int],
    col_styles: List[int],
    truncation_psi: float = 1.0,
    noise_mode: str = 'const',
    labels: LabelsLike = None,
    use_ema: bool = True
) -> Tuple[Dict[Tuple[int, int], np.ndarray], np.ndarray]:
    """Copy the styles ``col_styles`` of column seeds into row seeds.

    For each seed ``w = w_avg + psi * (mapping(z) - w_avg)`` (z as in
    :func:`~mmgen_ada.apis.seeds_to_z`). Cell (row, col) is synthesised
    from the row seed's ws with the entries ``col_styles`` taken from the
    column seed's; (s, s) is seed s unmixed.

    Args:
        model (nn.Module): GAN or generator.
        row_seeds (list[int]): Seeds of the rows (coarse content kept).
        col_seeds (list[int]): Seeds of the columns (styles copied).
        col_styles (list[int]): Indices into ws in [0, num_ws), e.g.
            ``0-6`` (NVlabs default) copies the coarse/middle styles.
        truncation_psi (float): Truncation. Defaults to 1.
        noise_mode (str): 'const', 'random' or 'none'. Defaults to 'const'.
        labels: Class label(s) for conditional generators, as
            :func:`~mmgen_ada.apis.make_labels`.
        use_ema (bool): Use G_ema when there is one. Defaults to True.

    Returns:
        tuple: ``{(row_seed, col_seed): uint8 (H, W, C)}`` including the
        unmixed ``(s, s)`` images, and the uint8 grid
        ((len(rows) + 1) * H, (len(cols) + 1) * W, C): column seeds on top,
        row seeds on the left, black top-left cell.
    """
    if not row_seeds or not col_seeds or not col_styles:
        raise ValueError('row_seeds, col_seeds and col_styles must be '
                         'non-empty')
    generator = get_generator(model, use_ema)
    bad = [s for s in col_styles if not 0 <= s < generator.num_ws]
    if bad:
        raise ValueError(f'style index {bad[0]} out of range: this '
                         f'generator has {generator.num_ws} styles (0-'
                         f'{generator.num_ws - 1})')
    device = next(generator.parameters()).device
    all_seeds = list(dict.fromkeys(row_seeds + col_seeds))
    z = seeds_to_z(all_seeds, generator.noise_size).to(device)
    c = make_labels(labels, len(all_seeds),
                    int(getattr(generator, 'cond_size', 0) or 0), device)
    all_w = generator.mapping(z, c, truncation_psi=truncation_psi)
    w_of = dict(zip(all_seeds, all_w))
    images = dict(((s, s), img) for s, img in zip(
        all_seeds, to_uint8_hwc(run_synthesis(generator, all_w, noise_mode))))
    for row in row_seeds:
        for col in col_seeds:
            w = w_of[row].clone()
            w[col_styles] = w_of[col][col_styles]
            images[(row, col)] = to_uint8_hwc(
                run_synthesis(generator, w[None], noise_mode))[0]

    h, w_, ch = images[(all_seeds[0], all_seeds[0])].shape
    grid = np.zeros(((len(row_seeds) + 1) * h, (len(col_seeds) + 1) * w_, ch),
                    dtype=np.uint8)
    for j, col in enumerate(col_seeds, 1):
        grid[:h, j * w_:(j + 1) * w_] = images[(col, col)]
    for i, row in enumerate(row_seeds, 1):
        grid[i * h:(i + 1) * h, :w_] = images[(row, row)]
        for j, col in enumerate(col_seeds, 1):
            grid[i * h:(i + 1) * h, j * w_:(j + 1) * w_] = images[(row, col)]
    return images, grid
