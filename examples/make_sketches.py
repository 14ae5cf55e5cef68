"""Draw the example sketches in examples/sketches/ as wobbly pen strokes (python examples/make_sketches.py)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

OUT = Path(__file__).resolve().parent / "sketches"
SIZE = 512


def wobble(points: np.ndarray, rng: np.random.Generator, amount: float = 3.0) -> np.ndarray:
    """A hand is not a ruler: add smooth noise along the stroke (densified first)."""
    steps = np.linspace(0, len(points) - 1, max(len(points), 60))
    points = np.stack([np.interp(steps, np.arange(len(points)), points[:, i]) for i in range(2)], axis=1)
    noise = rng.normal(0, amount, points.shape)
    kernel = np.ones(7) / 7
    noise = np.stack([np.convolve(noise[:, i], kernel, mode="same") for i in range(2)], axis=1)
    return points + noise


def arc(center, radius, start, end, n=80):
    t = np.linspace(np.radians(start), np.radians(end), n)
    return np.stack([center[0] + radius[0] * np.cos(t), center[1] + radius[1] * np.sin(t)], axis=1)


def draw(canvas, strokes, rng, width=9):
    for points in strokes:
        cv2.polylines(canvas, [wobble(points, rng).astype(np.int32)], False, 0, width, cv2.LINE_AA)


def smiley(rng):
    return [
        arc((256, 256), (200, 200), 0, 360),
        arc((185, 200), (22, 30), 0, 360),
        arc((327, 200), (22, 30), 0, 360),
        arc((256, 280), (120, 90), 20, 160),
    ]


def heart(rng):
    t = np.linspace(0, 2 * np.pi, 200)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return [np.stack([256 + 12 * x, 250 + 12 * y], axis=1)]


def cat_face(rng):
    head = arc((256, 290), (190, 160), 0, 360)
    ears = [np.array([[110, 200], [120, 60], [200, 145]]), np.array([[402, 200], [392, 60], [312, 145]])]
    eyes = [arc((190, 270), (20, 26), 0, 360), arc((322, 270), (20, 26), 0, 360)]
    nose = [np.array([[240, 320], [272, 320], [256, 338], [240, 320]])]
    mouth = [arc((235, 345), (22, 18), 0, 180), arc((277, 345), (22, 18), 0, 180)]
    whiskers = [
        np.array([[60, 300], [160, 320]]),
        np.array([[452, 300], [352, 320]]),
        np.array([[70, 360], [165, 345]]),
        np.array([[442, 360], [347, 345]]),
    ]
    return [head, *ears, *eyes, *nose, *mouth, *whiskers]


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for index, (name, shape) in enumerate([("smiley", smiley), ("heart", heart), ("cat-face", cat_face)]):
        rng = np.random.default_rng(index)
        canvas = np.full((SIZE, SIZE), 255, np.uint8)
        draw(canvas, shape(rng), rng)
        cv2.imwrite(str(OUT / f"{name}.png"), canvas)


if __name__ == "__main__":
    main()
