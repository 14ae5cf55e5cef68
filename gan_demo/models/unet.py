"""pix2pix generator: Isola, Zhu, Zhou & Efros, "Image-to-Image Translation with Conditional Adversarial
Networks", CVPR 2017. An encoder-decoder with skip connections between mirrored layers (U-Net,
Ronneberger et al. 2015).

The recursive block structure and module names follow junyanz/pytorch-CycleGAN-and-pix2pix
(`model.model.1.model.3…`), so its `unet_256` / `unet_128` checkpoints load key for key.
"""

from __future__ import annotations

import torch
from torch import nn

from gan_demo.models._mixin import HubModel
from gan_demo.models.resnet import norm_layer


class UnetSkipBlock(nn.Module):
    """One level of the U-Net: down, the inner levels, up; the output is concatenated with the input."""

    def __init__(
        self,
        outer_channels: int,
        inner_channels: int,
        *,
        in_channels: int | None = None,  # defaults to outer_channels (only the outermost level differs)
        inner: nn.Module | None = None,  # the next level inwards; None for the innermost level
        outermost: bool = False,
        norm: str = "batch",
        dropout: bool = False,
    ) -> None:
        super().__init__()
        self.outermost = outermost
        # The activations after a convolution or a concatenation work in place (that output is not needed
        # again); the LeakyReLU on the block's input must not, since the input is also the skip connection.
        use_bias = norm != "batch"
        in_channels = in_channels or outer_channels
        down = nn.Conv2d(in_channels, inner_channels, 4, stride=2, padding=1, bias=use_bias)
        if outermost:
            up = nn.ConvTranspose2d(inner_channels * 2, outer_channels, 4, stride=2, padding=1)
            layers = [down, inner, nn.ReLU(inplace=True), up, nn.Tanh()]
        elif inner is None:  # innermost: the 1×1 bottleneck has no norm
            up = nn.ConvTranspose2d(inner_channels, outer_channels, 4, stride=2, padding=1, bias=use_bias)
            layers = [nn.LeakyReLU(0.2), down, nn.ReLU(inplace=True), up, norm_layer(norm, outer_channels)]
        else:
            up = nn.ConvTranspose2d(inner_channels * 2, outer_channels, 4, stride=2, padding=1, bias=use_bias)
            layers = [
                nn.LeakyReLU(0.2),
                down,
                norm_layer(norm, inner_channels),
                inner,
                nn.ReLU(inplace=True),
                up,
                norm_layer(norm, outer_channels),
            ]
            if dropout:
                layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], dim=1)


class UnetGenerator(nn.Module, HubModel):
    """Image [N, in, H, W] in [-1, 1] → image [N, out, H, W]; H and W must be multiples of 2**num_downs.

    num_downs=8 is the paper's unet_256 (256 px → 1×1 bottleneck), 7 is unet_128. Dropout in the inner
    decoder levels is the noise source of pix2pix (active in training; eval() turns it off).
    """

    def __init__(
        self,
        *,
        in_channels: int = 3,
        out_channels: int = 3,
        num_downs: int = 8,  # stride-2 levels; the input side must be divisible by 2**num_downs
        base_channels: int = 64,  # ngf: width of the outermost level, doubled per level up to 8×
        norm: str = "batch",  # "batch" (the paper's), "instance" or "instance_affine"
        dropout: bool = True,  # Dropout(0.5) in the innermost 8×-wide decoder levels
    ) -> None:
        super().__init__()
        if num_downs < 5:
            raise ValueError(f"num_downs must be at least 5, got {num_downs}")
        self.size_multiple = 2**num_downs
        c = base_channels
        block = UnetSkipBlock(c * 8, c * 8, norm=norm)
        for _ in range(num_downs - 5):
            block = UnetSkipBlock(c * 8, c * 8, inner=block, norm=norm, dropout=dropout)
        for outer, inner_width in ((c * 4, c * 8), (c * 2, c * 4), (c, c * 2)):
            block = UnetSkipBlock(outer, inner_width, inner=block, norm=norm)
        self.model = UnetSkipBlock(out_channels, c, in_channels=in_channels, inner=block, outermost=True, norm=norm)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """image: [N, in_channels, H, W] in [-1, 1], H, W multiples of 2**num_downs → [N, out_channels, H, W]."""
        return self.model(image)


class _Down(nn.Module):
    def __init__(self, cin: int, cout: int, *, normalize: bool = True, dropout: bool = False) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(cin, cout, 4, stride=2, padding=1, bias=False)]
        if normalize:
            layers.append(nn.InstanceNorm2d(cout))
        layers.append(nn.LeakyReLU(0.2))
        if dropout:
            layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class _Up(nn.Module):
    def __init__(self, cin: int, cout: int, *, dropout: bool = False) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=False),
            nn.InstanceNorm2d(cout),
            nn.ReLU(),
        ]
        if dropout:
            layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.model(x), skip], dim=1)


class HugganUnetGenerator(nn.Module, HubModel):
    """The 8-level U-Net of the Hugging Face HugGAN sprint's pix2pix (`huggan/pix2pix-*` repos).

    Same idea as `UnetGenerator` with unet_256 depth, but other module names (down1…down8, up1…up7,
    final), instance norm without parameters and an upsample + conv output layer; a separate class so
    those checkpoints load strictly. Input side must be a multiple of 256.
    """

    size_multiple = 256

    def __init__(self, *, in_channels: int = 3, out_channels: int = 3) -> None:
        super().__init__()
        widths = [64, 128, 256, 512, 512, 512, 512, 512]
        cin = in_channels
        for level, width in enumerate(widths, start=1):
            normalize = level not in (1, 8)
            setattr(self, f"down{level}", _Down(cin, width, normalize=normalize, dropout=level >= 4))
            cin = width
        for level, (skip, width) in enumerate(
            zip(reversed(widths[:-1]), [512, 512, 512, 512, 256, 128, 64], strict=True), start=1
        ):
            setattr(self, f"up{level}", _Up(cin, width, dropout=level <= 4))
            cin = width + skip
        self.final = nn.Sequential(
            nn.Upsample(scale_factor=2),
            nn.ZeroPad2d((1, 0, 1, 0)),
            nn.Conv2d(cin, out_channels, 4, padding=1),
            nn.Tanh(),
        )

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """image: [N, in_channels, H, W] in [-1, 1], H, W multiples of 256 → [N, out_channels, H, W]."""
        skips = []
        x = image
        for level in range(1, 9):
            x = getattr(self, f"down{level}")(x)
            skips.append(x)
        for level, skip in enumerate(reversed(skips[:-1]), start=1):
            x = getattr(self, f"up{level}")(x, skip)
        return self.final(x)
