"""Sibling colours: where a drawing nearly repeats a training drawing, borrow that emoji's own colours.

Many emoji come in families drawn alike: a woman running and a man running, the twelve o'clock and the three
o'clock, an open mailbox and a closed one, an astonished face and a hushed one. A drawing of one of them is
often almost the same picture as the line art of a sibling in the training set, and then the sibling's colour
image is a better guess than anything a generator trained on 1,300 pairs paints (woman running: L1 0.017 to the
truth against 0.042). This module holds the training line art (small grey keys) and the colour images (JPEG
bytes), finds a drawing's nearest key by mean absolute difference, and blends the sibling's colours into the
generator's output with a weight that is high only where the two drawings agree:

    w(x) = strength · exp(−d / reach) · exp(−local(x) / local_scale),   d < cutoff, else w = 0

d is the mean absolute difference of the two line arts at key resolution (0 … 1) and local(x) the same
difference averaged over a window around pixel x; output = w · sibling + (1 − w) · generated. A freehand
drawing is usually far from every training drawing (d = 0.08–0.17 for the app's examples, where w ≤ 0.28) and
comes out almost as the generator made it. This is
exemplar-based colour transfer (Welsh, Ashikhmin & Mueller, "Transferring Color to Greyscale Images",
SIGGRAPH 2002; He et al., "Deep Exemplar-based Colorization", SIGGRAPH 2018) at its simplest: the reference is
retrieved, not given, and copied where the structure matches rather than matched patch by patch.

The bank has no trained weights; its five numbers are fitted on the training pairs by leave-one-out
(`python -m gan_demo.training.siblings`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from gan_demo.models._mixin import HubModel


class SiblingColours(nn.Module, HubModel):
    def __init__(
        self,
        key_side: int = 32,
        reach: float = 0.06,
        strength: float = 0.9,
        local_scale: float = 0.05,
        window: int = 7,
        cutoff: float = 0.2,
    ) -> None:
        super().__init__()
        if key_side < 4 or window < 1 or window % 2 == 0:
            raise ValueError(f"key_side ≥ 4 and an odd window ≥ 1 expected, got {key_side} and {window}")
        if not (0 <= strength <= 1) or min(reach, local_scale, cutoff) <= 0:
            raise ValueError("strength in [0, 1] and positive reach, local_scale and cutoff expected")
        self.key_side, self.window = int(key_side), int(window)
        self.reach, self.strength, self.local_scale, self.cutoff = float(reach), float(strength), local_scale, cutoff
        self.register_buffer("keys", torch.zeros(0, key_side * key_side, dtype=torch.uint8))
        self.register_buffer("jpeg_bytes", torch.zeros(0, dtype=torch.uint8))
        self.register_buffer("offsets", torch.zeros(1, dtype=torch.int64))

    def __len__(self) -> int:
        return len(self.keys)

    def key(self, line_art: torch.Tensor) -> torch.Tensor:
        """Line art [N, 3, H, W] in [-1, 1] → grey keys [N, key_side²] in [0, 1] (antialiased bilinear)."""
        grey = ((line_art.float().mean(1, keepdim=True) + 1) / 2).clamp(0, 1)
        side = (self.key_side, self.key_side)
        return F.interpolate(grey, size=side, mode="bilinear", antialias=True, align_corners=False).flatten(1)

    def fill(self, line_art: torch.Tensor, jpegs: list[torch.Tensor]) -> None:
        """Fill the bank: line art [K, 3, H, W] in [-1, 1] and each colour image's JPEG bytes (uint8, 1-D)."""
        if len(line_art) != len(jpegs) or not len(jpegs):
            raise ValueError(f"{len(line_art)} line arts and {len(jpegs)} colour images: one each expected")
        self.keys = (self.key(line_art) * 255).round().to(torch.uint8)
        self.jpeg_bytes = torch.cat([j.flatten().to(torch.uint8) for j in jpegs])
        lengths = torch.tensor([0, *(j.numel() for j in jpegs)], dtype=torch.int64)
        self.offsets = lengths.cumsum(0)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False) -> Any:
        """A bank of any size: the buffers take the shapes of the saved ones (checked for consistency)."""
        state = dict(state_dict)
        if strict and (missing := {"keys", "jpeg_bytes", "offsets"} - state.keys()):
            raise RuntimeError(f"missing buffers: {', '.join(sorted(missing))}")
        keys, data, offsets = state.get("keys"), state.get("jpeg_bytes"), state.get("offsets")
        if keys is not None and offsets is not None and data is not None:
            if keys.shape[1:] != self.keys.shape[1:] or len(offsets) != len(keys) + 1 or offsets[-1] != len(data):
                raise RuntimeError(f"inconsistent bank: {len(keys)} keys, {len(offsets)} offsets, {len(data)} bytes")
            self.keys = torch.empty_like(keys, dtype=torch.uint8)
            self.jpeg_bytes = torch.empty_like(data, dtype=torch.uint8)
            self.offsets = torch.empty_like(offsets, dtype=torch.int64)
        return super().load_state_dict(state, strict=strict, assign=assign)

    def colour_image(self, index: int, size: tuple[int, int]) -> torch.Tensor:
        """Training colour image `index` as [1, 3, *size] in [-1, 1]."""
        start, end = int(self.offsets[index]), int(self.offsets[index + 1])
        data = self.jpeg_bytes[start:end].cpu().numpy().tobytes()
        with Image.open(io.BytesIO(data)) as decoded:  # in memory: the bank's own bytes, never a file
            pixels = np.array(decoded.convert("RGB"))
        image = torch.from_numpy(pixels).permute(2, 0, 1)[None].float()
        if tuple(image.shape[-2:]) != size:
            image = F.interpolate(image, size=size, mode="bilinear", antialias=True, align_corners=False)
        return (image / 127.5 - 1).to(self.keys.device)

    def nearest(self, line_art: torch.Tensor, *, exclude: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
        """(distance, index) of each drawing's nearest bank entry; exclude[n] is an index drawing n may not
        use (leave-one-out when the drawings are the bank's own)."""
        if not len(self.keys):
            raise ValueError("this sibling bank is empty: it was built, not loaded or filled")
        queries = self.key(line_art)
        distances = torch.cdist(queries, self.keys.float() / 255, p=1) / queries.shape[1]
        if exclude is not None:
            distances[torch.arange(len(queries)), exclude] = float("inf")
        return distances.min(1)

    def weights(self, line_art: torch.Tensor, distance: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        """The blend weight per pixel [N, 1, H, W] for each drawing and its sibling."""
        side = (self.key_side, self.key_side)
        query = self.key(line_art).view(-1, 1, *side)
        sibling = (self.keys[index].float() / 255).view(-1, 1, *side)
        local = F.interpolate((query - sibling).abs(), size=line_art.shape[-2:], mode="bilinear", align_corners=False)
        local = F.avg_pool2d(local, self.window, 1, self.window // 2, count_include_pad=False)
        overall = self.strength * torch.exp(-distance / self.reach) * (distance < self.cutoff)
        return overall.view(-1, 1, 1, 1) * torch.exp(-local / self.local_scale)

    @torch.no_grad()
    def borrowed(self, line_art: torch.Tensor, *, floor: float = 0.2) -> list[tuple[int, float] | None]:
        """For each drawing, (the bank entry whose colours forward() blends in, the largest blend weight of any
        pixel), or None where no pixel takes more than `floor` of the sibling (a trace is not worth showing)."""
        distance, index = self.nearest(line_art)
        peaks = self.weights(line_art, distance, index).amax(dim=(1, 2, 3))
        return [(int(i), float(p)) if p > floor else None for i, p in zip(index, peaks, strict=True)]

    @torch.no_grad()
    def forward(self, line_art: torch.Tensor, generated: torch.Tensor) -> torch.Tensor:
        """The generator's output [N, 3, H, W] in [-1, 1] for `line_art`, with its siblings' colours blended in."""
        distance, index = self.nearest(line_art)
        weight = self.weights(line_art, distance, index)
        out = generated.clone()
        size = tuple(line_art.shape[-2:])
        for n in torch.nonzero(distance < self.cutoff).flatten().tolist():
            sibling = self.colour_image(int(index[n]), size).to(generated.dtype)
            out[n] = weight[n] * sibling[0] + (1 - weight[n]) * generated[n]
        return out
