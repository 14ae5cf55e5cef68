"""The kinds of training data a family takes: which folders, how they are loaded, what the run records.

- `IMAGES`: one folder (unconditional GANs).
- `PAIRS`: two folders whose images share file names, input and output (pix2pix).
- `UNPAIRED`: two folders of two domains, no correspondence (CycleGAN).
- `DOMAINS`: two or more folders, one per domain, named `NAME=DIR` (or by the folder's name); images that
  share a file name across folders are the same subject in two domains (StarGAN).

Each image is held in memory as uint8 [3, size, size]; held-out names of a split file are never loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from gan_demo.training.data import image_names, load_folder, paired_names, read_split


@dataclass(frozen=True)
class TrainingData:
    sets: tuple[torch.Tensor, ...]  # one [N, 3, S, S] uint8 tensor per folder, in the kind's order
    summary: dict[str, Any] = field(default_factory=dict)  # what the run record says about the data
    names: tuple[tuple[str, ...], ...] = ()  # each set's file stems, where the family matches images across sets


Loader = Callable[[dict[str, Path], int, set[str], int], TrainingData]  # (name → folder, size, held out, minimum)


@dataclass(frozen=True)
class DataKind:
    name: str
    folders: tuple[tuple[str, str], ...]  # (name, help): each becomes a required --name flag
    loader: Loader
    variadic: bool = False  # one flag taking several NAME=DIR folders (the names are the loader's keys)

    def load(self, folders: dict[str, Any], *, size: int, split: Path | None, min_count: int) -> TrainingData:
        missing = [name for name, _ in self.folders if name not in folders]
        if missing:
            raise ValueError(f"{self.name} data needs the folders {', '.join(missing)}")
        if self.variadic:
            named = named_folders(folders[self.folders[0][0]])
        else:
            named = {name: Path(folders[name]) for name, _ in self.folders}
        return self.loader(named, size, read_split(split), min_count)


def named_folders(specs: Any) -> dict[str, Path]:
    """`NAME=DIR` (or a bare DIR, named by its folder name) for each folder, in order, or a mapping of names
    to folders; names must differ."""
    if isinstance(specs, Mapping):
        return {str(name): Path(folder) for name, folder in specs.items()}
    specs = [specs] if isinstance(specs, str | Path) else list(specs)
    named: dict[str, Path] = {}
    for spec in specs:
        name, sep, folder = str(spec).partition("=")
        name, path = (name.strip(), Path(folder)) if sep and name.strip() else (Path(spec).name, Path(spec))
        if name in named:
            raise ValueError(f"two domains are called {name!r}; name them NAME=DIR")
        named[name] = path
    return named


def _images(folders: dict[str, Path], size: int, held_out: set[str], min_count: int) -> TrainingData:
    (folder,) = folders.values()
    names = image_names(folder, exclude=held_out)
    if len(names) < min_count:
        raise ValueError(f"{folder}: {len(names)} training images, fewer than one batch of {min_count}")
    return TrainingData((load_folder(folder, names, size),), {"images": len(names)})


def _pairs(folders: dict[str, Path], size: int, held_out: set[str], min_count: int) -> TrainingData:
    source_dir, target_dir = folders.values()
    names = paired_names(source_dir, target_dir, exclude=held_out)
    if len(names) < min_count:
        raise ValueError(f"only {len(names)} training pairs in {source_dir} and {target_dir}")
    sets = (load_folder(source_dir, names, size), load_folder(target_dir, names, size))
    return TrainingData(sets, {"pairs": len(names)})


def _unpaired(named: dict[str, Path], size: int, held_out: set[str], min_count: int) -> TrainingData:
    """Each domain is drawn from independently (with replacement), so one image per domain suffices."""
    folders = list(named.values())
    names = [image_names(folder, exclude=held_out) for folder in folders]
    for folder, listed in zip(folders, names, strict=True):
        if not listed:
            raise ValueError(f"{folder}: no training images")
    sets = tuple(load_folder(folder, listed, size) for folder, listed in zip(folders, names, strict=True))
    return TrainingData(sets, {"images": tuple(len(images) for images in sets)})


def _domains(named: dict[str, Path], size: int, held_out: set[str], min_count: int) -> TrainingData:
    """One set per domain; `names` keeps each image's file stem, so images of one subject can be matched."""
    if len(named) < 2:
        raise ValueError(f"a multi-domain model needs at least two domain folders, got {len(named)}")
    names = {domain: image_names(folder, exclude=held_out) for domain, folder in named.items()}
    for domain, listed in names.items():
        if not listed:
            raise ValueError(f"{named[domain]}: no training images for domain {domain!r}")
    sets = tuple(load_folder(named[domain], listed, size) for domain, listed in names.items())
    summary = {"domains": list(named), "images": {domain: len(listed) for domain, listed in names.items()}}
    return TrainingData(sets, summary, names=tuple(tuple(listed) for listed in names.values()))


IMAGES = DataKind("images", (("images", "folder of training images"),), _images)
PAIRS = DataKind(
    "pairs",
    (("source", "folder of inputs (e.g. line art)"), ("target", "folder of outputs with the same file names")),
    _pairs,
)
UNPAIRED = DataKind(
    "unpaired", (("domain_a", "folder of domain A images"), ("domain_b", "folder of domain B images")), _unpaired
)
DOMAINS = DataKind(
    "domains",
    (("domains", "two or more NAME=DIR folders, one per domain (same file name: same subject)"),),
    _domains,
    variadic=True,
)
