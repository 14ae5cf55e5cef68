"""Unconditional sampling: seed → latent vectors → images, and walks through the latent space."""

from __future__ import annotations

import atexit
import io
import math
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from PIL import Image
from torch import nn

from gan_demo.tensors import from_signed_unit

MAX_SAMPLES = 64
MAX_FRAMES = 120
SEED_MODULUS = 2**32
OUTPUT_SIZES = (16, 1024)  # smallest and largest side of a resized output (px)
INTERPOLATIONS = ("slerp", "linear")


def check_seed(seed: int) -> int:
    """A seed as the app and the CLI accept it: a whole number in [0, 2³²)."""
    if not 0 <= seed < SEED_MODULUS:
        raise ValueError(f"seeds go from 0 to {SEED_MODULUS - 1}, got {seed}")
    return int(seed)


def truncated_normal(shape: tuple[int, ...], threshold: float, generator: torch.Generator) -> torch.Tensor:
    """Standard normal values conditioned on |z| ≤ threshold, by inverse-CDF sampling.

    One uniform draw per value, mapped through Φ⁻¹ restricted to [Φ(−t), Φ(t)]: the cost does not depend on
    the threshold (rejection sampling needs ~1/(2Φ(t) − 1) draws per value, unbounded as t → 0).
    """
    if not (math.isfinite(threshold) and threshold > 0):
        raise ValueError(f"truncation threshold must be a positive number, got {threshold}")
    low = torch.special.ndtr(torch.tensor(-threshold, dtype=torch.float64))
    uniform = torch.rand(shape, generator=generator, dtype=torch.float64)
    z = torch.special.ndtri(low + (1 - 2 * low) * uniform)
    return z.clamp(-threshold, threshold).float()  # rounding at the ends of the range


def latent_vectors(latent_dim: int, n: int, seed: int, *, truncation: float | None = None) -> torch.Tensor:
    """[n, latent_dim] standard normal vectors, identical for a seed on every device.

    Drawn on the CPU with a private generator, so the global RNG is untouched and the same seed
    gives the same latents whether the network then runs on a CPU or a GPU.

    truncation: the truncation trick of BigGAN (Brock, Donahue & Simonyan 2019): the components are drawn
    from the normal distribution cut at ±threshold. Lower thresholds give more typical, less varied
    images. The first image of a seed does not depend on n.
    """
    generator = torch.Generator(device="cpu").manual_seed(check_seed(seed))
    rows = []
    for _ in range(n):  # row by row, so image i of a seed is the same whatever n is
        if truncation is None:
            rows.append(torch.randn(latent_dim, generator=generator))
        else:
            rows.append(truncated_normal((latent_dim,), truncation, generator))
    return torch.stack(rows)


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between two latent vectors for each t in [0, 1] → [len(t), D].

    In high dimensions Gaussian samples lie near a sphere of radius √D; a straight line between two of them
    dips towards the origin, where images turn bland. The great-circle path keeps the norm
    (White, "Sampling Generative Networks", 2016). Falls back to a straight line for parallel vectors.
    """
    t = t.reshape(-1, 1).to(a.dtype)
    cos = torch.dot(a, b) / (a.norm() * b.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    if omega.abs() < 1e-4:
        return (1 - t) * a + t * b
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def walk_latents(
    latent_dim: int,
    seed_a: int,
    seed_b: int,
    frames: int,
    *,
    interpolation: str = "slerp",
    truncation: float | None = None,
) -> torch.Tensor:
    """[frames, latent_dim]: from image #0 of seed_a to image #0 of seed_b, both ends included."""
    if not 2 <= frames <= MAX_FRAMES:
        raise ValueError(f"frames must be between 2 and {MAX_FRAMES}, got {frames}")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {', '.join(INTERPOLATIONS)}, got {interpolation!r}")
    a = latent_vectors(latent_dim, 1, seed_a, truncation=truncation)[0]
    b = latent_vectors(latent_dim, 1, seed_b, truncation=truncation)[0]
    t = torch.linspace(0.0, 1.0, frames)
    if interpolation == "slerp":
        return slerp(a, b, t)
    return (1 - t[:, None]) * a + t[:, None] * b


def animation_bytes(frames: list[Image.Image], *, fps: float = 12.0, boomerang: bool = True) -> bytes:
    """An endlessly looping animated GIF of the frames (played forward then back when `boomerang`)."""
    if not frames:
        raise ValueError("no frames to animate")
    if not 1 <= fps <= 50:
        raise ValueError(f"frames per second must be between 1 and 50, got {fps}")
    sequence = frames + frames[-2:0:-1] if boomerang and len(frames) > 2 else frames
    buffer = io.BytesIO()
    sequence[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=sequence[1:],
        duration=round(1000 / fps),
        loop=0,
        optimize=False,
        disposal=1,
    )
    return buffer.getvalue()


