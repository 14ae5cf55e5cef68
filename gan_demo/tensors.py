"""Image ↔ tensor conversions in one place, for tasks, training and metrics.

Images are RGB PIL images; tensors are [3, H, W] / [N, 3, H, W], either uint8 pixels (how training data is
held in memory), floats in the unit range [0, 1] (feature extractors), or floats in the signed unit range
[-1, 1] (what the generators take and give).
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image


def image_to_uint8(image: Image.Image) -> torch.Tensor:
    """RGB PIL image → [3, H, W] uint8 tensor (a copy: the image can be freed)."""
    return torch.from_numpy(np.array(image.convert("RGB"), dtype=np.uint8)).permute(2, 0, 1)


def uint8_to_signed(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] → float [-1, 1], any shape."""
    return pixels.float() / 127.5 - 1.0


def to_unit(image: Image.Image, device: torch.device | str = "cpu") -> torch.Tensor:
    """RGB PIL image → [1, 3, H, W] float tensor in [0, 1]."""
    return (image_to_uint8(image).unsqueeze(0).float() / 255.0).to(device)


def to_signed_unit(image: Image.Image, device: torch.device | str = "cpu") -> torch.Tensor:
    """RGB PIL image → [1, 3, H, W] float tensor in [-1, 1]."""
    return uint8_to_signed(image_to_uint8(image).unsqueeze(0)).to(device)


def from_signed_unit(batch: torch.Tensor) -> list[Image.Image]:
    """[N, 3, H, W] tensor in [-1, 1] → N RGB PIL images (values outside the range are clipped)."""
    pixels = ((batch.detach().float().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)
    return [Image.fromarray(array) for array in pixels.permute(0, 2, 3, 1).cpu().numpy()]
