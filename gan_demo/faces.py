"""Face framing for models trained on aligned face crops (StarGAN's CelebA model): find the face, crop the
square such a training image shows, and paste the edited square back into the whole photo with a soft edge.

Faces are found with OpenCV's frontal-face Haar cascade (Viola & Jones 2001; Lienhart's cascade, shipped
with OpenCV 4), offline and in a few milliseconds on a CPU. The square follows CelebA's alignment: in the
178 × 178 centre crop StarGAN trains on, the eyes sit 51 % down and about 22 % of the side apart, which
puts a cascade box (≈ 2.4 eye distances wide, eyes ≈ 38 % down it) at about half the crop's width.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageFilter

SIDE_PER_FACE = 1.8  # crop side / cascade box width (the box spans brows to chin; CelebA crops keep hair and neck)
TOP_ABOVE_FACE = 0.59  # the crop's top lies this many box widths above the box's top
MIN_FACE_FRACTION = 0.06  # ignore boxes narrower than this share of the photo's shorter side
DETECT_SIDE = 640  # search a copy of the photo at most this large (faster, same boxes)


class FaceNotFound(ValueError):
    """No face in the photo; the message offers the whole image instead."""


@dataclass(frozen=True)
class Square:
    """A square region of a photo, in its pixels; may reach outside the photo (padded when cropped)."""

    left: int
    top: int
    side: int

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.left, self.top, self.left + self.side, self.top + self.side


@lru_cache(maxsize=1)
def _cascade():
    import cv2  # imported on first use: the other tasks never need OpenCV's detector

    path = f"{cv2.data.haarcascades}haarcascade_frontalface_default.xml"
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise RuntimeError(f"OpenCV's face cascade is missing ({path}); reinstall opencv-python-headless 4.x")
    return cascade


def find_faces(photo: Image.Image) -> list[tuple[int, int, int, int]]:
    """Face boxes (left, top, width, height) in the photo's pixels, largest first."""
    import cv2

    scale = min(1.0, DETECT_SIDE / max(photo.size))
    small = photo.convert("L").resize((max(1, round(photo.width * scale)), max(1, round(photo.height * scale))))
    grey = cv2.equalizeHist(np.asarray(small))
    smallest = max(20, round(MIN_FACE_FRACTION * min(small.size)))
    boxes = _cascade().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(smallest, smallest))
    found = [tuple(round(v / scale) for v in box) for box in (boxes if len(boxes) else [])]
    return sorted(found, key=lambda box: -box[2] * box[3])


def face_square(face: tuple[int, int, int, int]) -> Square:
    """The CelebA-style square around one cascade box."""
    left, top, width, _ = face
    side = round(SIDE_PER_FACE * width)
    return Square(left=round(left + width / 2 - side / 2), top=round(top - TOP_ABOVE_FACE * width), side=side)


def frame_face(photo: Image.Image) -> Square:
    """The square to edit: around the largest face. Raises FaceNotFound."""
    faces = find_faces(photo)
    if not faces:
        raise FaceNotFound("no face found in the photo; edit the whole image instead")
    return face_square(faces[0])


def crop_square(photo: Image.Image, square: Square) -> Image.Image:
    """The square's pixels; parts outside the photo repeat its edge pixels (as CelebA's crops never do)."""
    pixels = np.asarray(photo.convert("RGB"))
    height, width = pixels.shape[:2]
    rows = np.clip(np.arange(square.top, square.top + square.side), 0, height - 1)
    cols = np.clip(np.arange(square.left, square.left + square.side), 0, width - 1)
    return Image.fromarray(pixels[rows][:, cols])


def paste_square(photo: Image.Image, edited: Image.Image, square: Square, *, feather: float = 0.08) -> Image.Image:
    """The photo with `edited` (any size; scaled to the square) blended in; the edge fades over `feather`·side."""
    photo = photo.convert("RGB")
    patch = edited.convert("RGB").resize((square.side, square.side), Image.Resampling.LANCZOS)
    inset = max(1, round(feather * square.side))
    mask = Image.new("L", (square.side, square.side), 0)
    mask.paste(255, (inset, inset, square.side - inset, square.side - inset))
    mask = mask.filter(ImageFilter.GaussianBlur(inset / 2))
    result = photo.copy()
    result.paste(patch, (square.left, square.top), mask)  # PIL clips what lies outside the photo
    return result
