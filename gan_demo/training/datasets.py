"""The kinds of training data a family takes: which folders, how they are loaded, what the run records.

- `IMAGES`: one folder (unconditional GANs).
- `PAIRS`: two folders whose images share file names, input and output (pix2pix).
- `UNPAIRED`: two folders of two domains, no correspondence (CycleGAN).

Each image is held in memory as uint8 [3, size, size]; held-out names of a split file are never loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from gan_demo.training.data import image_names, load_folder, read_split


@dataclass(frozen=True)
class TrainingData:
    sets: tuple[torch.Tensor, ...]  # one [N, 3, S, S] uint8 tensor per folder, in the kind's order
    summary: dict[str, Any] = field(default_factory=dict)  # what the run record says about the data


Loader = Callable[[list[Path], int, set[str], int], TrainingData]


@dataclass(frozen=True)
class DataKind:
    name: str
    folders: tuple[tuple[str, str], ...]  # (name, help): each becomes a required --name flag
    loader: Loader  # (folders in order, size, held-out names, minimum count) -> TrainingData

    def load(self, folders: dict[str, Path], *, size: int, split: Path | None, min_count: int) -> TrainingData:
        missing = [name for name, _ in self.folders if name not in folders]
        if missing:
            raise ValueError(f"{self.name} data needs the folders {', '.join(missing)}")
        paths = [Path(folders[name]) for name, _ in self.folders]
        return self.loader(paths, size, read_split(split), min_count)


def _images(folders: list[Path], size: int, held_out: set[str], min_count: int) -> TrainingData:
    (folder,) = folders
    names = image_names(folder, exclude=held_out)
    if len(names) < min_count:
        raise ValueError(f"{folder}: {len(names)} training images, fewer than one batch of {min_count}")
    return TrainingData((load_folder(folder, names, size),), {"images": len(names)})


def _pairs(folders: list[Path], size: int, held_out: set[str], min_count: int) -> TrainingData:
    source_dir, target_dir = folders
    names = sorted(set(image_names(source_dir, exclude=held_out)) & set(image_names(target_dir, exclude=held_out)))
    if len(names) < min_count:
        raise ValueError(f"only {len(names)} training pairs in {source_dir} and {target_dir}")
    sets = (load_folder(source_dir, names, size), load_folder(target_dir, names, size))
    return TrainingData(sets, {"pairs": len(names)})


def _unpaired(folders: list[Path], size: int, held_out: set[str], min_count: int) -> TrainingData:
    """Each domain is drawn from independently (with replacement), so one image per domain suffices."""
    names = [image_names(folder, exclude=held_out) for folder in folders]
    for folder, listed in zip(folders, names, strict=True):
        if not listed:
            raise ValueError(f"{folder}: no training images")
    sets = tuple(load_folder(folder, listed, size) for folder, listed in zip(folders, names, strict=True))
    return TrainingData(sets, {"images": tuple(len(images) for images in sets)})


IMAGES = DataKind("images", (("images", "folder of training images"),), _images)
PAIRS = DataKind(
    "pairs",
    (("source", "folder of inputs (e.g. line art)"), ("target", "folder of outputs with the same file names")),
    _pairs,
)
UNPAIRED = DataKind(
    "unpaired", (("domain_a", "folder of domain A images"), ("domain_b", "folder of domain B images")), _unpaired
)
