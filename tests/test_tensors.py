"""The one image ↔ tensor module: ranges, shapes and exact round trips."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from gan_demo.tensors import from_signed_unit, image_to_uint8, to_signed_unit, to_unit, uint8_to_signed


def noise_image(width: int = 7, height: int = 5) -> Image.Image:
    pixels = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    pixels[0, 0], pixels[0, 1] = 0, 255  # both ends of the range
    return Image.fromarray(pixels)


def test_pixels_keep_their_layout_and_values_as_uint8():
    image = noise_image()
    pixels = image_to_uint8(image.convert("RGBA"))
    assert pixels.shape == (3, 5, 7) and pixels.dtype == torch.uint8
    assert np.array_equal(pixels.permute(1, 2, 0).numpy(), np.asarray(image))


def test_the_ranges_map_0_and_255_to_their_ends():
    image = noise_image()
    signed, unit = to_signed_unit(image), to_unit(image)
    assert signed.shape == unit.shape == (1, 3, 5, 7)
    assert signed[0, :, 0, 0].tolist() == [-1.0] * 3 and signed[0, :, 0, 1].tolist() == [1.0] * 3
    assert unit.min() == 0.0 and unit.max() == 1.0
    torch.testing.assert_close(uint8_to_signed(image_to_uint8(image)), signed[0])


def test_signed_tensors_come_back_as_the_same_image_and_out_of_range_values_clip():
    image = noise_image()
    (back,) = from_signed_unit(to_signed_unit(image))
    assert np.array_equal(np.asarray(back), np.asarray(image))
    (clipped,) = from_signed_unit(torch.tensor([-3.0, 0.0, 3.0]).view(1, 3, 1, 1))
    assert clipped.getpixel((0, 0)) == (0, 128, 255)
