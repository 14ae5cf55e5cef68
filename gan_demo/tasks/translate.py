"""Image-to-image translation with a fully convolutional generator, at any input size."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from gan_demo.imaging import fit_within
from gan_demo.tensors import from_signed_unit, to_signed_unit

MAX_SIDE_LIMIT = 2048
MIN_NETWORK_SIDE = 32  # narrower inputs are padded: reflection padding and strided convs need room


def pad_to_multiple(
    batch: torch.Tensor, multiple: int, *, min_side: int = MIN_NETWORK_SIDE
) -> tuple[torch.Tensor, tuple[int, int]]:
    """Pad right/bottom so H and W are multiples of `multiple` and at least `min_side`; returns the padded
    batch and the original (H, W), to crop the output back to.

    A 4000 × 10 photo scaled to 512 × 1 still translates: the network sees 512 × 32. Reflection keeps
    borders natural; it needs the pad to be smaller than the side, so thin images replicate the edge.
    """
    height, width = batch.shape[-2:]
    pad_h = max(-height % multiple, _round_up(min_side, multiple) - height)
    pad_w = max(-width % multiple, _round_up(min_side, multiple) - width)
    if pad_h or pad_w:
        mode = "reflect" if pad_h < height and pad_w < width else "replicate"
        batch = F.pad(batch, (0, pad_w, 0, pad_h), mode=mode)
    return batch, (height, width)


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def check_max_side(max_side: int | None) -> None:
    """Refuse a max side outside 16 … MAX_SIDE_LIMIT px (None: keep the image's size)."""
    if max_side is not None and not 16 <= max_side <= MAX_SIDE_LIMIT:
        raise ValueError(f"max side must be between 16 and {MAX_SIDE_LIMIT} px, got {max_side}")


@torch.inference_mode()
def translate_image(
    generator: nn.Module,
    image: Image.Image,
    *,
    device: torch.device,
    max_side: int | None = 512,
    work_side: int | None = None,
) -> Image.Image:
    """Translate one RGB image; keeps its aspect ratio, downscaling so the longer side ≤ max_side.

    work_side: run the network at most at this size and upscale its output back (for models trained on
    small images, whose filters only know that scale).
    """
    check_max_side(max_side)
    image = fit_within(image.convert("RGB"), max_side)
    if work_side and max(image.size) > work_side:
        small = translate_image(generator, fit_within(image, work_side), device=device, max_side=None)
        return small.resize(image.size, Image.Resampling.BICUBIC)
    multiple = getattr(generator, "size_multiple", 1)
    batch, (height, width) = pad_to_multiple(to_signed_unit(image, device), multiple)
    output = generator(batch)[..., :height, :width]
    return from_signed_unit(output)[0]


def other_direction(role: str) -> str:
    return {"a2b": "b2a", "b2a": "a2b"}[role]


@torch.inference_mode()
def cycle_reconstruction(
    forward: nn.Module,
    backward: nn.Module,
    image: Image.Image,
    *,
    device: torch.device,
    max_side: int | None = 512,
    work_side: int | None = None,
) -> tuple[Image.Image, Image.Image, float]:
    """CycleGAN's round trip x → G(x) → F(G(x)): (translated, reconstructed, mean |F(G(x)) − x| in [0, 1]).

    A small error means the translation kept the content needed to undo it (the cycle-consistency loss).
    """
    source = fit_within(image.convert("RGB"), max_side)
    translated = translate_image(forward, source, device=device, max_side=None, work_side=work_side)
    reconstructed = translate_image(backward, translated, device=device, max_side=None, work_side=work_side)
    original = torch.from_numpy(np.asarray(source, dtype=np.float32) / 255.0)
    back = torch.from_numpy(np.asarray(reconstructed, dtype=np.float32) / 255.0)
    return translated, reconstructed, float((original - back).abs().mean())


@dataclass(frozen=True)
class Translation:
    """One translated picture and, when asked for with a way back, its cycle reconstruction."""

    source: Image.Image  # the input as the network received it (scaled to max_side)
    result: Image.Image
    reconstruction: Image.Image | None = None
    cycle_error: float | None = None  # mean |F(G(x)) − x| in [0, 1], with a reconstruction


def translate_there_and_back(
    forward: nn.Module,
    image: Image.Image,
    *,
    device: torch.device,
    backward: nn.Module | None = None,
    max_side: int | None = 512,
    work_side: int | None = None,
) -> Translation:
    """Translate `image`; with a `backward` generator, also reconstruct it and measure the cycle error."""
    source = fit_within(image.convert("RGB"), max_side)
    if backward is None:
        return Translation(source, translate_image(forward, source, device=device, max_side=None, work_side=work_side))
    result, back, error = cycle_reconstruction(
        forward, backward, source, device=device, max_side=None, work_side=work_side
    )
    return Translation(source, result, back, error)
