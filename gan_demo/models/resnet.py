"""CycleGAN networks: Zhu, Park, Isola & Efros, "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks", ICCV 2017 (generator after Johnson et al. 2016).

Module names follow junyanz/pytorch-CycleGAN-and-pix2pix (`model.N`, `conv_block.N`), so the official
`latest_net_G.pth` files map onto these classes key for key (see `gan_demo.models.legacy`).
"""

from __future__ import annotations

import torch
from torch import nn

from gan_demo.models._mixin import HubModel
from gan_demo.models.colour_regions import flat_painter

NORMS = ("instance", "instance_affine", "batch")
UPSAMPLES = ("transpose", "resize")


# Activations work in place (as the reference code's do): each follows a convolution or a norm, whose backward
# does not need its output, so training allocates and touches less memory per step.


def norm_layer(kind: str, channels: int) -> nn.Module:
    """'instance' (the paper's, no learnt scale), 'instance_affine', or 'batch'."""
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "instance_affine":
        return nn.InstanceNorm2d(channels, affine=True, track_running_stats=False)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    raise ValueError(f"unknown norm {kind!r}; choose one of {', '.join(NORMS)}")


class ResnetBlock(nn.Module):
    """x + F(x), F = pad-conv3-norm-ReLU-(dropout)-pad-conv3-norm."""

    def __init__(self, channels: int, *, norm: str, dropout: bool, use_bias: bool) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=use_bias),
            norm_layer(norm, channels),
            nn.ReLU(inplace=True),
        ]
        if dropout:
            layers.append(nn.Dropout(0.5))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=use_bias), norm_layer(norm, channels)]
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module, HubModel):
    """Image [N, 3, H, W] in [-1, 1] → translated image, same shape; H and W must be multiples of 4.

    c7s1-64, d128, d256, R256 × n_blocks, u128, u64, c7s1-3 (the paper's appendix notation).

    upsample="transpose" is the paper's (and the reference code's) fractionally strided convolution.
    "resize" doubles the size with nearest-neighbour interpolation and then convolves (Odena, Dumoulin & Olah,
    "Deconvolution and Checkerboard Artifacts", Distill 2016): same parameter count, no checkerboard
    pattern, but the weights of the two kinds are not interchangeable.

    residual=True (ours, not the paper's) drops the final tanh and adds the network's output to the input,
    with that last convolution initialised to zero, so training starts from the identity and only learns
    the change of style. For two styles that share their drawings (flat ↔ shaded emoji) this keeps edges
    and flat areas clean, where a generator that redraws every pixel leaves texture behind. The clamp
    passes no gradient where input + change lies at or beyond ±1, so a saturated pixel (a white
    background, a pure colour) trains only once the change pulls it inside.

    flat_colours=N (ours) paints the output in at most N flat colour regions, each the mean of the network's
    output over it (`gan_demo.models.colour_regions`): for generators into a flat-colour style. It has no
    weights, so it can be switched on or off in config.json without touching the state dict.
    """

    size_multiple = 4  # two stride-2 downsamplings

    def __init__(
        self,
        *,
        in_channels: int = 3,
        out_channels: int = 3,
        base_channels: int = 64,  # ngf: width of the first layer
        n_blocks: int = 9,  # 9 for 256 px training, 6 for 128 px
        norm: str = "instance",  # one of NORMS
        dropout: bool = False,  # Dropout(0.5) inside residual blocks
        upsample: str = "transpose",  # one of UPSAMPLES
        residual: bool = False,  # learn a change to the input: output = clip(input + network(input))
        flat_colours: int = 0,  # paint the output in at most this many flat colours (0: off)
        flat_parts: float = 0.0,  # or paint each part one colour, parts split at this ΔE (0: off)
        part_colour: str = "mean",  # a part's colour: its pixels' "mean", per-channel "median" or "learned"
        thin_edges: bool = False,  # part boundaries one pixel wide instead of two
    ) -> None:
        super().__init__()
        if upsample not in UPSAMPLES:
            raise ValueError(f"unknown upsample {upsample!r}; choose one of {', '.join(UPSAMPLES)}")
        if residual and in_channels != out_channels:
            raise ValueError("a residual generator needs as many output channels as input channels")
        if flat_colours < 0 or flat_colours == 1:
            raise ValueError(f"flat_colours must be 0 (off) or at least 2, not {flat_colours}")
        self.residual = residual
        self.flat_colours = flat_colours
        self.paint = flat_painter(flat_colours, flat_parts, part_colour, thin_edges)  # weights only if "learned"
        use_bias = norm != "batch"  # batch norm has its own shift
        c = base_channels
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels, c, 7, bias=use_bias),
            norm_layer(norm, c),
            nn.ReLU(inplace=True),
        ]
        for mult in (1, 2):  # downsample
            layers += [
                nn.Conv2d(c * mult, c * mult * 2, 3, stride=2, padding=1, bias=use_bias),
                norm_layer(norm, c * mult * 2),
                nn.ReLU(inplace=True),
            ]
        layers += [ResnetBlock(c * 4, norm=norm, dropout=dropout, use_bias=use_bias) for _ in range(n_blocks)]
        for mult in (4, 2):  # upsample
            layers += [
                *_upsample_layers(upsample, c * mult, c * mult // 2, bias=use_bias),
                norm_layer(norm, c * mult // 2),
                nn.ReLU(inplace=True),
            ]
        head = nn.Conv2d(c, out_channels, 7)
        if residual:  # start as the identity: the first fakes are the inputs themselves
            nn.init.zeros_(head.weight)
            nn.init.zeros_(head.bias)
        layers += [nn.ReflectionPad2d(3), head]
        if not residual:
            layers.append(nn.Tanh())
        self.model = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """image: [N, in_channels, H, W] in [-1, 1], H, W multiples of 4 → [N, out_channels, H, W]."""
        out = (image + self.model(image)).clamp(-1.0, 1.0) if self.residual else self.model(image)
        if self.paint is not None:
            out = self.paint(out)
        return out


def _upsample_layers(kind: str, in_channels: int, out_channels: int, *, bias: bool) -> list[nn.Module]:
    """×2 upsampling. Each kind is one module holding weights plus parameter-free helpers."""
    if kind == "transpose":
        return [nn.ConvTranspose2d(in_channels, out_channels, 3, stride=2, padding=1, output_padding=1, bias=bias)]
    # "resize": nn.Sequential keeps the reference's module numbering (one slot per upsampling step)
    return [
        nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.ReflectionPad2d(1),
            nn.Conv2d(in_channels, out_channels, 3, bias=bias),
        )
    ]


class PatchDiscriminator(nn.Module, HubModel):
    """PatchGAN (Isola et al. 2017): a real/fake logit per overlapping patch.

    With n_layers=3 every output logit sees a 70×70 input patch; a 256×256 input gives a 30×30 map.
    """

    def __init__(
        self,
        *,
        in_channels: int = 3,  # 6 for a conditional (pix2pix) discriminator: input ‖ output
        base_channels: int = 64,  # ndf
        n_layers: int = 3,  # 3 → 70×70 receptive field
        norm: str = "instance",
    ) -> None:
        super().__init__()
        use_bias = norm != "batch"
        c = base_channels
        layers: list[nn.Module] = [nn.Conv2d(in_channels, c, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True)]
        mult = 1
        for n in range(1, n_layers + 1):
            prev, mult = mult, min(2**n, 8)
            stride = 2 if n < n_layers else 1
            layers += [
                nn.Conv2d(c * prev, c * mult, 4, stride=stride, padding=1, bias=use_bias),
                norm_layer(norm, c * mult),
                nn.LeakyReLU(0.2, inplace=True),
            ]
        layers.append(nn.Conv2d(c * mult, 1, 4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """image: [N, in_channels, H, W] in [-1, 1] → patch logits [N, 1, H', W']."""
        return self.model(image)