@torch.inference_mode()
def sample_images(
    generator: nn.Module,
    *,
    n: int,
    seed: int,
    device: torch.device,
    latent_scale: float = 1.0,
    truncation: float | None = None,
    output_size: int | None = None,
    upscaler: nn.Module | None = None,
    batch_size: int = 16,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Image.Image]:
    """Draw `n` images from an unconditional generator exposing `latent_dim`.

    latent_scale multiplies z (values below 1 trade variety for fidelity); truncation redraws components
    beyond a threshold (see `latent_vectors`); output_size resizes the square outputs (see `render_latents`
    for the model's own upscaler).
    """
    if not 1 <= n <= MAX_SAMPLES:
        raise ValueError(f"number of images must be between 1 and {MAX_SAMPLES}, got {n}")
    z = latent_vectors(generator.latent_dim, n, seed, truncation=truncation)
    return render_latents(
        generator,
        z,
        device=device,
        latent_scale=latent_scale,
        output_size=output_size,
        upscaler=upscaler,
        batch_size=batch_size,
        on_progress=on_progress,
    )


@torch.inference_mode()
def render_latents(
    generator: nn.Module,
    z: torch.Tensor,
    *,
    device: torch.device,
    latent_scale: float = 1.0,
    output_size: int | None = None,
    upscaler: nn.Module | None = None,
    batch_size: int = 16,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Image.Image]:
    """Latent vectors [N, latent_dim] → N images, in batches; outputs resized to output_size² when given.

    Enlarging goes through the model's `upscaler` (a learned ×2, see models/upscaler.py) when it has one and
    the output is to be at least twice the generator's side, then bicubic interpolation to the size asked;
    shrinking uses Lanczos.
    """
    if not 0.0 < latent_scale <= 2.0:
        raise ValueError(f"latent scale must be in (0, 2], got {latent_scale}")
    if output_size is not None and not OUTPUT_SIZES[0] <= output_size <= OUTPUT_SIZES[1]:
        raise ValueError(f"output size must be between {OUTPUT_SIZES[0]} and {OUTPUT_SIZES[1]} px, got {output_size}")
    z = z * latent_scale
    images: list[Image.Image] = []
    for start in range(0, len(z), batch_size):
        batch = generator(z[start : start + batch_size].to(device))
        if upscaler is not None and output_size and output_size >= upscaler.scale * batch.shape[-1]:
            batch = upscaler(batch.float())
        images += from_signed_unit(batch)
        if on_progress is not None:
            on_progress(len(images), len(z))
    if output_size and images[0].size != (output_size, output_size):
        resample = Image.Resampling.BICUBIC if output_size > images[0].width else Image.Resampling.LANCZOS
        images = [image.resize((output_size, output_size), resample) for image in images]
    return images


def render_walk(
    generator: nn.Module,
    seed_a: int,
    seed_b: int,
    frames: int,
    *,
    device: torch.device,
    interpolation: str = "slerp",
    truncation: float | None = None,
    latent_scale: float = 1.0,
    output_size: int | None = None,
    upscaler: nn.Module | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Image.Image]:
    """The frames of a latent walk from image #0 of seed_a to image #0 of seed_b (see `walk_latents`)."""
    z = walk_latents(generator.latent_dim, seed_a, seed_b, frames, interpolation=interpolation, truncation=truncation)
    return render_latents(
        generator,
        z,
        device=device,
        latent_scale=latent_scale,
        output_size=output_size,
        upscaler=upscaler,
        on_progress=on_progress,
    )


class WalkFolder:
    """A private temporary folder for walk GIFs: made on the first write, removed at exit.

    A server hands the file to Gradio, which serves its own copy, so files older than `max_age_s` go.
    """

    def __init__(self, *, max_age_s: float = 3600.0) -> None:
        self._path: Path | None = None
        self._max_age_s = max_age_s

    def write(self, name: str, frames: list[Image.Image], *, fps: float) -> Path:
        """Write the looping GIF of `frames` as `name`; returns its path."""
        data = animation_bytes(frames, fps=fps)
        if self._path is None:
            self._path = Path(tempfile.mkdtemp(prefix="gan-demo-walks-"))
            atexit.register(shutil.rmtree, self._path, ignore_errors=True)
        cutoff = time.time() - self._max_age_s
        for path in self._path.glob("*.gif"):
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        path = self._path / name
        path.write_bytes(data)
        return path
