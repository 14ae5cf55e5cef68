"""StarGAN networks: Choi, Choi, Kim, Ha, Kim & Choo, "StarGAN: Unified Generative Adversarial Networks for
Multi-Domain Image-to-Image Translation", CVPR 2018.

One generator translates an image into any domain (or attribute setting) given as a label vector, tiled
over the image and concatenated to its channels; one discriminator has two heads, a PatchGAN real/fake map
and a domain classifier. Module names follow yunjey/stargan (`main.N`, `conv1`, `conv2`), so the official
`200000-G.ckpt` maps onto these classes key for key; the re-keyed layout of the Hub mirror is renamed in
`gan_demo.models.legacy`.

Instance norm: the official generator was trained with `track_running_stats=True` but always run in train
mode (solver.py never calls `eval()`), so its running statistics were never used. `InstanceNormIgnoringStats`
keeps those buffers (strict loading of the official files) and always normalises with the image's own
statistics, in eval mode too.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gan_demo.models._mixin import HubModel
from gan_demo.models.colour_regions import flat_painter

UPSAMPLES = ("transpose", "resize")


class InstanceNormIgnoringStats(nn.InstanceNorm2d):
    """Affine instance norm with (unused) running-statistics buffers: the same in train and eval mode."""

    def __init__(self, channels: int) -> None:
        super().__init__(channels, affine=True, track_running_stats=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.instance_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)


class LabelledInstanceNorm(InstanceNormIgnoringStats):
    """Conditional instance norm (Dumoulin, Shlens & Kudlur, "A Learned Representation for Artistic Style",
    ICLR 2017): the affine instance norm above, then a scale and shift linear in the labels,
    IN(x) · (1 + γ(c)) + β(c). γ and β start at zero (plain instance norm); `labels` None skips them.

    Why (ours): the paper's generator sees its labels only as constant channels concatenated to the image,
    and the instance norm right after the first convolution subtracts each channel's mean: what survives
    of a label is the zero-padding seam along the border and, inside, a shift that fades as the image grows
    (tests/test_stargan.py measures it at 128 px below 15 % of the border's). This hands the labels to
    every norm.
    """

    def __init__(self, channels: int, c_dim: int) -> None:
        super().__init__(channels)
        self.film = nn.Linear(c_dim, 2 * channels)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        out = super().forward(x)
        if labels is None:
            return out
        scale, shift = self.film(labels.to(out.dtype))[:, :, None, None].chunk(2, dim=1)
        return out * (1 + scale) + shift


def _norm(channels: int, c_dim: int | None) -> InstanceNormIgnoringStats:
    return InstanceNormIgnoringStats(channels) if c_dim is None else LabelledInstanceNorm(channels, c_dim)


def _apply(layers: nn.Sequential, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Run `layers` in order, handing the labels to the layers that take them."""
    for layer in layers:
        x = layer(x, labels) if isinstance(layer, LabelledInstanceNorm | ResidualBlock) else layer(x)
    return x


class ResidualBlock(nn.Module):
    """x + (conv3-IN-ReLU-conv3-IN)(x), bias-free convolutions as in the official code (labelled norms:
    `label_norms` of StarGANGenerator)."""

    def __init__(self, channels: int, c_dim: int | None = None) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            _norm(channels, c_dim),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            _norm(channels, c_dim),
        )

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return x + (self.main(x) if labels is None else _apply(self.main, x, labels))


