# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Quantise generator output, tile images into a grid, save PNGs."""
from typing import Optional

import numpy as np
import torch
from PIL import Image


def to_uint8(imgs: torch.Tensor) -> torch.Tensor:
    """Generator output in [-1, 1] to uint8 as NVlabs does.

    ``(x * 127.5 + 128).clamp(0, 255)`` then truncation to uint8 (the
    mapping of the NVlabs metrics and ``generate.py``), so -1 maps to 0, 0 to
    128 and 1 to 255. uint8 input is returned unchanged.

    Args:
        imgs (Tensor): Float images (N, C, H, W), nominally in [-1, 1].

    Returns:
        Tensor: uint8 images (N, C, H, W) on the input's device.
    """
    if imgs.dtype == torch.uint8:
        return imgs
    return (imgs.float() * 127.5 + 128).clamp(0, 255).to(torch.uint8)


def make_image_grid(images: np.ndarray,
                    num_cols: Optional[int] = None) -> np.ndarray:
    """Tile images row by row into one image; empty cells stay black.

    Args:
        images (np.ndarray): uint8 images (N, H, W, C).
        num_cols (int, optional): Images per row. Defaults to
            ``ceil(sqrt(N))``.

    Returns:
        np.ndarray: uint8 grid (rows * H, num_cols * W, C) with
        ``rows = ceil(N / num_cols)``.
    """
    if images.ndim != 4 or len(images) == 0:
        raise ValueError('images must be a non-empty (N, H, W, C) array, got '
                         f'shape {images.shape}')
    n, h, w, c = images.shape
    if num_cols is None:
        num_cols = int(np.ceil(np.sqrt(n)))
    if num_cols < 1:
        raise ValueError(f'num_cols must be >= 1, got {num_cols}')
    num_rows = -(-n // num_cols)
    grid = np.zeros((num_rows * h, num_cols * w, c), dtype=images.dtype)
    for i, img in enumerate(images):
        row, col = divmod(i, num_cols)
        grid[row * h:(row + 1) * h, col * w:(col + 1) * w] = img
    return grid


def save_image(image: np.ndarray, path: str) -> None:
    """Save a uint8 (H, W, C) image, C = 3 (RGB) or 1 (grayscale)."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (1,
                                                                            3):
        raise ValueError('expected a uint8 (H, W, 1|3) image, got '
                         f'{image.dtype} {image.shape}')
    if image.shape[2] == 1:
        Image.fromarray(image[:, :, 0], 'L').save(path)
    else:
        Image.fromarray(image, 'RGB').save(path)
