"""Training sketches that look like what people draw, for sketch → image pix2pix.

The emoji line art of the training pairs is one hand: uniform bold strokes, hatching for colours, and
every emoji framed the same way. People draw thinner, looser lines, placed a little off-centre. Two
augmentations close part of that gap, both drawn from a seeded `torch.Generator`:

  - `trace_targets`: replace some sketches by lines traced from their colour image with the app's own
    XDoG / Canny tracer (gan_demo.tasks.edges), widened like the Sketch tab widens a drawing;
  - `affine_pairs`: one small random rotation, scaling and shift applied to a sketch and its target
    alike, so the pair stays aligned (the "random jitter" of pix2pix, Isola et al. 2017, §6.2).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from gan_demo.edges import canny_sketch, match_stroke_width, xdog_sketch

TRACE_STROKE = 6.0  # px at 128 px: the Sketch tab's min_stroke for emoji-sketch


def _uniform(n: int, generator: torch.Generator, low: float, high: float) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator)


def trace_image(colour: Image.Image, *, method: str, threshold: float, stroke: float) -> Image.Image:
    """Black-on-white lines of a colour image, strokes widened to about `stroke` px (as the app does)."""
    tracer = xdog_sketch if method == "xdog" else canny_sketch
    return match_stroke_width(tracer(colour, threshold=threshold), stroke)


def trace_targets(
    sketches: torch.Tensor,  # [N, 3, H, W] uint8 line art
    targets: torch.Tensor,  # [N, 3, H, W] uint8 colour images, paired with the sketches
    generator: torch.Generator,
    *,
    fraction: float,  # share of the batch replaced by traces, in [0, 1]
    stroke: float = TRACE_STROKE,
) -> torch.Tensor:
    """The sketches, a random `fraction` of them replaced by XDoG or Canny traces of their targets.

    The tracer, its threshold (0.2 … 0.8) and the choice of images are drawn from `generator`.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction}")
    n = sketches.shape[0]
    chosen = torch.rand(n, generator=generator) < fraction
    use_xdog = torch.rand(n, generator=generator) < 0.5
    thresholds = _uniform(n, generator, 0.2, 0.8)
    out = sketches.clone()
    for index in chosen.nonzero().flatten().tolist():
        colour = Image.fromarray(targets[index].permute(1, 2, 0).numpy())
        method = "xdog" if use_xdog[index] else "canny"
        traced = trace_image(colour, method=method, threshold=float(thresholds[index]), stroke=stroke)
        out[index] = torch.from_numpy(np.asarray(traced).copy()).permute(2, 0, 1)
    return out


def affine_pairs(
    sketch: torch.Tensor,  # [N, C, H, W] in [-1, 1], white background
    target: torch.Tensor,  # [N, C', H, W] in [-1, 1], paired with the sketch
    generator: torch.Generator,
    *,
    degrees: float = 8.0,  # largest rotation either way
    scale: tuple[float, float] = (0.9, 1.1),  # range of the zoom factor
    shift: float = 0.06,  # largest shift, as a fraction of the side
) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate, zoom and shift each sketch and its target by the same random amount; uncovered pixels are white."""
    n = sketch.shape[0]
    angle = _uniform(n, generator, -degrees, degrees) * math.pi / 180
    zoom = _uniform(n, generator, *scale)
    offset = _uniform(2 * n, generator, -2 * shift, 2 * shift).view(n, 2)  # affine_grid spans [-1, 1]: side = 2
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack([torch.stack([cos, -sin, offset[:, 0]], 1), torch.stack([sin, cos, offset[:, 1]], 1)], 1)

    def warp(x: torch.Tensor) -> torch.Tensor:
        grid = F.affine_grid(theta.to(x), list(x.shape), align_corners=False)
        # Sample x − 1 with zero padding and add 1 back: outside the image reads as white (+1).
        return F.grid_sample(x - 1.0, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + 1.0

    return warp(sketch), warp(target)
