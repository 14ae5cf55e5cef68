"""Neural style transfer by optimisation (Gatys, Ecker & Bethge, "Image Style Transfer Using Convolutional
Neural Networks", CVPR 2016): the pixels of one image are optimised until its deep features match the
content photo and its Gram statistics match the style images.

A step is one evaluation of the loss and its gradient, with either optimiser (L-BFGS is driven one
evaluation at a time, so its steps are the same unit as Adam's). Coarse to fine, as in Gatys et al.'s
high-resolution follow-up (CVPR 2017): half the steps at half the size, then upscale and continue, which
costs a quarter as much per step and gives large strokes. `StyleRun.steps()` yields after every step, so a
UI can show the picture being painted; the best image seen so far (lowest total loss at the final size,
or the coarse level until it is reached) is what `result()` returns, also after a stop.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from gan_demo.tasks.colour import luminance, match_colour_statistics, match_luminance, with_chroma_of
from gan_demo.tasks.style_losses import (
    FeatureLayers,
    FeatureNetwork,
    LossWeights,
    blended_grams,
    features,
    gram_matrix,
    loss_terms,
)

OPTIMISERS = ("lbfgs", "adam")
INITS = ("content", "style", "noise")
COLOUR_MODES = ("none", "luminance", "histogram")
MIN_SIZE, MAX_SIZE = 64, 1024  # output long side, px
MAX_STEPS = 2000
COARSE_MIN = 128  # no coarse level below this long side: too little left to paint
ADAM_LR = 0.02  # per step, on pixels in [0, 1]


@dataclass(frozen=True)
class StyleSettings:
    weights: LossWeights = field(default_factory=LossWeights)
    steps: int = 100  # loss + gradient evaluations, all levels together
    size: int = 256  # long side of the output, px
    optimiser: str = "lbfgs"  # "lbfgs" (Gatys et al.) or "adam"
    init: str = "content"  # start from the content photo, the first style image, or noise
    preserve_colour: str = "none"  # "none", "luminance" (transfer on Y only) or "histogram" (recolour the style)
    coarse_to_fine: bool = True  # half the steps at half the size first (from 2 × COARSE_MIN px)
    seed: int = 0  # the noise of init="noise"


@dataclass(frozen=True)
class StyleStep:
    step: int  # 1-based, over all levels
    total: int
    size: tuple[int, int]  # (width, height) of the level being optimised
    terms: dict[str, float]  # content, style, tv and total


def check_settings(settings: StyleSettings, style_weights: Sequence[float], n_layers: int) -> None:
    """Raise ValueError, naming the value and the valid range, for anything the optimiser cannot use."""
    w = settings.weights
    _check_weights("content, style and TV weights", [w.content, w.style, w.tv], allow_all_zero=True)
    if w.content == 0 and w.style == 0:
        raise ValueError("the content and style weights are both 0: nothing to optimise")
    if len(w.layers) != n_layers:
        raise ValueError(f"expected {n_layers} style-layer weights (one per style layer), got {len(w.layers)}")
    _check_weights("style-layer weights", w.layers)
    if not style_weights:
        raise ValueError("no usable style image: give at least one style image")
    _check_weights("style-image weights", style_weights)
    if not MIN_SIZE <= settings.size <= MAX_SIZE:
        raise ValueError(f"output size must be between {MIN_SIZE} and {MAX_SIZE} px, got {settings.size}")
    if not 1 <= settings.steps <= MAX_STEPS:
        raise ValueError(f"steps must be between 1 and {MAX_STEPS}, got {settings.steps}")
    for name, value, choices in (
        ("optimiser", settings.optimiser, OPTIMISERS),
        ("init", settings.init, INITS),
        ("colour preservation", settings.preserve_colour, COLOUR_MODES),
    ):
        if value not in choices:
            raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(choices)}")


def _check_weights(what: str, values: Sequence[float], *, allow_all_zero: bool = False) -> None:
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
        raise ValueError(f"{what} must be finite numbers, got {list(values)}")
    if any(v < 0 for v in values):
        raise ValueError(f"{what} must not be negative, got {list(values)}")
    if not allow_all_zero and not any(v > 0 for v in values):
        raise ValueError(f"{what} are all 0: at least one must be above 0")


def to_unit_tensor(image: Image.Image, size: tuple[int, int], device: torch.device | str) -> torch.Tensor:
    """PIL → [1, 3, H, W] RGB in [0, 1] at (width, height), Lanczos-resampled."""
    resized = image.convert("RGB").resize(size, Image.Resampling.LANCZOS)
    array = np.asarray(resized, dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).to(device)


def to_pil(image: torch.Tensor) -> Image.Image:
    """[1, 3, H, W] in [0, 1] → RGB PIL image."""
    array = image[0].detach().clamp(0, 1).permute(1, 2, 0).mul(255).round().byte().cpu().numpy()
    return Image.fromarray(array)


def output_size(content: Image.Image, long_side: int) -> tuple[int, int]:
    """(width, height) with the content's aspect ratio and the given long side (each side ≥ 16 px)."""
    scale = long_side / max(content.size)
    return max(16, round(content.width * scale)), max(16, round(content.height * scale))


