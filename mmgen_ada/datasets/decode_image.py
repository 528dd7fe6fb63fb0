# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Strict decoding of one dataset image into a uint8 ``(H, W, C)`` array."""
import io
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

#: Modes with an alpha channel. Training images must be opaque.
ALPHA_MODES = ('RGBA', 'LA', 'PA', 'RGBa', 'La')
#: Modes with more than 8 bits per sample.
HIGH_DEPTH_MODES = ('I', 'I;16', 'I;16L', 'I;16B', 'I;16N', 'F')
#: Modes accepted by :func:`decode_image`.
SUPPORTED_MODES = ('RGB', 'L', 'P', '1')


class ImageDecodeError(ValueError):
    """An image file cannot be used; the message starts with its name."""


def decode_image(data: bytes, name: str) -> np.ndarray:
    """Decode image bytes into the array a dataset item is made of.

    Accepted: 8-bit RGB, 8-bit grayscale (``L``), bilevel (``1``, read as
    ``L``) and palette (``P``) images; palette images are converted to RGB.
    Refused, each with an :class:`ImageDecodeError` naming ``name``: empty
    files, bytes PIL cannot decode or that are truncated, images with an
    alpha channel or palette/colour-key transparency (compositing would
    silently change the data; ``tools/dataset_tool.py`` composites them on
    white), 16/32-bit images (``I;16``, ``I``, ``F``) and other modes
    (``CMYK``, ``YCbCr``, ...).

    Args:
        data (bytes): The encoded file (PNG, JPEG, ...).
        name (str): File name used in error messages.

    Returns:
        np.ndarray: uint8 array of shape ``(H, W, C)``, ``C`` = 3 (RGB order)
        or 1 (grayscale), values in ``[0, 255]``.

    Raises:
        ImageDecodeError: The file is unusable; the message names it.
    """
    if len(data) == 0:
        raise ImageDecodeError(f'{name}: empty file (0 bytes)')
    try:
        with warnings.catch_warnings():
            # A DecompressionBombWarning is a property of the data, not a
            # reason to print from a dataloader worker.
            warnings.simplefilter('ignore', Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                img.load()
                mode = img.mode
                transparent = 'transparency' in img.info
                if mode in SUPPORTED_MODES and not (mode in ('RGB', 'L', 'P')
                                                    and transparent):
                    if mode == 'P':
                        img = img.convert('RGB')
                    elif mode == '1':
                        img = img.convert('L')
                    array = np.array(img, dtype=np.uint8)  # writable copy
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
            Image.DecompressionBombError) as e:
        raise ImageDecodeError(
            f'{name}: cannot decode image ({type(e).__name__}: {e})') from e
    if mode in ALPHA_MODES or transparent:
        raise ImageDecodeError(
            f'{name}: image has transparency (mode {mode!r}); training '
            'images must be opaque. Convert the dataset with '
            'tools/dataset_tool.py, which composites transparency on white')
    if mode in HIGH_DEPTH_MODES:
        raise ImageDecodeError(
            f'{name}: {mode!r} images (more than 8 bits per sample) are not '
            'supported; convert the dataset with tools/dataset_tool.py')
    if mode not in SUPPORTED_MODES:
        raise ImageDecodeError(
            f'{name}: unsupported image mode {mode!r}; supported modes are '
            f'{list(SUPPORTED_MODES)} (palette images are read as RGB)')
    if array.ndim == 2:
        array = array[:, :, None]
    return np.ascontiguousarray(array)
