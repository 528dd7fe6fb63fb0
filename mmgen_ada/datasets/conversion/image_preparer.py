# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Colour-mode conversion, crop and resize of one image for a dataset."""
from typing import Optional, Tuple, Union

import numpy as np
from PIL import Image

from mmgen_ada.image_size import compact_size, parse_image_size
from ..decode_image import ALPHA_MODES, ImageDecodeError

TRANSFORMS = ('center-crop', 'center-crop-wide')
RESIZE_FILTERS = {'lanczos': Image.LANCZOS, 'box': Image.BOX}
SIXTEEN_BIT_MODES = ('I;16', 'I;16L', 'I;16B', 'I;16N')
#: PIL modes of 1-channel sources (kept 1-channel unless RGB is asked for).
SINGLE_CHANNEL_MODES = ('L', 'LA', '1') + SIXTEEN_BIT_MODES


class ImageSkipped(Exception):
    """The image is valid but cannot give an output image (too small)."""


class ImagePreparer:
    """Turn any decoded image into a uint8 dataset image of one size.

    Colour: the output mode is L (1 channel) or RGB. By default
    (``grayscale=None``) the first image decides, as in NVlabs
    ``dataset_tool.py``: single-channel sources (``L``, ``LA``, bilevel,
    16-bit grayscale) give L, all others RGB; later images are converted to
    that mode (noted). ``grayscale=True`` / ``False`` forces L / RGB.
    Transparency (alpha channel, palette or colour-key transparency) is
    composited on white; 16-bit grayscale is scaled to 8 bits
    (``round(x / 257)``); 32-bit images (``I``, ``F``) are refused; palette,
    bilevel, CMYK, YCbCr, ... are converted with PIL. Every conversion is
    returned as a note such as ``'RGBA -> RGB (transparency composited on
    white)'``.

    Geometry (as NVlabs ``dataset_tool.py``; the output is ``H x W`` for
    ``resolution=(H, W)``, a square for an int):

    * no transform: the image must have the target's aspect ratio (square
      for a square target); it is resized to ``resolution`` when given and
      different;
    * ``center-crop``: crop the largest centred rectangle of the target's
      aspect ratio (a square for a square target), resize to
      ``resolution``;
    * ``center-crop-wide``: crop the centre to aspect ``resolution :
      wide_height``, resize to ``resolution x wide_height`` and paste it
      vertically centred on a black ``resolution x resolution`` canvas
      (square targets only). Images smaller than that crop raise
      :class:`ImageSkipped`.

    Without ``resolution`` the first prepared image fixes the size, whose
    sides must be powers of two (aspect at most 4:1); later images must
    have its aspect ratio.

    Args:
        resolution (int | tuple[int, int], optional): Output side, a power
            of two, or ``(H, W)`` (height first; see
            :mod:`mmgen_ada.image_size`). Required by the transforms.
            Defaults to None.
        transform (str, optional): None, ``'center-crop'`` or
            ``'center-crop-wide'``. Defaults to None.
        grayscale (bool, optional): True: 1-channel output; False: RGB;
            None: the first image's channel count. Defaults to None.
        resize_filter (str): ``'lanczos'`` or ``'box'`` (area). Defaults to
            ``'lanczos'``.
        wide_height (int, optional): Content height for
            ``center-crop-wide``. Defaults to None (``resolution * 3 // 4``).
    """

    def __init__(self,
                 resolution: Optional[Union[int, Tuple[int, int]]] = None,
                 transform: Optional[str] = None,
                 grayscale: Optional[bool] = None,
                 resize_filter: str = 'lanczos',
                 wide_height: Optional[int] = None) -> None:
        size_hw = None
        if resolution is not None:
            size_hw = parse_image_size(resolution, 'resolution', 1)
            resolution = compact_size(size_hw)
        if transform is not None and transform not in TRANSFORMS:
            raise ValueError(f'unknown transform {transform!r}; valid: '
                             f'{list(TRANSFORMS)}')
        if transform is not None and resolution is None:
            raise ValueError(f'transform {transform!r} needs a resolution')
        if resize_filter not in RESIZE_FILTERS:
            raise ValueError(f'unknown resize filter {resize_filter!r}; '
                             f'valid: {list(RESIZE_FILTERS)}')
        if (transform == 'center-crop-wide' and size_hw[0] != size_hw[1]):
            raise ValueError(
                'center-crop-wide letterboxes onto a square canvas; for '
                f'the rectangular resolution {resolution!r} use --transform '
                'center-crop, which crops to its aspect ratio')
        if wide_height is not None and (transform != 'center-crop-wide'
                                        or not 0 < wide_height <= resolution):
            raise ValueError('wide_height needs transform center-crop-wide '
                             f'and 0 < wide_height <= resolution, got '
                             f'{wide_height!r}')
        self.resolution = resolution
        self.size_hw = size_hw  # (H, W), or None until the first image
        self.transform = transform
        self.mode = None if grayscale is None else (
            'L' if grayscale else 'RGB')
        self.resample = RESIZE_FILTERS[resize_filter]
        if transform == 'center-crop-wide' and wide_height is None:
            wide_height = resolution * 3 // 4
        self.wide_height = wide_height

    def __call__(self, img: Image.Image,
                 name: str) -> Tuple[np.ndarray, Optional[str]]:
        """Prepare one image.

        Args:
            img (PIL.Image.Image): Decoded image.
            name (str): Its name for messages.

        Returns:
            tuple[np.ndarray, str | None]: uint8 ``(H, W, C)`` array (``C`` 3
            or 1) and the colour conversion note, None if none was needed.

        Raises:
            ImageDecodeError: Unusable image; the message names it.
            ImageSkipped: Too small for ``center-crop-wide``.
        """
        img, note = self._convert_mode(img, name)
        img = self._geometry(img, name)
        array = np.asarray(img, dtype=np.uint8)
        if array.ndim == 2:
            array = array[:, :, None]
        return np.ascontiguousarray(array), note

    def _convert_mode(self, img: Image.Image,
                      name: str) -> Tuple[Image.Image, Optional[str]]:
        if self.mode is None:  # the first image decides
            self.mode = 'L' if img.mode in SINGLE_CHANNEL_MODES else 'RGB'
        mode, target = img.mode, self.mode
        if mode in SIXTEEN_BIT_MODES:
            arr = np.asarray(img, dtype=np.float64)
            arr = np.clip(np.round(arr / 257.0), 0, 255).astype(np.uint8)
            img = Image.fromarray(arr).convert(target)
            return img, f'{mode} -> {target} (16-bit scaled to 8-bit)'
        if mode in ('I', 'F'):
            raise ImageDecodeError(f'{name}: 32-bit {mode!r} images are not '
                                   'supported; save them as 8-bit RGB or '
                                   'grayscale')
        if mode in ALPHA_MODES or 'transparency' in img.info:
            try:
                rgba = img.convert('RGBA')
            except ValueError as e:
                raise ImageDecodeError(f'{name}: cannot convert mode '
                                       f'{mode!r} ({e})') from e
            white = Image.new('RGBA', rgba.size, (255, 255, 255, 255))
            img = Image.alpha_composite(white, rgba).convert(target)
            return img, (f'{mode} -> {target} (transparency composited on '
                         'white)')
        if mode == target:
            return img, None
        try:
            return img.convert(target), f'{mode} -> {target}'
        except ValueError as e:
            raise ImageDecodeError(f'{name}: cannot convert mode {mode!r} to '
                                   f'{target} ({e})') from e

    def _geometry(self, img: Image.Image, name: str) -> Image.Image:
        w, h = img.size
        if self.transform is None:
            if self.size_hw is None:
                try:
                    self.size_hw = parse_image_size((h, w), 'image size', 1)
                except ValueError:
                    raise ImageDecodeError(
                        f'{name}: size {w}x{h} (width x height) does not '
                        'have power-of-two sides (square, or rectangular up '
                        'to 4:1); pass --resolution (N or WxH) and, to '
                        'change the aspect ratio, --transform center-crop'
                    ) from None
                self.resolution = self.size_hw[0] if w == h else self.size_hw
            out_h, out_w = self.size_hw
            if w * out_h != h * out_w:
                shape = 'square' if out_h == out_w else \
                    f'{out_w}x{out_h} (width x height)'
                raise ImageDecodeError(
                    f'{name}: image is {w}x{h}, not {shape} in shape; use '
                    '--transform center-crop' +
                    (' or center-crop-wide' if out_h == out_w else ''))
            if (w, h) != (out_w, out_h):
                img = img.resize((out_w, out_h), self.resample)
            return img
        res = self.resolution
        if self.transform == 'center-crop':
            out_h, out_w = self.size_hw
            # Largest centred crop of aspect out_w : out_h.
            if w * out_h > h * out_w:  # wider than the target: crop columns
                cw, ch = h * out_w // out_h, h
            else:
                cw, ch = w, w * out_h // out_w
            left, top = (w - cw) // 2, (h - ch) // 2
            img = img.crop((left, top, left + cw, top + ch))
            if (cw, ch) != (out_w, out_h):
                img = img.resize((out_w, out_h), self.resample)
            return img
        # center-crop-wide: crop to aspect res : wide_height, letterbox.
        hh = self.wide_height
        if w * hh > h * res:  # wider than the target aspect: crop columns
            cw, ch = int(round(h * res / hh)), h
        else:
            cw, ch = w, int(round(w * hh / res))
        if cw < res or ch < hh:
            raise ImageSkipped(f'{name}: {w}x{h} is smaller than the '
                               f'{res}x{hh} center-crop-wide target')
        left, top = (w - cw) // 2, (h - ch) // 2
        img = img.crop((left, top, left + cw, top + ch))
        img = img.resize((res, hh), self.resample)
        canvas = Image.new(img.mode, (res, res), 0)
        canvas.paste(img, (0, (res - hh) // 2))
        return canvas
