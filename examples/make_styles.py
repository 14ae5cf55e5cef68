"""Paint the example style images in examples/styles/ procedurally (python examples/make_styles.py).

Three looks that style transfer can pick up as strokes and texture, not just colour: swirling brush
strokes along a flow field, a stained-glass mosaic with dark leading, and dabs of pointillist colour.
Deterministic (fixed seeds); no third-party content.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

OUT = Path(__file__).resolve().parent / "styles"
SIZE = 384


def _flow_angle(x: float, y: float) -> float:
    """A field of a few vortices: the direction a brush follows at (x, y)."""
    angle = 0.0
    for cx, cy, spin in ((0.3, 0.35, 1.0), (0.72, 0.6, -1.0), (0.45, 0.85, 1.0)):
        dx, dy = x / SIZE - cx, y / SIZE - cy
        angle += spin * np.arctan2(dy, dx) / (1.0 + 8.0 * (dx * dx + dy * dy))
    return angle + np.pi / 2


def swirls(rng: np.random.Generator) -> np.ndarray:
    palette = np.array([[30, 40, 110], [50, 90, 170], [90, 150, 210], [230, 200, 70], [245, 235, 160], [20, 25, 60]])
    canvas = np.full((SIZE, SIZE, 3), (40, 70, 140), np.uint8)
    for _ in range(2600):
        x, y = rng.uniform(0, SIZE, 2)
        colour = palette[rng.choice(len(palette), p=[0.2, 0.25, 0.2, 0.15, 0.1, 0.1])] + rng.integers(-15, 16, 3)
        points = [(x, y)]
        for _ in range(rng.integers(4, 9)):
            angle = _flow_angle(x, y)
            x, y = x + 5 * np.cos(angle), y + 5 * np.sin(angle)
            points.append((x, y))
        line = np.array(points, np.int32).reshape(-1, 1, 2)
        cv2.polylines(canvas, [line], False, (0, 0, 0), 7, cv2.LINE_AA)
        cv2.polylines(canvas, [line], False, tuple(int(c) for c in np.clip(colour, 0, 255)), 5, cv2.LINE_AA)
    return canvas


def mosaic(rng: np.random.Generator) -> np.ndarray:
    palette = np.array([[200, 40, 40], [240, 170, 30], [40, 120, 60], [30, 70, 160], [120, 40, 130], [230, 220, 190]])
    centres = rng.uniform(0, SIZE, (140, 2)).astype(np.float32)
    ys, xs = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    distances = (xs[..., None] - centres[:, 0]) ** 2 + (ys[..., None] - centres[:, 1]) ** 2
    nearest = np.argsort(distances, axis=2)[..., :2]
    first = np.take_along_axis(distances, nearest, 2)
    colours = np.clip(palette[rng.integers(0, len(palette), len(centres))] + rng.integers(-25, 26, (140, 3)), 0, 255)
    canvas = colours[nearest[..., 0]].astype(np.uint8)
    edge = np.sqrt(first[..., 1]) - np.sqrt(first[..., 0]) < 3.0  # near the boundary of two cells: leading
    canvas[edge] = (25, 20, 20)
    return canvas


def dots(rng: np.random.Generator) -> np.ndarray:
    palette = np.array([[235, 120, 40], [250, 210, 80], [60, 160, 170], [30, 90, 140], [240, 240, 225], [170, 60, 90]])
    canvas = np.full((SIZE, SIZE, 3), (245, 235, 210), np.uint8)
    for _ in range(9000):
        x, y = rng.integers(0, SIZE, 2)
        band = int(3 * y / SIZE + rng.normal(0, 0.6))  # warm at the top, cool at the bottom, mixed between
        colour = palette[np.clip(band + rng.integers(0, 3), 0, len(palette) - 1)]
        cv2.circle(canvas, (int(x), int(y)), int(rng.integers(2, 5)), tuple(int(c) for c in colour), -1, cv2.LINE_AA)
    return canvas


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for seed, (name, paint) in enumerate((("swirls", swirls), ("mosaic", mosaic), ("dots", dots))):
        image = paint(np.random.default_rng(seed))
        cv2.imwrite(str(OUT / f"{name}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        print(OUT / f"{name}.png")


if __name__ == "__main__":
    main()
