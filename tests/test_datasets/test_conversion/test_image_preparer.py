# Copyright (c) mmgen-ada contributors. All rights reserved.
import numpy as np
import pytest
from PIL import Image

from mmgen_ada.datasets import ImageDecodeError
from mmgen_ada.datasets.conversion import ImagePreparer, ImageSkipped


def _blocks(h, w, seed=0):
    """Random (h, w, 3) image and its 2x-upsampled (2x2 blocks) version."""
    small = np.random.RandomState(seed).randint(0, 256, (h, w, 3), np.uint8)
    return small, np.kron(small, np.ones((2, 2, 1), np.uint8))


def test_square_passthrough_and_resize():
    small, big = _blocks(4, 4)
    out, note = ImagePreparer()(Image.fromarray(small), 'a')
    np.testing.assert_array_equal(out, small)
    assert note is None
    # Exact 2x box downsampling is the 2x2 block mean (blocks are constant).
    out, _ = ImagePreparer(4, resize_filter='box')(Image.fromarray(big), 'a')
    np.testing.assert_array_equal(out, small)


def test_first_image_fixes_size():
    prep = ImagePreparer()
    prep(Image.new('RGB', (8, 8)), 'first')
    with pytest.raises(
            ImageDecodeError, match='b.png: image is 4x8, not '
            'square'):
        prep(Image.new('RGB', (4, 8)), 'b.png')
    with pytest.raises(
            ImageDecodeError, match='c.png: size 12x12 .* power-of-two'):
        ImagePreparer()(Image.new('RGB', (12, 12)), 'c.png')
    # A later square image of another size is resized to the first's size.
    out, _ = prep(Image.new('RGB', (16, 16)), 'd.png')
    assert out.shape == (8, 8, 3)


def test_center_crop():
    arr = np.random.RandomState(1).randint(0, 256, (8, 14, 3), np.uint8)
    out, _ = ImagePreparer(8, 'center-crop')(Image.fromarray(arr), 'a')
    np.testing.assert_array_equal(out, arr[:, 3:11])
    arr = arr.transpose(1, 0, 2).copy()  # 14 high, 8 wide
    out, _ = ImagePreparer(8, 'center-crop')(Image.fromarray(arr), 'a')
    np.testing.assert_array_equal(out, arr[3:11])


def test_center_crop_wide():
    small, big = _blocks(4, 8)  # big: 8 high, 16 wide (aspect 2:1)
    prep = ImagePreparer(
        8, 'center-crop-wide', resize_filter='box', wide_height=4)
    out, _ = prep(Image.fromarray(big), 'a')
    expected = np.zeros((8, 8, 3), np.uint8)
    expected[2:6] = small  # letterboxed, vertically centred on black
    np.testing.assert_array_equal(out, expected)
    # Wider than 2:1: the sides are cropped first.
    wider = np.concatenate([
        np.full((8, 4, 3), 7, np.uint8), big,
        np.full((8, 4, 3), 9, np.uint8)
    ], 1)
    out, _ = prep(Image.fromarray(wider), 'a')
    np.testing.assert_array_equal(out, expected)
    with pytest.raises(ImageSkipped, match='tiny.png: 6x3 is smaller'):
        prep(Image.new('RGB', (6, 3)), 'tiny.png')
    assert ImagePreparer(8, 'center-crop-wide').wide_height == 6


def test_transparency_composited_on_white():
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 0] = (10, 20, 30, 255)  # opaque: kept
    rgba[0, 1] = (10, 20, 30, 0)  # transparent: white
    rgba[1, 0] = (0, 100, 200, 128)  # half: c * a + 255 * (1 - a)
    out, note = ImagePreparer()(Image.fromarray(rgba), 'x')
    assert note == 'RGBA -> RGB (transparency composited on white)'
    np.testing.assert_array_equal(out[0, 0], (10, 20, 30))
    np.testing.assert_array_equal(out[0, 1], (255, 255, 255))
    a = 128 / 255
    ref = np.array([0, 100, 200]) * a + 255 * (1 - a)
    np.testing.assert_allclose(out[1, 0], ref, atol=1)
    # Palette transparency too.
    pal = Image.new('P', (2, 2), 1)
    pal.putpalette([0, 0, 0, 50, 60, 70] + [0] * 762)
    pal.info['transparency'] = 1
    out, note = ImagePreparer()(pal, 'p')
    assert note.startswith('P -> RGB (transparency')
    assert (out == 255).all()


