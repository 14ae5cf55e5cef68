"""Conversions between PIL images and network tensors in the signed unit range [-1, 1]."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image


def to_signed_unit(image: Image.Image, device: torch.device) -> torch.Tensor:
    """RGB PIL image → [1, 3, H, W] float tensor in [-1, 1]."""
    array = np.asarray(image.convert("RGB"), dtype=np.float32)
    tensor = torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0)
    return (tensor / 127.5 - 1.0).to(device)


def from_signed_unit(batch: torch.Tensor) -> list[Image.Image]:
    """[N, 3, H, W] tensor in [-1, 1] → N RGB PIL images (values outside the range are clipped)."""
    pixels = ((batch.detach().float().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)
    return [Image.fromarray(array) for array in pixels.permute(0, 2, 3, 1).cpu().numpy()]
