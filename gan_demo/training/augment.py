"""Differentiable augmentation: Zhao, Liu, Lin, Zhu & Han, "Differentiable Augmentation for Data-Efficient
GAN Training", NeurIPS 2020.

The discriminator only ever sees augmented images, real and fake alike, and the augmentations are
differentiable, so the generator's gradient passes through them. D cannot memorise a small training set,
and G is not taught to produce the augmentations (they are applied to its output, not learnt).

Policies are comma-separated names of `TRANSFORMS`: "color,translation,cutout" is the paper's choice for
small data. Each transform draws its own random parameters per image from `generator`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Transform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def _uniform(x: torch.Tensor, generator: torch.Generator, low: float = 0.0, high: float = 1.0) -> torch.Tensor:
    """One number per image, shaped to broadcast over [N, C, H, W]."""
    u = torch.rand(x.shape[0], 1, 1, 1, generator=generator).to(x.device, x.dtype)
    return low + (high - low) * u


def color(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random brightness (±0.5), saturation (×0 … 2) and contrast (×0.5 … 1.5), on [-1, 1] images."""
    x = x + _uniform(x, generator, -0.5, 0.5)
    grey = x.mean(dim=1, keepdim=True)
    x = (x - grey) * _uniform(x, generator, 0.0, 2.0) + grey
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * _uniform(x, generator, 0.5, 1.5) + mean


def translation(x: torch.Tensor, generator: torch.Generator, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to `ratio` of its size in whole pixels; uncovered pixels repeat the border."""
    n, _, h, w = x.shape
    max_dy, max_dx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-max_dy, max_dy + 1, (n,), generator=generator)
    dx = torch.randint(-max_dx, max_dx + 1, (n,), generator=generator)
    rows = (torch.arange(h)[None, :] - dy[:, None]).clamp(0, h - 1)  # [N, H] source row of each output row
    cols = (torch.arange(w)[None, :] - dx[:, None]).clamp(0, w - 1)
    index = (rows[:, :, None] * w + cols[:, None, :]).reshape(n, 1, h * w).to(x.device)
    return x.flatten(2).gather(2, index.expand(n, x.shape[1], h * w)).reshape_as(x)


def cutout(x: torch.Tensor, generator: torch.Generator, ratio: float = 0.5) -> torch.Tensor:
    """Blank a random square of `ratio` × the image side in each image (set to 0, mid-grey in [-1, 1])."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h - ch + 1, (n, 1, 1), generator=generator)
    left = torch.randint(0, w - cw + 1, (n, 1, 1), generator=generator)
    ys, xs = torch.arange(h)[None, :, None], torch.arange(w)[None, None, :]
    inside = (ys >= top) & (ys < top + ch) & (xs >= left) & (xs < left + cw)
    return x * (~inside).unsqueeze(1).to(x.device, x.dtype)


TRANSFORMS: dict[str, Transform] = {"color": color, "translation": translation, "cutout": cutout}


def parse_policy(policy: str) -> list[Transform]:
    names = [name.strip() for name in policy.split(",") if name.strip()]
    unknown = [name for name in names if name not in TRANSFORMS]
    if unknown:
        raise ValueError(f"unknown augmentation {', '.join(unknown)}; choose from {', '.join(TRANSFORMS)}")
    return [TRANSFORMS[name] for name in names]


def diff_augment(x: torch.Tensor, policy: str, generator: torch.Generator) -> torch.Tensor:
    """Apply every transform of `policy` in order (an empty policy returns `x`)."""
    for transform in parse_policy(policy):
        x = transform(x, generator)
    return x
