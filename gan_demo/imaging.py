"""Pure image functions: one safe loader for every upload path, plus resizing and grids.

Nothing here imports torch. Every way an input can be unusable ends in one exception type,
`InvalidImage`, whose message names the input and says what is wrong with it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")  # JPEG also opens phone MPO files
# The limits, stated once for the app (every input path), the CLI and the tests:
MAX_PIXELS = 40_000_000  # larger images are refused before decoding (decompression bombs); smaller ones scaled
MAX_FILE_BYTES = 20 * 1024 * 1024  # larger files are refused before they are read
MIN_SIDE = 8  # smaller images carry too little to translate, and break strided convs
WHITE = (255, 255, 255)
LIMITS_TEXT = f"images up to {MAX_FILE_BYTES // 2**20} MB and {MAX_PIXELS // 1_000_000} megapixels"

# Pillow's own bomb check (a warning above the limit, an error above twice it) follows ours, so that no code
# path in the process, Gradio's included, decodes more than MAX_PIXELS without noticing.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

ImageSource = str | os.PathLike | bytes | BinaryIO | Image.Image | np.ndarray

# Everything Pillow raises for a hostile or broken file (its own fuzz harness treats these as expected).
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    MemoryError,
    NotImplementedError,
    OverflowError,
    EOFError,
    TypeError,
    IndexError,
    KeyError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)


class InvalidImage(ValueError):
    """An input that cannot be used as an image; the message is meant for the user."""


def _describe(source: ImageSource, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return "the image"


def load_image(
    source: ImageSource,
    *,
    name: str | None = None,
    max_pixels: int = MAX_PIXELS,
    min_side: int = MIN_SIDE,
) -> Image.Image:
    """Open any supported input and return an upright 8-bit RGB image.

    Accepts a path, bytes, a binary file object, a PIL image or an HxW / HxWxC uint8 array.
    Applies EXIF orientation, takes the first frame of animations, flattens alpha onto white and
    scales 16-bit and float images to 8 bit. Raises `InvalidImage` for everything else.
    """
    label = _describe(source, name)
    if isinstance(source, Image.Image):
        return _normalise(source, label, max_pixels, min_side)
    if isinstance(source, np.ndarray):
        return _normalise(_from_array(source, label), label, max_pixels, min_side)
    data = _read_bytes(source, label)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            warnings.filterwarnings("error", message="Truncated File Read")  # TIFF: partial pixels
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                _check_size(image.size, label, max_pixels, min_side)  # before any pixel is decoded
                image.seek(0)
                image.load()
                return _normalise(image, label, max_pixels, min_side)
    except InvalidImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidImage(f"{label}: the image is too large (a possible decompression bomb)") from None
    except UnidentifiedImageError:
        raise InvalidImage(f"{label}: not a supported image (use PNG, JPEG, WebP, BMP, GIF or TIFF)") from None
    except (*_DECODE_ERRORS, UserWarning) as error:
        raise InvalidImage(f"{label}: the file is damaged or truncated ({error})") from None


def check_file_bytes(size: int, label: str) -> None:
    """Refuse a file of `size` bytes above MAX_FILE_BYTES, with the message every input path gives."""
    if size > MAX_FILE_BYTES:
        raise InvalidImage(f"{label}: the file is larger than {MAX_FILE_BYTES // 2**20} MB")


def decode_data_url(url: str, label: str) -> bytes:
    """The bytes of a base64 `data:` URL, refused by size before anything is decoded."""
    header, _, encoded = url.partition(",")
    if not header.startswith("data:") or not encoded:
        raise InvalidImage(f"{label}: no image data received")
    check_file_bytes(len(encoded) * 3 // 4, label)
    try:
        return base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError):
        raise InvalidImage(f"{label}: the image data is not valid base64") from None


def _read_bytes(source: ImageSource, label: str) -> bytes:
    if isinstance(source, bytes):
        check_file_bytes(len(source), label)
        data = source
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise InvalidImage(f"{label}: no such file")
        check_file_bytes(path.stat().st_size, label)
        data = path.read_bytes()
    elif hasattr(source, "read"):
        data = source.read(MAX_FILE_BYTES + 1)
        check_file_bytes(len(data), label)
    else:
        raise InvalidImage(f"{label}: expected a file, bytes or an image, got {type(source).__name__}")
    if not data:
        raise InvalidImage(f"{label}: the file is empty")
    return data


def _check_size(size: tuple[int, int], label: str, max_pixels: int, min_side: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise InvalidImage(
            f"{label}: {width}×{height} is too large (at most {max_pixels / 1e6:.0f} megapixels; scale it down first)"
        )
    if min(width, height) < min_side:
        raise InvalidImage(f"{label}: {width}×{height} is too small (each side needs ≥ {min_side} px)")


def _from_array(array: np.ndarray, label: str) -> Image.Image:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InvalidImage(f"{label}: expected an H×W, H×W×3 or H×W×4 array, got shape {array.shape}")
    if array.dtype != np.uint8:
        array = _to_uint8(array.astype(np.float64))
    return Image.fromarray(np.ascontiguousarray(array))


def _to_uint8(values: np.ndarray) -> np.ndarray:
    """Scale float data in [0, 1] or integer-valued data up to 16 bit into 0..255."""
    finite = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    peak = float(finite.max()) if finite.size else 0.0
    if peak <= 1.0:
        scaled = finite * 255.0
    elif peak <= 255.0:
        scaled = finite
    else:
        scaled = finite / 257.0  # 16-bit range 0..65535 onto 0..255
    return np.clip(np.round(scaled), 0, 255).astype(np.uint8)


def _normalise(image: Image.Image, label: str, max_pixels: int, min_side: int) -> Image.Image:
    _check_size(image.size, label, max_pixels, min_side)
    with contextlib.suppress(*_DECODE_ERRORS):  # a broken EXIF block must not spoil a good picture
        image = ImageOps.exif_transpose(image) or image
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        image = Image.fromarray(_to_uint8(np.asarray(image, dtype=np.float64)), mode="L")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        return flatten_alpha(image)
    return image.convert("RGB")


def flatten_alpha(image: Image.Image, background: tuple[int, int, int] = WHITE) -> Image.Image:
    """Composite an image with transparency onto a solid background; return RGB."""
    rgba = image.convert("RGBA")
    canvas = Image.new("RGBA", rgba.size, (*background, 255))
    canvas.alpha_composite(rgba)
    return canvas.convert("RGB")


def fit_within(image: Image.Image, max_side: int | None) -> Image.Image:
    """Downscale (never upscale) so that the longer side is at most `max_side`, keeping aspect."""
    if not max_side or max(image.size) <= max_side:
        return image
    scale = max_side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def make_grid(
    images: Sequence[Image.Image],
    *,
    columns: int | None = None,
    padding: int = 2,
    background: tuple[int, int, int] = WHITE,
) -> Image.Image:
    """Tile equally sized images into one picture, row by row (near-square by default)."""
    if not images:
        raise ValueError("make_grid needs at least one image")
    width, height = images[0].size
    columns = columns or math.ceil(math.sqrt(len(images)))
    rows = math.ceil(len(images) / columns)
    grid = Image.new(
        "RGB",
        (columns * width + (columns + 1) * padding, rows * height + (rows + 1) * padding),
        background,
    )
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        grid.paste(
            image.convert("RGB").resize((width, height)),
            (padding + column * (width + padding), padding + row * (height + padding)),
        )
    return grid


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
