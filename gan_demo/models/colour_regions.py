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

import math

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


def region_medians(colours: torch.Tensor, labels: torch.Tensor, n_regions: int) -> torch.Tensor:
    """Per-channel median colour [B, K, C] of each region (the lower median of an even count, as torch.median);
    empty regions have median 0. Each median is one of its region's pixels, and the gradient reaches only it."""
    batch, n, channels = colours.shape
    values, order = colours.sort(dim=1)  # every channel ascending …
    _, regroup = labels.unsqueeze(-1).expand_as(colours).gather(1, order).sort(dim=1, stable=True)
    values = values.gather(1, regroup)  # … then grouped by region, each group still ascending
    counts = labels.new_zeros(batch, n_regions).scatter_add(1, labels, torch.ones_like(labels))  # [B, K]
    middle = counts.cumsum(1) - counts + (counts - 1).clamp(min=0) // 2
    medians = values.gather(1, middle.clamp(max=n - 1).unsqueeze(-1).expand(-1, -1, channels))
    return medians.masked_fill((counts == 0).unsqueeze(-1), 0.0)


def flat_colour_regions(image: torch.Tensor, n_colours: int, *, lloyd_steps: int = 3) -> torch.Tensor:
    """image [B, C, H, W] → the same image with at most n_colours colours, each the mean of its region.

    Regions: median cut, then lloyd_steps rounds of "move every pixel to the nearest region mean".
    Differentiable with respect to the colours (each output pixel is a mean of input pixels), not to the
    choice of regions.
    """
    colours = image.flatten(2).transpose(1, 2)  # [B, N, C]
    with torch.no_grad():
        labels = median_cut_labels(colours, n_colours)
        for _ in range(lloyd_steps):
            centres, counts = region_means(colours, labels, n_colours)
            distances = torch.cdist(colours, centres).masked_fill(counts.unsqueeze(1) == 0, torch.inf)
            labels = distances.argmin(dim=2)
    return paint_regions(image, labels, n_colours)


# the colour a part is painted: its pixels' mean, their per-channel median, or a learned correction of the median
PART_COLOURS = ("mean", "median", "learned")


def check_part_colour(colour: str) -> str:
    if colour not in PART_COLOURS:
        raise ValueError(f"unknown part colour {colour!r}; choose one of {', '.join(PART_COLOURS)}")
    return colour


def paint_regions(
    image: torch.Tensor, labels: torch.Tensor, n_regions: int, *, keep: int | None = None, colour: str = "mean"
) -> torch.Tensor:
    """image [B, C, H, W], labels [B, H·W] in [0, n_regions) → every pixel painted its region's mean colour, or
    per-channel median with colour="median" (the pixels of region `keep`, if given, keep their own). The mean
    passes gradients to every pixel of the region; the median to the pixel it picks. The median ignores a
    region's minority (a highlight or a shadow inside a part) and keeps its dominant colour."""
    batch, channels, height, width = image.shape
    colours = image.flatten(2).transpose(1, 2)  # [B, N, C]
    if check_part_colour(colour) == "learned":
        raise ValueError('a "learned" part colour needs the part-colour head (FlatParts paints it)')
    if colour == "median":
        paints = region_medians(colours, labels, n_regions)
    else:
        paints, _ = region_means(colours, labels, n_regions)
    painted = paints.gather(1, labels.unsqueeze(-1).expand(-1, -1, channels))
    if keep is not None:
        painted = torch.where((labels == keep).unsqueeze(-1), colours, painted)
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


