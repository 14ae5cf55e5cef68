"""The safe loader returns an upright RGB image within limits, or raises InvalidImage: nothing else."""

from __future__ import annotations

import io
import struct
import time
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image

from gan_demo.imaging import InvalidImage, fit_within, flatten_alpha, load_image, make_grid

SAVE_FORMATS = ["PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF"]
MODES = ["1", "L", "P", "RGB", "RGBA", "LA", "CMYK", "I;16", "I", "F"]


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def with_orientation(image: Image.Image, orientation: int) -> dict:
    exif = image.getexif()
    exif[0x0112] = orientation
    return {"exif": exif.tobytes()}


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size: a decompression bomb in miniature."""
    data = bytearray(encode(Image.new("L", (8, 8)), "PNG"))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mode=st.sampled_from(MODES),
    fmt=st.sampled_from(SAVE_FORMATS),
    width=st.integers(8, 48),
    height=st.integers(8, 48),
    orientation=st.integers(1, 8),
    seed=st.integers(0, 2**16),
)
def test_any_valid_image_becomes_upright_rgb(mode, fmt, width, height, orientation, seed):
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 4), dtype=np.uint8)
    image = Image.fromarray(pixels, "RGBA").convert(mode) if mode not in ("I;16", "I", "F") else None
    if image is None:
        image = Image.fromarray(pixels[:, :, 0].astype(np.uint16) * 257).convert(mode)
    params = with_orientation(image, orientation) if fmt in ("JPEG", "WEBP", "PNG", "TIFF") else {}
    try:
        data = encode(image, fmt, **params)
    except (OSError, ValueError, KeyError):
        assume(False)  # Pillow cannot write this mode in this format; nothing to test
    result = load_image(data)
    assert result.mode == "RGB"
    expected = (height, width) if params and orientation >= 5 else (width, height)
    assert result.size == expected


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_give_an_image_or_invalid_image(data):
    try:
        result = load_image(data)
    except InvalidImage:
        return
    assert result.mode == "RGB"


@settings(max_examples=80, deadline=None)
@given(fmt=st.sampled_from(SAVE_FORMATS), cut=st.floats(0.05, 0.95), flip=st.integers(0, 10_000))
def test_damaged_files_give_an_image_or_invalid_image(fmt, cut, flip):
    data = bytearray(encode(Image.new("RGB", (40, 30), (200, 30, 30)), fmt))
    data[flip % len(data)] ^= 0xFF
    try:
        result = load_image(bytes(data[: max(1, int(len(data) * cut))]))
    except InvalidImage:
        return
    assert result.mode == "RGB"


def test_decompression_bomb_is_refused_before_decoding():
    start = time.perf_counter()
    with pytest.raises(InvalidImage, match="too large"):
        load_image(png_claiming(30_000, 30_000))
    assert time.perf_counter() - start < 1.0


def test_limits_are_parameters():
    with pytest.raises(InvalidImage, match="too large"):
        load_image(encode(Image.new("RGB", (100, 100)), "PNG"), max_pixels=9_999)
    with pytest.raises(InvalidImage, match="too small"):
        load_image(encode(Image.new("RGB", (4, 40)), "PNG"))


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "empty"), (b"just some text, not a picture", "not a supported image"), (b"%PDF-1.7\n", "not a supported")],
)
def test_non_images_are_named_and_explained(data, message):
    with pytest.raises(InvalidImage, match=message) as error:
        load_image(data, name="holiday.png")
    assert str(error.value).startswith("holiday.png:")


def test_truncated_png_is_refused(tmp_path):
    path = tmp_path / "cut.png"
    path.write_bytes(encode(Image.effect_noise((64, 64), 50), "PNG")[:300])
    with pytest.raises(InvalidImage, match=r"cut\.png"):
        load_image(path)


def test_svg_is_refused():
    with pytest.raises(InvalidImage, match="not a supported image"):
        load_image(b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')


def test_missing_file_is_named(tmp_path):
    with pytest.raises(InvalidImage, match="no such file"):
        load_image(tmp_path / "nothing.png")


def test_transparent_pixels_become_white_not_black():
    image = Image.new("RGBA", (16, 16), (0, 0, 0, 0))
    image.putpixel((0, 0), (255, 0, 0, 255))
    result = load_image(encode(image, "PNG"))
    assert result.getpixel((5, 5)) == (255, 255, 255)
    assert result.getpixel((0, 0)) == (255, 0, 0)


def test_palette_transparency_is_flattened_onto_white():
    image = Image.new("P", (16, 16), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.info["transparency"] = 0
    assert load_image(encode(image, "PNG", transparency=0)).getpixel((3, 3)) == (255, 255, 255)


def test_sixteen_bit_images_are_scaled_not_clipped():
    ramp = (np.linspace(0, 65535, 64 * 16).reshape(16, 64)).astype(np.uint16)
    result = np.asarray(load_image(encode(Image.fromarray(ramp), "PNG")))
    assert result[0, 0, 0] == 0 and result[-1, -1, 0] == 255
    assert 100 < result[8, 32, 0] < 155  # mid-grey stays mid-grey (clipping would make it white)


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 20, 20))  # left half red
    result = load_image(encode(image, "JPEG", quality=95, **with_orientation(image, 6)))
    assert result.size == (20, 40)
    red, _, blue = result.getpixel((10, 5))
    assert red > 200 and blue < 60  # rotated 90° clockwise: the red half is now on top


def test_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (16, 16), colour) for colour in [(255, 0, 0), (0, 255, 0)]]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    assert load_image(buffer.getvalue()).getpixel((8, 8)) == (255, 0, 0)


def test_cmyk_jpeg_becomes_rgb():
    result = load_image(encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG"))
    red, green, blue = result.getpixel((8, 8))
    assert result.mode == "RGB" and red > 200 and green < 60 and blue < 60


def test_arrays_and_pil_images_are_accepted():
    assert load_image(np.zeros((20, 30), np.uint8)).size == (30, 20)
    assert load_image(np.ones((20, 30, 4), np.float32)).getpixel((0, 0)) == (255, 255, 255)
    with pytest.raises(InvalidImage, match="shape"):
        load_image(np.zeros((20, 30, 2), np.uint8))


def test_flatten_alpha_honours_partial_transparency():
    half = Image.new("RGBA", (8, 8), (0, 0, 0, 128))
    assert flatten_alpha(half).getpixel((0, 0)) == (127, 127, 127)


def test_fit_within_keeps_aspect_and_never_upscales():
    assert fit_within(Image.new("RGB", (1000, 500)), 200).size == (200, 100)
    assert fit_within(Image.new("RGB", (100, 50)), 200).size == (100, 50)


def test_make_grid_tiles_row_by_row():
    tiles = [Image.new("RGB", (10, 10), (i * 40, 0, 0)) for i in range(5)]
    grid = make_grid(tiles, columns=3, padding=1)
    assert grid.size == (3 * 10 + 4, 2 * 10 + 3)
    assert grid.getpixel((1 + 11 + 5, 1 + 11 + 5)) == (160, 0, 0)  # fifth tile: row 2, column 2
