"""Photo → sketch: black lines on white, the input pix2pix edges→X models expect.

Two extractors: Canny (Canny 1986) for crisp contours, and XDoG (Winnemöller, Kyprianidis & Olsen 2012),
a thresholded difference of Gaussians that reads more like pen strokes.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

EDGE_METHODS = ("canny", "xdog")
INK_LEVEL = 200  # grey levels below this count as drawn


def _gray(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


def _to_sketch(lines: np.ndarray, stroke: int) -> Image.Image:
    """lines: bool mask of line pixels → RGB black-on-white image, strokes widened to `stroke` px."""
    mask = lines.astype(np.uint8)
    if stroke > 1:
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (stroke, stroke)))
    return Image.fromarray(np.where(mask > 0, 0, 255).astype(np.uint8)).convert("RGB")


def canny_sketch(image: Image.Image, *, threshold: float = 0.5, stroke: int = 1) -> Image.Image:
    """Canny edges; threshold in [0, 1]: higher keeps only the strongest contours."""
    _check_threshold(threshold)
    gray = cv2.GaussianBlur((_gray(image) * 255).astype(np.uint8), (5, 5), 1.2)
    high = 30 + threshold * 220
    return _to_sketch(cv2.Canny(gray, high * 0.4, high) > 0, stroke)


def xdog_sketch(
    image: Image.Image,
    *,
    threshold: float = 0.5,
    sigma: float = 1.2,  # inner Gaussian (px); lines get wider with it
    k: float = 1.6,  # ratio of the outer to the inner Gaussian
    stroke: int = 1,
) -> Image.Image:
    """XDoG lines; threshold in [0, 1]: higher keeps only the strongest lines.

    Ink where the difference of Gaussians falls below −ε: the dark side of every edge, like a pen line,
    with ε growing with `threshold` (the hard-threshold limit of XDoG's soft ramp).
    """
    _check_threshold(threshold)
    gray = _gray(image)
    difference = cv2.GaussianBlur(gray, (0, 0), sigma) - cv2.GaussianBlur(gray, (0, 0), sigma * k)
    epsilon = 0.002 + 0.02 * threshold
    return _to_sketch(difference < -epsilon, stroke)


def photo_to_sketch(
    image: Image.Image, *, method: str = "xdog", threshold: float = 0.5, stroke: int = 1
) -> Image.Image:
    check_edge_options(threshold=threshold, stroke=stroke)
    if method == "canny":
        return canny_sketch(image, threshold=threshold, stroke=stroke)
    if method == "xdog":
        return xdog_sketch(image, threshold=threshold, stroke=stroke)
    raise ValueError(f"unknown edge method {method!r}; choose one of {', '.join(EDGE_METHODS)}")


MAX_STROKE = 9  # px: the Sketch tab's widest traced line


def check_edge_options(*, threshold: float, stroke: int) -> None:
    """Refuse a threshold outside [0, 1] (NaN included) or a line width outside 1 … MAX_STROKE px."""
    _check_threshold(threshold)
    if not 1 <= stroke <= MAX_STROKE:
        raise ValueError(f"line width must be between 1 and {MAX_STROKE} px, got {stroke}")


def _check_threshold(threshold: float) -> None:
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold}")


def stroke_width(sketch: Image.Image) -> float:
    """Typical width (px) of the dark strokes: a stroke w px wide has mean inner distance ≈ (w + 2) / 4."""
    ink = (np.asarray(sketch.convert("L")) < INK_LEVEL).astype(np.uint8)
    if not ink.any():
        return 0.0
    distance = cv2.distanceTransform(ink, cv2.DIST_L2, 3)
    return max(1.0, 4 * float(distance[ink > 0].mean()) - 2)


def match_stroke_width(sketch: Image.Image, target: float) -> Image.Image:
    """Thicken strokes thinner than `target` px (a pen drawing vs the bold line art a model learnt from)."""
    missing = target - stroke_width(sketch)
    if missing < 1:
        return sketch
    size = 2 * round(missing / 2) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return Image.fromarray(cv2.erode(np.asarray(sketch.convert("RGB")), kernel))  # erode white = widen ink