def srgb_to_lab(image: torch.Tensor) -> torch.Tensor:
    """[B, 3, H, W] sRGB in [0, 1] → CIELAB (D65), L in [0, 100]."""
    linear = torch.where(image <= 0.04045, image / 12.92, ((image.clamp(min=0) + 0.055) / 1.055) ** 2.4)
    to_xyz = image.new_tensor([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = torch.einsum("ij,bjhw->bihw", to_xyz, linear) / image.new_tensor([0.9505, 1.0, 1.089])[:, None, None]
    f = torch.where(xyz > (6 / 29) ** 3, xyz.clamp(min=1e-12) ** (1 / 3), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return torch.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], dim=1)


def part_labels(image: torch.Tensor, edge: float, *, thin_edges: bool = False) -> torch.Tensor:
    """image [B, 3, H, W] in [0, 1] → labels [B, H, W]: 0 on part boundaries, 1 … K for the parts.

    A part is a 4-connected set of pixels whose neighbours differ by less than `edge` (CIE76 ΔE): a smooth
    shading gradient is one part however far its ends are apart, and a drawn edge separates two parts.
    Where two neighbours differ, both are boundary pixels; with thin_edges only the right (or lower) one is,
    so an edge is one pixel wide, as an anti-aliased edge of a flat drawing is (the parts still never touch:
    every differing pair has a boundary pixel between its parts).
    """
    import cv2  # OpenCV's connected components; imported here so the models import without it

    lab = srgb_to_lab(image.detach().float())
    dx = (lab[..., :, 1:] - lab[..., :, :-1]).norm(dim=1) > edge  # [B, H, W-1]
    dy = (lab[..., 1:, :] - lab[..., :-1, :]).norm(dim=1) > edge
    boundary = torch.zeros(lab.shape[0], *lab.shape[2:], dtype=torch.bool, device=lab.device)
    boundary[..., :, 1:] |= dx
    boundary[..., 1:, :] |= dy
    if not thin_edges:
        boundary[..., :, :-1] |= dx
        boundary[..., :-1, :] |= dy
    inside = (~boundary).to(torch.uint8).cpu().numpy()
    labels = [torch.from_numpy(cv2.connectedComponents(mask, connectivity=4)[1].astype("int64")) for mask in inside]
    return torch.stack(labels).to(image.device)


def flat_parts(image: torch.Tensor, edge: float, *, colour: str = "mean", thin_edges: bool = False) -> torch.Tensor:
    """image [B, C, H, W] in [0, 1] → each part (see `part_labels`) painted with its mean (or median) colour;
    pixels on part boundaries keep their own. Differentiable with respect to the colours, not to the choice
    of parts."""
    return _paint_parts(image, part_labels(image, edge, thin_edges=thin_edges), colour)


def _paint_parts(image: torch.Tensor, labels: torch.Tensor, colour: str) -> torch.Tensor:
    labels = labels.flatten(1)  # [B, N]; 0: boundary pixels, which keep their own colour
    return paint_regions(image, labels, int(labels.max()) + 1, keep=0, colour=colour)


def part_statistics(colours: torch.Tensor, labels: torch.Tensor, n_regions: int) -> tuple[torch.Tensor, torch.Tensor]:
    """colours [B, N, 3] in [0, 1], labels [B, N] → (statistics [B, K, 10], per-channel medians [B, K, 3]).

    A part's statistics: its per-channel median, mean and standard deviation, and its size (log pixel count over
    log N, so 0 for one pixel and 1 for the whole image)."""
    means, counts = region_means(colours, labels, n_regions)
    squares, _ = region_means(colours.square(), labels, n_regions)
    spread = (squares - means.square()).clamp(min=0).sqrt()
    medians = region_medians(colours, labels, n_regions)
    size = counts.clamp(min=1).log() / math.log(colours.shape[1])
    return torch.cat([medians, means, spread, size.unsqueeze(-1)], dim=-1), medians


class PartColourHead(nn.Module):
    """A learned part colour: from a part's statistics (`part_statistics`) to a change of its median colour.

    The per-channel median of a shaded part is darker and greyer than the one colour a flat drawing gives
    that part; how much depends on the shading (the spread) and the kind of part (its colour, its size).
    The head is fitted on paired images (`python -m gan_demo.training.part_colours`), or trains with its
    generator (`--part-colour learned`); its last layer starts at zero, so an unfitted head paints medians."""

    n_statistics = 10

    def __init__(self, hidden: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(self.n_statistics, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 3)
        )
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def part_colours(self, statistics: torch.Tensor, medians: torch.Tensor) -> torch.Tensor:
        """[B, K, 10], [B, K, 3] → the colour [B, K, 3] in [0, 1] each part is painted. The statistics describe
        the part and pass no gradient (the spread's square root has none at zero); the median and the head do."""
        change = self.net(statistics.detach().to(self.net[0].weight.dtype)).to(medians.dtype)
        return (medians + change).clamp(0, 1)


def paint_learned(image: torch.Tensor, labels: torch.Tensor, head: PartColourHead) -> torch.Tensor:
    """image [B, 3, H, W] in [0, 1], labels [B, H, W] (0: boundary) → each part painted the head's colour.

    A boundary pixel keeps its own colour, shifted by the mean change of the parts around it (3 × 3), so an
    edge between two parts whose colours moved does not stay behind as a dark outline."""
    flat_labels = labels.flatten(1)
    colours = image.flatten(2).transpose(1, 2)  # [B, N, C]
    statistics, medians = part_statistics(colours, flat_labels, int(flat_labels.max()) + 1)
    paints = head.part_colours(statistics, medians)
    index = flat_labels.unsqueeze(-1).expand_as(colours)
    painted = paints.gather(1, index).transpose(1, 2).reshape(image.shape)
    change = (paints - medians).gather(1, index).transpose(1, 2).reshape(image.shape)
    inside = (labels > 0).unsqueeze(1).to(image.dtype)
    around = nn.functional.avg_pool2d(change * inside, 3, 1, 1) / nn.functional.avg_pool2d(inside, 3, 1, 1).clamp(
        min=1e-6
    )
    return torch.where(inside.bool(), painted, (image + around).clamp(0, 1))


class FlatParts(nn.Module):
    """`flat_parts` as an output stage on [-1, 1] images: one colour per part (parts split at ΔE ≥ `edge`,
    one-pixel boundaries with `thin_edges`), the part's mean or median (`colour`), or with colour="learned"
    the colour a fitted `PartColourHead` (the stage's only weights) gives it."""

    eager_under_compile = True

    def __init__(self, edge: float, colour: str = "mean", thin_edges: bool = False) -> None:
        super().__init__()
        self.edge = edge
        self.colour = check_part_colour(colour)
        self.thin_edges = thin_edges
        self.head = PartColourHead() if colour == "learned" else None

    def labels(self, image: torch.Tensor) -> torch.Tensor:
        """The parts [B, H, W] of a [-1, 1] image (0: boundary pixels)."""
        return part_labels((image + 1) / 2, self.edge, thin_edges=self.thin_edges)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        labels = self.labels(image)
        if self.head is not None:
            return paint_learned((image + 1) / 2, labels, self.head) * 2 - 1
        # means and medians commute with the affine map to [0, 1], so the image is painted in its own range
        return _paint_parts(image, labels, self.colour)


def part_stage_config(edge: float, colour: str = "mean", thin_edges: bool = False) -> dict:
    """The generator config keys of a flat-parts stage (none when `edge` is 0); defaults are left out, so the
    configs of models trained before an option existed stay as they were."""
    if not edge:
        return {}
    return {
        "flat_parts": edge,
        **({"part_colour": colour} if colour != "mean" else {}),
        **({"thin_edges": True} if thin_edges else {}),
    }


def flat_painter(
    n_colours: int, part_edge: float, part_colour: str = "mean", thin_edges: bool = False
) -> nn.Module | None:
    """The output stage a generator's config asks for: `n_colours` regions, or parts split at ΔE `part_edge`
    (one-pixel boundaries with `thin_edges`) painted their `part_colour` ("mean" or "median")."""
    if n_colours and part_edge:
        raise ValueError("choose one flat-colour stage: flat_colours (regions) or flat_parts (ΔE edge), not both")
    if part_edge < 0:
        raise ValueError(f"flat_parts is a colour difference (ΔE > 0, or 0: off), not {part_edge}")
    if (part_colour != "mean" or thin_edges) and not part_edge:
        raise ValueError("part_colour and thin_edges need the flat_parts stage (a ΔE edge)")
    if n_colours:
        return FlatColourRegions(n_colours)
    return FlatParts(part_edge, part_colour, thin_edges) if part_edge else None
