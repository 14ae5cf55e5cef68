"""Sketch → image with a pix2pix generator: frame the drawing as the training sketches were, then translate."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps
from torch import nn

from gan_demo.edges import INK_LEVEL, match_stroke_width
from gan_demo.specs import SketchOptions
from gan_demo.tensors import from_signed_unit, to_signed_unit

MIN_INK_PIXELS = 12
FRAMED_FILL = (0.85, 0.97)  # the ink's share of the side of a drawing framed already (framed_already)


class BlankSketch(ValueError):
    """Nothing was drawn."""


def ink_box(sketch: Image.Image) -> tuple[int, int, int, int] | None:
    """Bounding box (left, top, right, bottom) of the dark pixels, or None for a blank canvas."""
    dark = np.asarray(sketch.convert("L")) < INK_LEVEL
    if dark.sum() < MIN_INK_PIXELS:
        return None
    rows, cols = np.flatnonzero(dark.any(axis=1)), np.flatnonzero(dark.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def framed_already(canvas: tuple[int, int], box: tuple[int, int, int, int], size: int) -> bool:
    """Whether a drawing already sits in its canvas as the training line art does, so framing would only move it:
    an image at the model's own size × size (the size of its training pairs: line art prepared like them, which
    may touch the border or be small, as Fluent line art is), or a square canvas whose ink spans FRAMED_FILL of
    its side and keeps clear of its border (the Fluent line art: 0.94 of the side, 4 px of 128 from the border).
    Any other drawing, one that runs off the canvas or crowds its edge included, is framed."""
    if canvas == (size, size):
        return True
    width, height = canvas
    side = max(width, height)
    gap = min(box[0], box[1], width - box[2], height - box[3])
    fill = max(box[2] - box[0], box[3] - box[1]) / side
    low, high = FRAMED_FILL
    return abs(width - height) <= 0.02 * side and low <= fill <= high and gap >= 0.01 * side


def frame_sketch(sketch: Image.Image, size: int, *, margin: float = 0.06, fit_to_ink: bool = True) -> Image.Image:
    """Crop to the drawing (plus a margin), centre it on a white square and resize to size × size.

    Emoji fill their frame; a small drawing in a corner of a large canvas is framed the same way. A drawing
    framed already (framed_already) is only resized, so the output lines up with it pixel for pixel, as a
    paired translation should. Raises BlankSketch when nothing is drawn.
    """
    sketch = sketch.convert("RGB")
    box = ink_box(sketch)
    if box is None:
        raise BlankSketch("the sketch is blank: draw something first (dark strokes on white)")
    fit_to_ink = fit_to_ink and not framed_already(sketch.size, box, size)
    if fit_to_ink:
        sketch = sketch.crop(box)
    side = max(sketch.size)
    side = round(side * (1 + 2 * margin)) if fit_to_ink else side
    canvas = Image.new("RGB", (side, side), (255, 255, 255))
    canvas.paste(sketch, ((side - sketch.width) // 2, (side - sketch.height) // 2))
    canvas = ImageOps.autocontrast(canvas.convert("L"), cutoff=0).convert("RGB") if fit_to_ink else canvas
    return canvas.resize((size, size), Image.Resampling.LANCZOS)


@torch.inference_mode()
def sketch_to_image(
    generator: nn.Module,
    sketch: Image.Image,
    *,
    device: torch.device,
    size: int,
    fit_to_ink: bool = True,
    min_stroke: float | None = None,
    mirror_average: bool = False,
    siblings: nn.Module | None = None,
) -> tuple[Image.Image, Image.Image]:
    """(the framed sketch the model saw, the generated image), both size × size.

    fit_to_ink frames the drawing like the training sketches; min_stroke (px at `size`) thickens thin
    pen strokes to the width the model was trained on. mirror_average also colours the left-right mirrored
    sketch, mirrors that result back and averages the two (test-time augmentation; the model was trained on
    flipped pairs too): each pixel's L1 error is then at most the mean of the two guesses' errors.
    siblings (a SiblingColours bank) blends in the colours of a training drawing the sketch nearly repeats.
    """
    framed = frame_sketch(sketch, size, fit_to_ink=fit_to_ink)
    if min_stroke:
        framed = match_stroke_width(framed, min_stroke)
    batch = to_signed_unit(framed, device)
    if mirror_average:  # both in one pass of the generator
        output, mirrored = _translate(generator, torch.cat([batch, batch.flip(-1)])).split(1)
        output = (output + mirrored.flip(-1)) / 2
    else:
        output = _translate(generator, batch)
    if siblings is not None:
        output = siblings(batch, output)
    return framed, from_signed_unit(output)[0]


@torch.inference_mode()
def colour_hint(generator: nn.Module, seen: Image.Image, *, device: torch.device) -> Image.Image | None:
    """The colour hint an exemplar-guided generator takes for `seen` (the framed sketch sketch_to_image
    returns): its bank's nearest training image, enlarged as the model sees it. None without a bank."""
    if not getattr(generator, "exemplar_side", 0) or not len(generator.exemplar_keys):
        return None
    return from_signed_unit(generator.look_up(to_signed_unit(seen, device)))[0]


@torch.inference_mode()
def borrowed_colours(siblings: nn.Module | None, seen: Image.Image, *, device: torch.device) -> tuple | None:
    """(the training emoji whose colours a sibling bank blends into the result for `seen`, the largest share of
    any pixel it takes), or None: no bank, or no sibling near enough to count."""
    if siblings is None:
        return None
    batch = to_signed_unit(seen, device)
    found = siblings.borrowed(batch)[0]
    if found is None:
        return None
    index, peak = found
    return from_signed_unit(siblings.colour_image(index, tuple(batch.shape[-2:])))[0], peak


def _translate(generator: nn.Module, batch: torch.Tensor) -> torch.Tensor:
    """The generator's output for an [N, 3, H, W] batch, padded with white to its size multiple and cropped back."""
    height, width = batch.shape[-2:]
    multiple = getattr(generator, "size_multiple", 1)
    pad_bottom, pad_right = -height % multiple, -width % multiple
    if pad_bottom or pad_right:  # white (= +1) padding: the background of a sketch
        batch = F.pad(batch, (0, pad_right, 0, pad_bottom), value=1.0)
    return generator(batch)[..., :height, :width]


def sketch_options(options: SketchOptions) -> dict:
    """The sketch_to_image arguments a model's sketch options ask for."""
    return {
        "fit_to_ink": options.frame_sketch,
        "min_stroke": options.min_stroke,
        "mirror_average": options.mirror_average,
    }
