"""Training images held in memory as uint8 tensors: folders, paired folders, and the held-out split."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from PIL import Image

from gan_demo.imaging import InvalidImage, load_image
from gan_demo.tensors import image_to_uint8
from gan_demo.tensors import uint8_to_signed as to_signed  # the name the trainers use for a uint8 batch

__all__ = [
    "IMAGE_SUFFIXES",
    "RandomBatches",
    "batch_problem",
    "flip_pairs",
    "image_names",
    "load_folder",
    "load_tensor",
    "random_batches",
    "random_crops",
    "read_split",
    "shared_crops",
    "to_signed",
    "vary_strokes",
]

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


def read_split(path: str | Path | None) -> set[str]:
    """The "STYLE/NAME" lines of a split file such as emoji-128/val_split.txt (comments skipped)."""
    if path is None:
        return set()
    lines = Path(path).read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def image_names(folder: Path, *, exclude: set[str] = frozenset()) -> list[str]:
    """Stems of the images in `folder`, minus those listed as "<folder name>/<stem>" in `exclude`."""
    return sorted(
        p.stem
        for p in folder.iterdir()
        if p.suffix.lower() in IMAGE_SUFFIXES and f"{folder.name}/{p.stem}" not in exclude
    )


def paired_names(source: Path, target: Path, *, exclude: set[str] = frozenset()) -> list[str]:
    """Stems found in both folders (a pair by file name), minus the held-out ones of each (see image_names)."""
    return sorted(set(image_names(source, exclude=exclude)) & set(image_names(target, exclude=exclude)))


def load_tensor(path: Path, size: int) -> torch.Tensor:
    """One image as a [3, size, size] uint8 tensor (area-averaged when shrinking)."""
    image = load_image(path).resize((size, size), Image.Resampling.BICUBIC if size > 64 else Image.Resampling.BOX)
    return image_to_uint8(image)


def load_folder(folder: Path, names: Iterable[str], size: int) -> torch.Tensor:
    """[N, 3, size, size] uint8 for the named images; a bad file names itself in the error."""
    files = {p.stem: p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    tensors = []
    for name in names:
        try:
            tensors.append(load_tensor(files[name], size))
        except KeyError:
            raise FileNotFoundError(f"{folder}/{name}: missing") from None
        except InvalidImage as error:
            raise ValueError(str(error)) from None
    return torch.stack(tensors)


def batch_problem(count: int, batch_size: int) -> str:
    """Why `count` images (or pairs) cannot fill one batch drawn without repeats ("" when they can)."""
    if count >= batch_size:
        return ""
    return f"{count} training images, fewer than one batch of {batch_size}; lower the batch size"


class RandomBatches:
    """Endless shuffled batches; paired sets share indices (whole passes over a shuffled order, drawn without
    replacement a whole batch at a time, so they must hold one batch), unpaired ones are drawn independently.
    Its position is a state_dict, so a resumed run gets the same next batch."""

    def __init__(self, *sets: torch.Tensor, batch_size: int, generator: torch.Generator, paired: bool) -> None:
        self.sets, self.batch_size, self.generator, self.paired = sets, batch_size, generator, paired
        self._order: torch.Tensor | None = None  # this pass's shuffled indices (paired only)
        self._start = 0  # where the next batch begins in it

    def __iter__(self) -> Iterator[tuple]:
        return self

    def __next__(self) -> tuple[torch.Tensor, ...]:
        size, generator = self.batch_size, self.generator
        if self.paired and (problem := batch_problem(len(self.sets[0]), size)):  # at the first draw: a trainer
            raise ValueError(problem)  # may be built anyway
        if not self.paired:
            return tuple(s[torch.randint(len(s), (size,), generator=generator)] for s in self.sets)
        if self._order is None or self._start + size > len(self._order):  # a new pass; a short tail is left out
            self._order, self._start = torch.randperm(len(self.sets[0]), generator=generator), 0
        index = self._order[self._start : self._start + size]
        self._start += size
        return tuple(s[index] for s in self.sets)

    def state_dict(self) -> dict[str, Any]:
        return {"order": self._order, "start": self._start}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._order, self._start = state["order"], int(state["start"])


def random_batches(*sets: torch.Tensor, batch_size: int, generator: torch.Generator, paired: bool) -> RandomBatches:
    """Endless shuffled batches (see RandomBatches)."""
    return RandomBatches(*sets, batch_size=batch_size, generator=generator, paired=paired)


def flip_pairs(batch: tuple[torch.Tensor, ...], generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    """Mirror the same random half of every tensor of a batch left ↔ right."""
    flip = torch.rand(batch[0].shape[0], generator=generator) < 0.5
    return tuple(torch.where(flip[:, None, None, None], t.flip(-1), t) for t in batch)


def vary_strokes(sketch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Thicken or thin the dark strokes of [-1, 1] line art at random, so drawings of any pen width work."""
    choice = int(torch.randint(3, (1,), generator=generator))
    if choice == 0:
        return sketch
    if choice == 1:  # thinner dark strokes: dilate the white background
        return F.max_pool2d(sketch, 3, stride=1, padding=1)
    return -F.max_pool2d(-sketch, 3, stride=1, padding=1)  # thicker dark strokes


def random_crops(batch: torch.Tensor, size: int, generator: torch.Generator) -> torch.Tensor:
    """A random size×size window of each image of [N, C, H, W] (CycleGAN's "load 286, crop 256")."""
    return shared_crops((batch,), size, generator)[0]


def shared_crops(batches: tuple[torch.Tensor, ...], size: int, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    """The same random size×size window of image i in every batch (an image and its counterpart)."""
    n, _, height, width = batches[0].shape
    if size > min(height, width):
        raise ValueError(f"crop {size} is larger than the {height}×{width} images")
    tops = torch.randint(0, height - size + 1, (n,), generator=generator).tolist()
    lefts = torch.randint(0, width - size + 1, (n,), generator=generator).tolist()
    return tuple(
        torch.stack([image[:, y : y + size, x : x + size] for image, y, x in zip(batch, tops, lefts, strict=True)])
        for batch in batches
    )
