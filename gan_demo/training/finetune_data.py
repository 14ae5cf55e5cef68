"""What the Fine-tune tab does with uploads before a job starts: training folders per family, and a preview."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from PIL import Image

from gan_demo.imaging import make_grid
from gan_demo.tensors import from_signed_unit, image_to_uint8, uint8_to_signed
from gan_demo.training.augment import diff_augment
from gan_demo.training.data import batch_problem
from gan_demo.training.upload_pairs import pairs_from_named, pairs_from_photos, pairs_from_side_by_side
from gan_demo.training.uploads import (
    UploadReport,
    domains_from_uploads,
    images_from_uploads,
    preview_paths,
    unpaired_from_uploads,
)

PAIRINGS = {  # pix2pix: how the uploads make (input, output) pairs
    "names": "two sets, matched by file name (inputs in the first, outputs in the second)",
    "side-by-side": "one set of side-by-side images: input on the left, output on the right",
    "photos": "photos only: their sketches are traced for you (as on the Sketch tab)",
}
PREVIEW_SIZE = 96  # px per image in the preview grid


def uploads_for(
    family: str,
    first: Sequence[str | Path],
    second: Sequence[str | Path],
    work_dir: Path,
    *,
    pairing: str = "names",  # pix2pix only: a key of PAIRINGS
    domains: Sequence[str] | None = None,  # stargan only: the base model's domains (None: from scratch)
) -> UploadReport:
    """The training folders (and the report of what was used or skipped) for one family's uploads."""
    if family == "stargan":
        return domains_from_uploads([*first, *second], work_dir, domains=domains)
    if family == "gan":
        return images_from_uploads(first, work_dir)
    if family == "cyclegan":
        return unpaired_from_uploads(first, second, work_dir)
    if family != "pix2pix":
        raise ValueError(f"unknown training family {family!r}")
    if pairing == "names":
        return pairs_from_named(first, second, work_dir)
    if pairing == "side-by-side":
        return pairs_from_side_by_side(first, work_dir)
    if pairing == "photos":
        return pairs_from_photos(first, work_dir)
    raise ValueError(f"unknown pairing {pairing!r}; choose one of {', '.join(PAIRINGS)}")


def batch_too_large(report: UploadReport, batch_size: int) -> str:
    """Why one batch of `batch_size` cannot be drawn from these uploads ("" when it can): images and pairs
    are drawn without repeats, so the set must hold a batch; unpaired and named domains are drawn with
    replacement."""
    return "" if report.kind in ("unpaired", "domains") else batch_problem(report.count, batch_size)


def _tensor(paths: list[Path]) -> torch.Tensor:
    """The images as one [N, 3, S, S] tensor in [-1, 1] (squashed to PREVIEW_SIZE², as training squares them)."""
    size = (PREVIEW_SIZE, PREVIEW_SIZE)
    pixels = [image_to_uint8(Image.open(path).resize(size, Image.Resampling.LANCZOS)) for path in paths]
    return uint8_to_signed(torch.stack(pixels))


def data_preview(report: UploadReport, *, augment: str = "", count: int = 6, seed: int = 0) -> Image.Image | None:
    """A grid of the first uploads as training will see them: one row per folder (for pairs: inputs above
    outputs), and for an augmentation policy one more row of the first folder after it (DiffAugment)."""
    files = {key: paths for key, paths in preview_paths(report, count).items() if paths}
    if not files:
        return None
    rows = [_tensor(paths) for paths in files.values()]
    if augment:
        rows.append(diff_augment(rows[0].clone(), augment, torch.Generator().manual_seed(seed)))
    columns = min(len(row) for row in rows)
    images = [image for row in rows for image in from_signed_unit(row[:columns])]
    return make_grid(images, columns=columns)
