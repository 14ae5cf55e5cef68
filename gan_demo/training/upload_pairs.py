"""Input → target pairs for pix2pix from uploads, three ways, into `source/` and `target/` with equal names.

- by name: two sets whose files share a base name (case and extension ignored);
- side by side: each image holds the pair as two halves, the layout of the pix2pix datasets
  (Isola et al. 2017, "Image-to-Image Translation with Conditional Adversarial Networks");
- from photos: each photo is the target and its sketch, traced as the Sketch tab traces, the input.

The folders are what the PAIRS data kind loads. Uploads are read as in `uploads` (same loader, caps, reasons).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from gan_demo.edges import EDGE_METHODS, photo_to_sketch
from gan_demo.imaging import MIN_SIDE
from gan_demo.training.uploads import (
    MIN_IMAGES,
    Accepted,
    Collected,
    Skipped,
    Upload,
    UploadLimits,
    UploadReport,
    Writer,
    collect,
    fresh_folder,
    merge,
    png_writer,
    report_from,
    shrink,
)

MAX_PAIR_ASPECT_GAP = 0.03  # input and target aspect ratios may differ by this fraction (rounding when shrunk)
MIN_AB_ASPECT = 1.25  # a side-by-side image is at least this much wider than tall (two portrait halves: 1.33)


def pairs_from_named(
    sources: Sequence[Upload],
    targets: Sequence[Upload],
    work_dir: Path,
    *,
    limits: UploadLimits = UploadLimits(),  # applied to each set on its own
    min_count: int = MIN_IMAGES,  # pairs
) -> UploadReport:
    """Pairs from two sets matched by base name: "Cat.jpg" in the inputs goes with "cat.png" in the targets."""
    work_dir = Path(work_dir)
    staged = {key: fresh_folder(work_dir / f".staging-{key}") for key in ("source", "target")}
    inputs = collect(sources, limits=limits, write=png_writer(staged["source"], limits.work_size), group="inputs")
    outputs = collect(targets, limits=limits, write=png_writer(staged["target"], limits.work_size), group="targets")
    folders = {key: fresh_folder(work_dir / key) for key in ("source", "target")}
    paired_in, paired_out, unmatched = match_by_name(inputs.accepted, outputs.accepted)
    paired_in, paired_out, misshapen = same_shapes(paired_in, paired_out, staged["source"], staged["target"])
    renamed = [Accepted(t.name, t.key, s.file) for s, t in zip(paired_in, paired_out, strict=True)]  # input's name
    for source, target in zip(paired_in, paired_out, strict=True):
        os.replace(staged["source"] / source.file, folders["source"] / source.file)
        os.replace(staged["target"] / target.file, folders["target"] / source.file)
    for folder in staged.values():
        shutil.rmtree(folder)
    totals = merge(inputs, outputs)
    totals.skipped += unmatched + misshapen
    sets = {
        "source": (folders["source"], Collected(accepted=paired_in)),
        "target": (folders["target"], Collected(accepted=renamed)),
    }
    return report_from("pairs", sets, totals, min_count=min_count)


def match_by_name(
    inputs: list[Accepted], targets: list[Accepted]
) -> tuple[list[Accepted], list[Accepted], list[Skipped]]:
    """Inputs and targets with the same key, in input order, and every image left without a partner."""
    by_key: dict[str, Accepted] = {}
    skipped = []
    for target in targets:
        if target.key in by_key:
            skipped.append(Skipped(target.name, f"same name as {by_key[target.key].name}", "targets"))
        else:
            by_key[target.key] = target
    paired_in, paired_out, used = [], [], set()
    for source in inputs:
        if source.key in used:
            skipped.append(Skipped(source.name, "another input has the same name", "inputs"))
        elif source.key in by_key:
            paired_in.append(source)
            paired_out.append(by_key[source.key])
            used.add(source.key)
        else:
            skipped.append(Skipped(source.name, "no target with the same name", "inputs"))
    skipped += [Skipped(t.name, "no input with the same name", "targets") for t in by_key.values() if t.key not in used]
    return paired_in, paired_out, skipped


def same_shapes(
    inputs: list[Accepted], targets: list[Accepted], input_dir: Path, target_dir: Path
) -> tuple[list[Accepted], list[Accepted], list[Skipped]]:
    """The pairs whose input and target have the same aspect ratio (within MAX_PAIR_ASPECT_GAP), and the
    others, skipped: an input and an output of different shapes cannot line up pixel for pixel."""
    kept_in, kept_out, skipped = [], [], []
    for source, target in zip(inputs, targets, strict=True):
        with Image.open(input_dir / source.file) as given, Image.open(target_dir / target.file) as wanted:
            (w_in, h_in), (w_out, h_out) = given.size, wanted.size
        if abs(w_in * h_out - w_out * h_in) <= MAX_PAIR_ASPECT_GAP * max(w_in * h_out, w_out * h_in):
            kept_in.append(source)
            kept_out.append(target)
        else:
            reason = f"another shape than its target {target.name} ({w_in}×{h_in} against {w_out}×{h_out})"
            skipped.append(Skipped(source.name, reason, "inputs"))
    return kept_in, kept_out, skipped


def pairs_from_side_by_side(
    uploads: Sequence[Upload],
    work_dir: Path,
    *,
    input_side: Literal["left", "right"] = "left",  # which half is the input (the pix2pix datasets vary)
    limits: UploadLimits = UploadLimits(),
    min_count: int = MIN_IMAGES,  # pairs
) -> UploadReport:
    """Pairs from images that hold input and target side by side, split down the middle."""
    if input_side not in ("left", "right"):
        raise ValueError(f"input_side must be 'left' or 'right', got {input_side!r}")
    folders = {key: fresh_folder(Path(work_dir) / key) for key in ("source", "target")}
    got = collect(uploads, limits=limits, write=_halves_writer(folders, input_side, limits.work_size))
    return report_from("pairs", {key: (folder, got) for key, folder in folders.items()}, got, min_count=min_count)


def _halves_writer(folders: dict[str, Path], input_side: str, work_size: int) -> Writer:
    def write(image: Image.Image, file: str) -> str | None:
        width, height = image.size
        if width < MIN_AB_ASPECT * height:
            return f"not side by side ({width}×{height}; expected at least {MIN_AB_ASPECT:g} times as wide as tall)"
        half = width // 2
        if half < MIN_SIDE:
            return f"too small to split ({width}×{height})"
        left, right = image.crop((0, 0, half, height)), image.crop((width - half, 0, width, height))
        source, target = (left, right) if input_side == "left" else (right, left)
        shrink(source, work_size).save(folders["source"] / file, format="PNG")
        shrink(target, work_size).save(folders["target"] / file, format="PNG")
        return None

    return write


def pairs_from_photos(
    uploads: Sequence[Upload],
    work_dir: Path,
    *,
    method: str = "xdog",  # an edge tracer of gan_demo.edges: "xdog" or "canny"
    threshold: float = 0.5,  # in [0, 1]: higher keeps only the strongest lines
    stroke: int = 1,  # line width (px) at the working size
    limits: UploadLimits = UploadLimits(),
    min_count: int = MIN_IMAGES,  # pairs
) -> UploadReport:
    """Pairs from photos alone: target = the photo, input = its traced sketch (at the working size)."""
    if method not in EDGE_METHODS:
        raise ValueError(f"unknown edge method {method!r}; choose one of {', '.join(EDGE_METHODS)}")
    if not 0.0 <= threshold <= 1.0 or stroke < 1:
        raise ValueError(f"threshold must be in [0, 1] and stroke ≥ 1, got {threshold} and {stroke}")
    folders = {key: fresh_folder(Path(work_dir) / key) for key in ("source", "target")}

    def write(image: Image.Image, file: str) -> str | None:
        photo = shrink(image, limits.work_size)
        sketch = photo_to_sketch(photo, method=method, threshold=threshold, stroke=stroke)
        if np.asarray(sketch.convert("L")).min() == 255:
            return "no lines to trace (a flat image; try a lower threshold)"
        sketch.save(folders["source"] / file, format="PNG")
        photo.save(folders["target"] / file, format="PNG")
        return None

    got = collect(uploads, limits=limits, write=write)
    return report_from("pairs", {key: (folder, got) for key, folder in folders.items()}, got, min_count=min_count)