def test_mode_conversions():
    img16 = Image.fromarray(np.array([[0, 40000], [65535, 257]], np.uint16))
    assert img16.mode.startswith('I;16')
    out, note = ImagePreparer(grayscale=True)(img16, 'x')
    assert note.endswith('(16-bit scaled to 8-bit)')
    np.testing.assert_array_equal(out[:, :, 0], [[0, 156], [255, 1]])
    rgb = np.random.RandomState(2).randint(0, 256, (2, 2, 3), np.uint8)
    out, note = ImagePreparer(grayscale=True)(Image.fromarray(rgb), 'x')
    assert note == 'RGB -> L' and out.shape == (2, 2, 1)
    # ITU-R 601-2 luma, as PIL documents it.
    luma = rgb @ np.array([299, 587, 114]) / 1000
    np.testing.assert_allclose(out[:, :, 0], luma, atol=1)
    out, note = ImagePreparer(grayscale=False)(Image.fromarray(rgb[:, :, 0]),
                                               'x')
    assert note == 'L -> RGB' and (out == rgb[:, :, :1]).all()
    # Default: the first image's channels; later images follow it.
    keep = ImagePreparer()
    out, note = keep(Image.fromarray(rgb[:, :, 0]), 'x')
    assert note is None and out.shape == (2, 2, 1)
    out, note = keep(Image.fromarray(rgb), 'y')
    assert note == 'RGB -> L' and out.shape == (2, 2, 1)
    with pytest.raises(ImageDecodeError, match="f.tif: 32-bit 'F'"):
        ImagePreparer()(Image.new('F', (2, 2)), 'f.tif')


def test_bad_arguments():
    with pytest.raises(ValueError, match='power of two'):
        ImagePreparer(48)
    with pytest.raises(ValueError, match='needs a resolution'):
        ImagePreparer(transform='center-crop')
    with pytest.raises(ValueError, match="unknown transform 'crop'"):
        ImagePreparer(8, 'crop')
    with pytest.raises(ValueError, match='unknown resize filter'):
        ImagePreparer(8, resize_filter='bicubic')


def test_rectangular_output():
    # A 40 x 10 (W x H) ramp in x; the target is 16 wide x 8 high (2:1).
    ramp = np.tile(
        np.arange(40, dtype=np.uint8)[None, :, None] * 6, (10, 1, 3))
    prep = ImagePreparer((8, 16), 'center-crop', resize_filter='box')
    out, _ = prep(Image.fromarray(ramp), 'wide.png')
    # Centre crop 20 x 10 (columns 10..29), box-resized by 5/4 in x: each
    # output pixel averages columns over 1.25 source pixels.
    assert out.shape == (8, 16, 3)
    expected = np.asarray(
        Image.fromarray(ramp[:, 10:30]).resize((16, 8), Image.BOX))
    np.testing.assert_array_equal(out, expected)
    # A tall source is cropped in rows to the same 2:1 shape.
    tall = np.zeros((64, 16, 3), np.uint8)
    tall[28:36] = 200  # the central 8 rows
    out, _ = prep(Image.fromarray(tall), 'tall.png')
    np.testing.assert_array_equal(out, 200)
    # Without a transform the aspect ratio must match; the first image fixes
    # a rectangular size, a later one of the same aspect is resized.
    free = ImagePreparer()
    assert free(Image.new('RGB', (32, 16)), 'a.png')[0].shape == (16, 32, 3)
    assert free.resolution == (16, 32)
    assert free(Image.new('RGB', (64, 32)), 'b.png')[0].shape == (16, 32, 3)
    with pytest.raises(
            ImageDecodeError,
            match=r'c\.png: image is 16x16, '
            r'not 32x16 \(width x height\) in shape'):
        free(Image.new('RGB', (16, 16)), 'c.png')
    with pytest.raises(ValueError, match='center-crop-wide letterboxes'):
        ImagePreparer((8, 16), 'center-crop-wide')
    with pytest.raises(ValueError, match='aspect ratio 8:1'):
        ImagePreparer((8, 64), 'center-crop')
