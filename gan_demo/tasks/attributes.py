"""Attribute and domain editing with a StarGAN generator: slider values in, edited image out.

A model's label vector is either a set of domains (one-hot in training: `exclusive`, one group, missing
names are 0) or independent binary attributes (CelebA's hair colours, sex, age), some of which form groups
that behave as one choice (raising one hair colour lowers the others). Values are continuous: a mix of two
domains, or an attribute pushed past 0 or 1 within the model's bounded range.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from gan_demo.faces import Square, crop_square, frame_face, paste_square
from gan_demo.hub import WeightsNotFound
from gan_demo.imaging import fit_within, make_grid
from gan_demo.specs import AttributeOptions
from gan_demo.tensors import from_signed_unit, to_signed_unit

MAX_STRIP_FRAMES = 32
STRIP_BATCH = 8  # strip frames generated per forward pass (a progress step each)


@dataclass(frozen=True)
class AttributeSpace:
    names: tuple[str, ...]
    groups: tuple[tuple[str, ...], ...]  # attributes that move together (an exclusive model: all of them)
    low: float  # the range a value may take
    high: float
    exclusive: bool  # domains: the estimate is a softmax, and names not given are 0

    @classmethod
    def of(cls, names: Sequence[str], options: AttributeOptions) -> AttributeSpace:
        groups = tuple(tuple(group.split("|")) for group in options.groups)
        unknown = sorted({name for group in groups for name in group} - set(names))
        if unknown:
            raise ValueError(f"attribute groups name {', '.join(unknown)}, which the model does not have")
        if options.exclusive:
            groups = (tuple(names),)
        if not options.low < options.high:
            raise ValueError(f"attribute range must have low < high, got {options.low} … {options.high}")
        return cls(tuple(names), groups, options.low, options.high, options.exclusive)

    def group_of(self, name: str) -> tuple[str, ...]:
        return next((group for group in self.groups if name in group), (name,))

    def check_all(self, values: Mapping[str, float]) -> None:
        for name, value in values.items():
            self.check(name, value)

    def check(self, name: str, value: float) -> float:
        """The value as a float, or ValueError naming the attribute, the valid names or the range."""
        if name not in self.names:
            raise ValueError(f"unknown attribute {name!r}; this model has: {', '.join(self.names)}")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: expected a number, got {value!r}") from None
        if not math.isfinite(value):
            raise ValueError(f"{name}: expected a finite number, got {value}")
        if not self.low <= value <= self.high:
            raise ValueError(f"{name}={value:g} is outside the allowed range {self.low:g} … {self.high:g}")
        return value


def label_vector(
    space: AttributeSpace, values: Mapping[str, float], *, start: Sequence[float] | None = None
) -> list[float]:
    """The label vector for `values` (checked); names not given keep `start` (default: all 0)."""
    vector = dict(zip(space.names, start or [0.0] * len(space.names), strict=True))
    for name, value in values.items():
        vector[name] = space.check(name, value)
    return [vector[name] for name in space.names]


def move_slider(space: AttributeSpace, current: Sequence[float], name: str, value: float) -> list[float]:
    """Set one value; the others of its group give way so that the group sums to at most 1.

    Raising "Blond_Hair" to 0.8 leaves at most 0.2 for the other hair colours (shared in their proportions);
    values above 1 (extrapolation) leave nothing. Lowering a value changes nothing else.
    """
    vector = dict(zip(space.names, current, strict=True))
    vector[name] = space.check(name, value)
    others = [other for other in space.group_of(name) if other != name]
    room = max(0.0, 1.0 - max(0.0, vector[name]))
    total = sum(max(0.0, vector[other]) for other in others)
    if total > room:
        for other in others:
            vector[other] = max(0.0, vector[other]) * room / total if total else 0.0
    return [vector[n] for n in space.names]


def _batch(image: Image.Image, size: int, device: torch.device) -> torch.Tensor:
    return to_signed_unit(image.convert("RGB").resize((size, size), Image.Resampling.LANCZOS), device)


@torch.inference_mode()
def estimate_attributes(
    discriminator: nn.Module, image: Image.Image, space: AttributeSpace, *, size: int, device: torch.device
) -> list[float]:
    """The discriminator's domain-classification head on the image at the model's `size`: a softmax over
    domains, or one sigmoid per attribute (CelebA's multi-label head). A discriminator trained on crops
    judges a 3 × 3 grid of crops, and their scores are averaged."""
    batch, side = _batch(image, size, device), discriminator.image_size
    offsets = sorted({0, (size - side) // 2, size - side}) if side < size else [0]
    crops = torch.cat([batch[..., y : y + side, x : x + side] for y in offsets for x in offsets])
    _, logits = discriminator(crops if side <= size else _batch(image, side, device))
    scores = logits.float().softmax(1) if space.exclusive else logits.float().sigmoid()
    return [round(float(v), 3) for v in scores.mean(0)]


@torch.inference_mode()
def _generate(generator: nn.Module, batch: torch.Tensor, vectors: Sequence[Sequence[float]]) -> list[Image.Image]:
    labels = torch.tensor([list(v) for v in vectors], dtype=torch.float32, device=batch.device)
    multiple = getattr(generator, "size_multiple", 1)
    height, width = batch.shape[-2:]
    padded = F.pad(batch, (0, -width % multiple, 0, -height % multiple), mode="replicate")
    output = generator(padded.expand(len(labels), -1, -1, -1), labels)[..., :height, :width]
    return from_signed_unit(output)


@dataclass(frozen=True)
class Framed:
    """What the generator sees: the whole image, or the face square of a photo."""

    photo: Image.Image
    square: Square | None  # None: the whole image

    @classmethod
    def of(cls, photo: Image.Image, *, frame_faces: bool) -> Framed:
        return cls(photo.convert("RGB"), frame_face(photo) if frame_faces else None)

    def crop(self) -> Image.Image:
        return crop_square(self.photo, self.square) if self.square else self.photo

    def paste(self, edited: Image.Image) -> Image.Image:
        if self.square is None:
            return edited.resize(self.photo.size, Image.Resampling.LANCZOS)
        return paste_square(self.photo, edited, self.square)


def edit_images(
    generator: nn.Module,
    framed: Framed,
    vectors: Sequence[Sequence[float]],
    *,
    size: int,
    device: torch.device,
    paste: bool = True,
) -> list[Image.Image]:
    """One edited image per label vector (a batch), at the model's size, pasted back into the photo if asked."""
    edited = _generate(generator, _batch(framed.crop(), size, device), vectors)
    return [framed.paste(image) for image in edited] if paste else edited


def strip_vectors(start: Sequence[float], end: Sequence[float], frames: int) -> list[list[float]]:
    """`frames` label vectors evenly from `start` to `end` (both included)."""
    if not 2 <= frames <= MAX_STRIP_FRAMES:
        raise ValueError(f"an interpolation strip has 2 to {MAX_STRIP_FRAMES} frames, not {frames}")
    return [[a + (b - a) * i / (frames - 1) for a, b in zip(start, end, strict=True)] for i in range(frames)]


def describe(space: AttributeSpace, vector: Sequence[float]) -> str:
    """ "Black_Hair 0.00 · Blond_Hair 0.80 · …": which values produced a result."""
    return " · ".join(f"{name} {value:.2f}" for name, value in zip(space.names, vector, strict=True))


@dataclass(frozen=True)
class AttributeEditor:
    """One attribute model, loaded: what the StarGAN tab and `gan-demo edit` call."""

    generator: nn.Module
    discriminator: nn.Module | None  # its classifier estimates where an image starts; None: not shipped
    space: AttributeSpace
    size: int  # the side the generator was trained at
    frames_faces: bool  # crop faces as the training images were
    device: torch.device

    @classmethod
    def load(cls, store, key: str, *, estimate: bool = True) -> AttributeEditor:
        """The model `key` of a ModelStore: its generator, and (to `estimate`) its discriminator when it has
        one whose weights are here (a Hub preset may ship its 180 MB discriminator separately)."""
        entry, generator = store.get(key, "generator")
        discriminator = None
        if estimate and "discriminator" in entry.weights:
            with contextlib.suppress(WeightsNotFound):  # then no estimate: the sliders start at 0
                discriminator = store.get(key, "discriminator")[1]
        options = entry.options if isinstance(entry.options, AttributeOptions) else AttributeOptions()
        space = AttributeSpace.of(entry.attributes, options)
        return cls(generator, discriminator, space, entry.image_size, options.frame_faces, store.device)

    def estimate(self, framed: Framed) -> list[float] | None:
        if self.discriminator is None:
            return None
        return estimate_attributes(self.discriminator, framed.crop(), self.space, size=self.size, device=self.device)

    def start(self, framed: Framed) -> list[float]:
        """Where the image stands: the estimate (domains: the most likely one, at 1), or all 0 without one."""
        return self.start_at(self.estimate(framed))

    def start_at(self, estimate: Sequence[float] | None) -> list[float]:
        """The slider values an estimate (or None: no estimate) stands for."""
        if estimate is None:
            return [0.0] * len(self.space.names)
        if self.space.exclusive:
            best = max(range(len(estimate)), key=estimate.__getitem__)
            return [1.0 if i == best else 0.0 for i in range(len(estimate))]
        return [min(max(v, self.space.low), self.space.high) for v in estimate]

    def target(self, values: Mapping[str, float], start: Sequence[float]) -> list[float]:
        """The label vector for the values given: a domain model's other domains are 0, an attribute
        model's other attributes keep where the image starts."""
        return label_vector(self.space, values, start=None if self.space.exclusive else start)

    def edit(self, framed: Framed, vectors: Sequence[Sequence[float]], *, paste: bool = True) -> list[Image.Image]:
        return edit_images(self.generator, framed, vectors, size=self.size, device=self.device, paste=paste)

    def strip(self, framed: Framed, start: Sequence[float], end: Sequence[float], frames: int) -> Image.Image:
        """The frames from `start` to `end` side by side, at the model's size."""
        return make_grid(self.frames(framed, start, end, frames, paste=False), columns=frames, padding=0)

    def frames(
        self,
        framed: Framed,
        start: Sequence[float],
        end: Sequence[float],
        frames: int,
        *,
        paste: bool = True,
        max_side: int | None = None,  # scale each frame down to at most this side (px)
        on_progress: Callable[[int, int], None] | None = None,  # (frames done, frames)
    ) -> list[Image.Image]:
        """`frames` edits evenly from `start` to `end`, STRIP_BATCH per forward pass."""
        vectors, images = strip_vectors(start, end, frames), []
        for first in range(0, frames, STRIP_BATCH):
            images += self.edit(framed, vectors[first : first + STRIP_BATCH], paste=paste)
            if on_progress:
                on_progress(len(images), frames)
        return [fit_within(image, max_side) for image in images]
