"""Flat colour regions: cut an image into a few colour regions and paint each with its mean colour.

An output stage for generators into a flat-colour style (flat emoji, posters, cartoons). A generator that
redraws shading pixel by pixel leaves half-removed gradients behind; painting regions in one colour makes
the flat areas flat by construction, and the network only has to choose colours it can be judged on.

The regions come from colour quantisation of the network's own output: median cut (Heckbert, "Color Image
Quantization for Frame Buffer Display", SIGGRAPH 1982) followed by a few Lloyd (k-means) steps. Choosing
regions is discrete and gets no gradient; the colours are means over the regions, so the loss reaches every
pixel of the network's output through the mean of its region.
"""

from __future__ import annotations

import torch
from torch import nn


def median_cut_labels(colours: torch.Tensor, n_colours: int) -> torch.Tensor:
    """colours [B, N, C] → region labels [B, N] in [0, n_colours).

    Starts from one box per image; n_colours − 1 times, the box with the widest range in any channel is
    split at its median along that channel. Boxes that are already one colour are never split.
    """
    batch, n, channels = colours.shape
    labels = torch.zeros(batch, n, dtype=torch.long, device=colours.device)
    rows = torch.arange(batch, device=colours.device)
    for boxes in range(1, n_colours):
        index = labels.unsqueeze(-1).expand(-1, -1, channels)
        high = colours.new_full((batch, boxes, channels), -torch.inf).scatter_reduce(1, index, colours, "amax")
        low = colours.new_full((batch, boxes, channels), torch.inf).scatter_reduce(1, index, colours, "amin")
        spread, channel = (high - low).max(dim=2)  # [B, boxes]
        box = spread.argmax(dim=1)  # [B]
        if not (spread[rows, box] > 0).any():
            break  # every image has no more colours than boxes
        values = colours.gather(2, channel[rows, box].view(batch, 1, 1).expand(batch, n, 1)).squeeze(2)
        inside = labels == box.unsqueeze(1)
        median = torch.where(inside, values, torch.nan).nanmedian(dim=1).values.unsqueeze(1)
        move = inside & (values > median)
        # where more than half of the box sits at the median, split off the part below it instead
        move = torch.where(move.any(dim=1, keepdim=True), move, inside & (values < median))
        labels = torch.where(move, boxes, labels)
    return labels


def region_means(colours: torch.Tensor, labels: torch.Tensor, n_regions: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean colour [B, K, C] and pixel count [B, K] of each region; empty regions have mean 0."""
    index = labels.unsqueeze(-1).expand_as(colours)
    sums = colours.new_zeros(colours.shape[0], n_regions, colours.shape[2]).scatter_add(1, index, colours)
    counts = colours.new_zeros(labels.shape[0], n_regions).scatter_add(
        1, labels, torch.ones_like(labels, dtype=colours.dtype)
    )
    return sums / counts.clamp(min=1).unsqueeze(-1), counts


def flat_colour_regions(image: torch.Tensor, n_colours: int, *, lloyd_steps: int = 3) -> torch.Tensor:
    """image [B, C, H, W] → the same image with at most n_colours colours, each the mean of its region.

    Regions: median cut, then lloyd_steps rounds of "move every pixel to the nearest region mean".
    Differentiable with respect to the colours (each output pixel is a mean of input pixels), not to the
    choice of regions.
    """
    batch, channels, height, width = image.shape
    colours = image.flatten(2).transpose(1, 2)  # [B, N, C]
    with torch.no_grad():
        labels = median_cut_labels(colours, n_colours)
        for _ in range(lloyd_steps):
            centres, counts = region_means(colours, labels, n_colours)
            distances = torch.cdist(colours, centres).masked_fill(counts.unsqueeze(1) == 0, torch.inf)
            labels = distances.argmin(dim=2)
    centres, _ = region_means(colours, labels, n_colours)
    painted = centres.gather(1, labels.unsqueeze(-1).expand(-1, -1, channels))
    return painted.transpose(1, 2).reshape(batch, channels, height, width)


class FlatColourRegions(nn.Module):
    """`flat_colour_regions` as an output stage: [N, C, H, W] → the same, in at most `n_colours` colours."""

    # Data-dependent loops: gan_demo.optimise runs this stage eagerly inside a compiled generator (as
    # torch.compiler.disable would, applied only when compiling, so importing the model needs no torch._dynamo).
    eager_under_compile = True

    def __init__(self, n_colours: int) -> None:
        super().__init__()
        self.n_colours = n_colours

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return flat_colour_regions(image, self.n_colours)