def level_sizes(size: tuple[int, int], coarse_to_fine: bool) -> list[tuple[int, int]]:
    if not coarse_to_fine or max(size) < 2 * COARSE_MIN:
        return [size]
    return [(max(16, size[0] // 2), max(16, size[1] // 2)), size]


class StyleRun:
    """One style transfer: iterate `steps()` (stop any time), then `result()` is the best image so far.

    content: the photo; styles: (image, weight) pairs, None images skipped; network: anything with
    `feature_maps(image, layers)` (frozen; only the pixels get gradients); layers: which activations.
    """

    def __init__(
        self,
        network: FeatureNetwork,
        content: Image.Image,
        styles: Sequence[tuple[Image.Image | None, float]],
        settings: StyleSettings,
        *,
        layers: FeatureLayers,
        device: torch.device | str,
    ) -> None:
        usable = [(image, weight) for image, weight in styles if image is not None]
        check_settings(settings, [weight for _, weight in usable], len(layers.style))
        self.styles = [(image, float(weight)) for image, weight in usable if weight > 0]
        self.network, self.content, self.settings = network, content, settings
        self.layers, self.device = layers, torch.device(device)
        self.size = output_size(content, settings.size)
        self.levels = level_sizes(self.size, settings.coarse_to_fine)
        self.history: list[StyleStep] = []
        self.stopped = False
        self._pixels: torch.Tensor | None = None
        self._best: torch.Tensor | None = None
        self._best_loss = math.inf

    def steps(self, stop: Callable[[], bool] | None = None) -> Iterator[StyleStep]:
        """Optimise, yielding after every step; returns early (stopped = True) once `stop()` is true."""
        per_level = self._steps_per_level()
        done = 0
        for size, count in zip(self.levels, per_level, strict=True):
            if count == 0:  # one step in all: no coarse level
                continue
            content, content_target, style_targets = self._targets(size)
            self._pixels = self._start(size, content)
            self._best, self._best_loss = self._pixels.detach().clone(), math.inf
            for terms in self._optimise(self._pixels, content_target, style_targets, count):
                done += 1
                step = StyleStep(done, self.settings.steps, size, terms)
                self.history.append(step)
                yield step
                if stop is not None and stop():
                    self.stopped = True
                    return

    def result(self) -> Image.Image:
        """The best image so far at the output size (the start image if no step ran)."""
        if self._best is None:
            raise RuntimeError("no step has run yet: iterate steps() first")
        return self._finish(self._best)

    def preview(self) -> Image.Image:
        """The image being optimised right now, for live display."""
        if self._pixels is None:
            raise RuntimeError("no step has run yet: iterate steps() first")
        return self._finish(self._pixels.detach())

    def _steps_per_level(self) -> list[int]:
        total, levels = self.settings.steps, len(self.levels)
        coarse = total // 2 if levels > 1 else 0
        return [coarse, total - coarse] if levels > 1 else [total]

    def _prepared(self, image: Image.Image, size: tuple[int, int], content: torch.Tensor) -> torch.Tensor:
        """A style image at `size`, recoloured as the colour mode asks."""
        style = to_unit_tensor(image, size, self.device)
        if self.settings.preserve_colour == "luminance":
            return match_luminance(style, content)
        if self.settings.preserve_colour == "histogram":
            return match_colour_statistics(style, content)
        return style

    @torch.no_grad()
    def _targets(self, size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        content = to_unit_tensor(self.content, size, self.device)
        if self.settings.preserve_colour == "luminance":
            content = luminance(content)
        content_target = features(self.network, content, self.layers)[self.layers.content]
        grams = []
        for image, _ in self.styles:
            style_size = output_size(image, max(size))  # the style at the same scale: strokes keep their size
            maps = features(self.network, self._prepared(image, style_size, content), self.layers)
            grams.append({name: gram_matrix(maps[name]) for name in self.layers.style})
        return content, content_target, blended_grams(grams, [weight for _, weight in self.styles])

    def _start(self, size: tuple[int, int], content: torch.Tensor) -> torch.Tensor:
        if self._best is not None:  # a finer level: continue from the coarse result
            start = F.interpolate(self._best, size=(size[1], size[0]), mode="bicubic", align_corners=False)
        elif self.settings.init == "style":
            start = self._prepared(self.styles[0][0], size, content)
        elif self.settings.init == "noise":
            generator = torch.Generator().manual_seed(self.settings.seed)
            start = torch.rand(1, 3, size[1], size[0], generator=generator).to(self.device)
        else:
            start = content
        return start.clamp(0.0, 1.0).clone().contiguous()

    def _optimise(
        self, pixels: torch.Tensor, content_target: torch.Tensor, style_targets: dict[str, torch.Tensor], count: int
    ) -> Iterator[dict[str, float]]:
        pixels.requires_grad_(True)
        if self.settings.optimiser == "lbfgs":  # one evaluation per .step(); its memory persists between calls
            optimiser: torch.optim.Optimizer = torch.optim.LBFGS([pixels], lr=1.0, max_iter=1, history_size=50)
        else:
            optimiser = torch.optim.Adam([pixels], lr=ADAM_LR)
        record: dict[str, float] = {}

        def closure() -> torch.Tensor:
            with torch.no_grad():
                pixels.clamp_(0.0, 1.0)
            optimiser.zero_grad()
            maps = features(self.network, pixels, self.layers)
            terms = loss_terms(
                maps,
                pixels,
                content_target=content_target,
                style_targets=style_targets,
                layers=self.layers,
                weights=self.settings.weights,
            )
            total = sum(terms.values())
            total.backward()
            record.clear()
            record.update({name: float(value.detach()) for name, value in terms.items()}, total=float(total.detach()))
            if record["total"] < self._best_loss:
                self._best, self._best_loss = pixels.detach().clone(), record["total"]
            return total

        for _ in range(count):
            optimiser.step(closure)
            yield dict(record)

    def _finish(self, pixels: torch.Tensor) -> Image.Image:
        image = pixels.clamp(0.0, 1.0)
        if image.shape[-1] != self.size[0] or image.shape[-2] != self.size[1]:
            image = F.interpolate(image, size=(self.size[1], self.size[0]), mode="bicubic", align_corners=False)
        if self.settings.preserve_colour == "luminance":
            image = with_chroma_of(image, to_unit_tensor(self.content, self.size, self.device))
        return to_pil(image)


def stylize(
    network: FeatureNetwork,
    content: Image.Image,
    styles: Sequence[tuple[Image.Image | None, float]],
    settings: StyleSettings,
    *,
    layers: FeatureLayers,
    device: torch.device | str,
    on_step: Callable[[StyleStep, StyleRun], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> Image.Image:
    """Run a whole transfer; `on_step` sees every step, `stop()` ends it early with the best image so far."""
    run = StyleRun(network, content, styles, settings, layers=layers, device=device)
    for step in run.steps(stop):
        if on_step is not None:
            on_step(step, run)
    return run.result()
