"""Unconditional sampling: seed → latent vectors → images."""

from __future__ import annotations

from collections.abc import Callable

import torch
from PIL import Image
from torch import nn

from gan_demo.tasks._tensors import from_signed_unit

MAX_SAMPLES = 64
SEED_MODULUS = 2**32


def latent_vectors(latent_dim: int, n: int, seed: int) -> torch.Tensor:
    """[n, latent_dim] standard normal vectors, identical for a seed on every device.

    Drawn on the CPU with a private generator, so the global RNG is untouched and the same seed
    gives the same latents whether the network then runs on a CPU or a GPU.
    """
    generator = torch.Generator(device="cpu").manual_seed(int(seed) % SEED_MODULUS)
    return torch.randn(n, latent_dim, generator=generator)


@torch.inference_mode()
def sample_images(
    generator: nn.Module,
    *,
    n: int,
    seed: int,
    device: torch.device,
    latent_scale: float = 1.0,
    output_size: int | None = None,
    batch_size: int = 16,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Image.Image]:
    """Draw `n` images from an unconditional generator exposing `latent_dim`.

    latent_scale multiplies z (values below 1 trade variety for fidelity, the "truncation" knob);
    output_size resizes the square outputs (nearest-neighbour upsampling keeps pixels crisp).
    """
    if not 1 <= n <= MAX_SAMPLES:
        raise ValueError(f"number of images must be between 1 and {MAX_SAMPLES}, got {n}")
    if not 0.0 < latent_scale <= 2.0:
        raise ValueError(f"latent scale must be in (0, 2], got {latent_scale}")
    z = latent_vectors(generator.latent_dim, n, seed) * latent_scale
    images: list[Image.Image] = []
    for start in range(0, n, batch_size):
        images += from_signed_unit(generator(z[start : start + batch_size].to(device)))
        if on_progress is not None:
            on_progress(len(images), n)
    if output_size and images[0].size != (output_size, output_size):
        resample = Image.Resampling.NEAREST if output_size > images[0].width else Image.Resampling.LANCZOS
        images = [image.resize((output_size, output_size), resample) for image in images]
    return images