class StarGANGenerator(nn.Module, HubModel):
    """(image [N, 3, H, W] in [-1, 1], labels [N, c_dim]) → image in the labelled domain, same shape.

    c7s1-64, d128, d256, R256 × repeat_num, u128, u64, c7s1-3 (widths for conv_dim = 64); H and W must be
    multiples of 4. Labels are the target domain (one-hot, or any mix: the network is a function of them)
    or attribute values in [0, 1].

    residual=True (ours, not the paper's) drops the final tanh and adds the output to the input, with the
    last convolution initialised to zero: training starts from the identity and only learns the change,
    which keeps edges clean where two domains share their drawings.

    upsample="transpose" is the paper's 4×4 stride-2 transposed convolution; "resize" (ours) is nearest
    ×2 + 3×3 convolution, which cannot lay the transposed convolution's checkerboard over flat regions
    (Odena, Dumoulin & Olah, "Deconvolution and Checkerboard Artifacts", Distill 2016).

    flat_colours=N with flat_domain=k (ours) is the output stage of `colour_regions` for one flat-colour
    domain: the output is blended towards itself painted in at most N flat colour regions by label k's
    value (clamped to [0, 1]), so a one-hot "flat" label gives flat colours by construction, 0 leaves the
    output as it is, and the sliders move smoothly between the two. The stage holds no weights.

    label_norms=True (ours) makes every instance norm conditional on the labels (`LabelledInstanceNorm`),
    beside the concatenated label channels; off, the module is the paper's, key for key.
    """

    size_multiple = 4  # two stride-2 downsamplings

    def __init__(
        self,
        *,
        c_dim: int = 5,  # length of the label vector (domains or attributes)
        conv_dim: int = 64,  # width of the first layer (the official model: 64)
        repeat_num: int = 6,  # residual blocks at the bottleneck
        residual: bool = False,  # learn a change to the input: output = clip(input + network(input, labels))
        upsample: str = "transpose",  # one of UPSAMPLES
        flat_colours: int = 0,  # paint label `flat_domain`'s output in at most this many colours (0: off)
        flat_domain: int = -1,  # the label whose value blends the painted output in (-1: none)
        flat_parts: float = 0.0,  # instead of flat_colours: one colour per part, parts split at this ΔE
        part_colour: str = "mean",  # a part's colour: its pixels' "mean", per-channel "median" or "learned"
        thin_edges: bool = False,  # part boundaries one pixel wide instead of two
        label_norms: bool = False,  # labels also scale and shift every instance norm (ours)
    ) -> None:
        super().__init__()
        if upsample not in UPSAMPLES:
            raise ValueError(f"unknown upsample {upsample!r}; choose one of {', '.join(UPSAMPLES)}")
        painting = bool(flat_colours or flat_parts)
        if painting != (0 <= flat_domain < c_dim) or flat_colours == 1 or flat_colours < 0:
            raise ValueError(
                f"flat_colours (≥ 2, or 0: off) needs a flat_domain among the {c_dim} labels and the other way "
                f"round; got {flat_colours} and {flat_domain}"
            )
        self.flat_domain = flat_domain
        self.paint = flat_painter(flat_colours, flat_parts, part_colour, thin_edges)
        self.c_dim = c_dim
        self.residual = residual
        self.label_norms = label_norms
        labelled = c_dim if label_norms else None
        c = conv_dim
        layers: list[nn.Module] = [
            nn.Conv2d(3 + c_dim, c, 7, padding=3, bias=False),
            _norm(c, labelled),
            nn.ReLU(inplace=True),
        ]
        for _ in range(2):  # down-sampling
            layers += [nn.Conv2d(c, c * 2, 4, stride=2, padding=1, bias=False), _norm(c * 2, labelled)]
            layers.append(nn.ReLU(inplace=True))
            c *= 2
        layers += [ResidualBlock(c, labelled) for _ in range(repeat_num)]
        for _ in range(2):  # up-sampling
            if upsample == "transpose":
                layers.append(nn.ConvTranspose2d(c, c // 2, 4, stride=2, padding=1, bias=False))
            else:  # one Sequential slot, so the `main.N` numbering matches the paper's layout
                layers.append(
                    nn.Sequential(
                        nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c, c // 2, 3, padding=1, bias=False)
                    )
                )
            layers.append(_norm(c // 2, labelled))
            layers.append(nn.ReLU(inplace=True))
            c //= 2
        head = nn.Conv2d(c, 3, 7, padding=3, bias=False)
        if residual:  # start as the identity
            nn.init.zeros_(head.weight)
        layers.append(head)
        if not residual:
            layers.append(nn.Tanh())
        self.main = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """image [N, 3, H, W] in [-1, 1], labels [N, c_dim] → [N, 3, H, W] in [-1, 1]."""
        if labels.shape != (image.shape[0], self.c_dim):
            raise ValueError(f"labels must be [{image.shape[0]}, {self.c_dim}], got {list(labels.shape)}")
        tiled = labels.to(image.dtype)[:, :, None, None].expand(-1, -1, *image.shape[2:])
        x = torch.cat([image, tiled], dim=1)
        out = _apply(self.main, x, labels) if self.label_norms else self.main(x)
        out = (image + out).clamp(-1.0, 1.0) if self.residual else out
        if self.paint is not None:
            weight = labels[:, self.flat_domain].to(out.dtype).clamp(0.0, 1.0)[:, None, None, None]
            out = out + weight * (self.paint(out.float()).to(out.dtype) - out)
        return out


class StarGANDiscriminator(nn.Module, HubModel):
    """image [N, 3, S, S] → (real/fake patch logits [N, 1, S/2^r, S/2^r], domain logits [N, c_dim]).

    Strided 4×4 convolutions with LeakyReLU(0.01) and no normalisation (WGAN-GP penalises per-sample
    gradients, which batch statistics would mix); the classification head's kernel spans the last map.
    """

    def __init__(
        self,
        *,
        image_size: int = 128,  # the side it judges (px): fixes the classifier's kernel
        conv_dim: int = 64,  # width of the first layer (the official model: 64)
        c_dim: int = 5,  # domains or attributes it classifies
        repeat_num: int = 6,  # stride-2 layers: 128 px → 2×2 maps
        max_channels: int | None = None,  # cap the width (ours; None: the paper's doubling to conv_dim·2^(r−1))
    ) -> None:
        super().__init__()
        if image_size % 2**repeat_num:
            raise ValueError(f"image_size {image_size} must be a multiple of 2^repeat_num = {2**repeat_num}")
        width = [min(conv_dim * 2**i, max_channels or conv_dim * 2**i) for i in range(repeat_num)]
        layers: list[nn.Module] = []
        for index, out_channels in enumerate(width):
            in_channels = 3 if index == 0 else width[index - 1]
            layers += [nn.Conv2d(in_channels, out_channels, 4, stride=2, padding=1), nn.LeakyReLU(0.01)]
        self.image_size = image_size
        self.main = nn.Sequential(*layers)
        self.conv1 = nn.Conv2d(width[-1], 1, 3, padding=1, bias=False)  # real / fake per patch
        self.conv2 = nn.Conv2d(width[-1], c_dim, image_size // 2**repeat_num, bias=False)  # domain logits

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if image.shape[-2:] != (self.image_size, self.image_size):
            raise ValueError(f"the discriminator judges {self.image_size} px images, got {list(image.shape[-2:])}")
        features = self.main(image)
        return self.conv1(features), self.conv2(features).flatten(1)
