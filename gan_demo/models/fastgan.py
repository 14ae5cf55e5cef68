"""A light generator and discriminator for small data sets and short training, after FastGAN:
Liu, Zhu, Song & Elgammal, "Towards Faster and Stabilized GAN Training for High-fidelity Few-shot Image
Synthesis", ICLR 2021.

What is kept from the paper:
- Skip-layer excitation (SLE): a low-resolution feature map gates the channels of a high-resolution one
  (4 → 32 px, 8 → 64 px, …), a cheap long-range path that speeds up convergence.
- GLU activations after nearest-neighbour upsampling + 3×3 convolutions, batch norm in the generator.
- A discriminator with spectral norm, two-path residual down blocks, a 5×5 map of logits, and a small
  decoder that must reconstruct the real image from D's 8×8 features (the paper's self-supervision, here
  with an L1 loss on the whole image at 32 px instead of LPIPS on random crops).

What differs: no noise injection (the latent vector is the only randomness, so a seed always gives the same
image), and channel widths are set by `base_channels` so the same code makes a 2 M-parameter 64 px model
or a larger one. Differentiable augmentation for its training is in `gan_demo.training.augment`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from gan_demo.models._mixin import HubModel

IMAGE_SIZES = (64, 128, 256)


def _widths(image_size: int, base_channels: int, max_channels: int) -> dict[int, int]:
    """Feature channels per resolution: `base_channels` at the output size, doubling per halving, capped."""
    if image_size not in IMAGE_SIZES:
        raise ValueError(f"image_size must be one of {IMAGE_SIZES}, got {image_size}")
    widths, res = {}, image_size
    while res >= 4:
        widths[res] = min(max_channels, base_channels * image_size // res)
        res //= 2
    return widths


def _up_conv(cin: int, cout: int) -> nn.Sequential:
    """3×3 conv to 2·cout channels, batch norm, GLU → cout channels (conv directly before its norm)."""
    return nn.Sequential(nn.Conv2d(cin, cout * 2, 3, padding=1, bias=False), nn.BatchNorm2d(cout * 2), nn.GLU(dim=1))


class UpBlock(nn.Module):
    """×2 nearest-neighbour upsampling, then one (or, with `double`, two) conv-BN-GLU layers."""

    def __init__(self, cin: int, cout: int, *, double: bool) -> None:
        super().__init__()
        self.convs = nn.Sequential(_up_conv(cin, cout), *([_up_conv(cout, cout)] if double else []))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.convs(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class SkipExcitation(nn.Module):
    """SLE: channel gates for a high-resolution map, computed from a 4×4 summary of a low-resolution one."""

    def __init__(self, low_channels: int, high_channels: int) -> None:
        super().__init__()
        self.gate = nn.Sequential(
            nn.AdaptiveAvgPool2d(4),
            nn.Conv2d(low_channels, high_channels, 4, bias=False),  # 4×4 → 1×1
            nn.SiLU(),
            nn.Conv2d(high_channels, high_channels, 1, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
        return high * self.gate(low)


class FastGANGenerator(nn.Module, HubModel):
    """z ~ N(0, I) of `latent_dim` → image [N, C, image_size, image_size] in [-1, 1]."""

    def __init__(
        self,
        *,
        latent_dim: int = 128,
        image_size: int = 64,  # 64, 128 or 256
        base_channels: int = 16,  # channels at the output resolution
        max_channels: int = 256,  # cap for the low resolutions
        image_channels: int = 3,
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.image_size = image_size
        width = _widths(image_size, base_channels, max_channels)
        self.initial = nn.Sequential(  # 1×1 → 4×4
            nn.ConvTranspose2d(latent_dim, width[4] * 2, 4, bias=False), nn.BatchNorm2d(width[4] * 2), nn.GLU(dim=1)
        )
        resolutions = [res for res in sorted(width) if res > 4]
        self.ups = nn.ModuleList(
            UpBlock(width[res // 2], width[res], double=res <= 16)
            for res in resolutions  # two convs while cheap
        )
        # SLE from res/8 into res, for every res ≥ 32
        self.excite = nn.ModuleDict(
            {str(res): SkipExcitation(width[res // 8], width[res]) for res in resolutions if res >= 32}
        )
        self.to_rgb = nn.Sequential(nn.Conv2d(width[image_size], image_channels, 3, padding=1), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """z: [N, latent_dim] → [N, C, image_size, image_size] in [-1, 1]."""
        x = self.initial(z.reshape(z.shape[0], self.latent_dim, 1, 1))
        features = {4: x}
        for up in self.ups:
            x = up(x)
            res = x.shape[-1]
            if str(res) in self.excite:
                x = self.excite[str(res)](features[res // 8], x)
            features[res] = x
        return self.to_rgb(x)


def _sn_conv(cin: int, cout: int, kernel: int, stride: int = 1, padding: int = 0) -> nn.Module:
    return spectral_norm(nn.Conv2d(cin, cout, kernel, stride, padding, bias=False))


class DownBlock(nn.Module):
    """Halves the resolution; mean of a conv4-s2/conv3 path and an average-pool/conv1 shortcut."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.main = nn.Sequential(
            _sn_conv(cin, cout, 4, 2, 1),
            nn.BatchNorm2d(cout),
            nn.LeakyReLU(0.2),
            _sn_conv(cout, cout, 3, 1, 1),
            nn.BatchNorm2d(cout),
            nn.LeakyReLU(0.2),
        )
        self.shortcut = nn.Sequential(nn.AvgPool2d(2), _sn_conv(cin, cout, 1), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.main(x) + self.shortcut(x)) / 2


class FastGANDiscriminator(nn.Module, HubModel):
    """Image → a 5×5 map of real/fake logits; `forward(x, reconstruct=True)` also decodes D's 8×8 features."""

    def __init__(
        self,
        *,
        image_size: int = 64,
        base_channels: int = 32,  # channels after the first, stride-2 layer
        max_channels: int = 256,
        image_channels: int = 3,
        recon_size: int = 32,  # side of the self-supervised reconstruction
    ) -> None:
        super().__init__()
        if image_size not in IMAGE_SIZES:
            raise ValueError(f"image_size must be one of {IMAGE_SIZES}, got {image_size}")
        self.recon_size = recon_size
        c = base_channels
        layers: list[nn.Module] = [_sn_conv(image_channels, c, 4, 2, 1), nn.LeakyReLU(0.2)]
        res = image_size // 2
        while res > 8:
            layers.append(DownBlock(c, min(c * 2, max_channels)))
            c, res = min(c * 2, max_channels), res // 2
        self.down = nn.Sequential(*layers)  # → [N, c, 8, 8]
        self.logits = nn.Sequential(
            _sn_conv(c, c, 1), nn.BatchNorm2d(c), nn.LeakyReLU(0.2), _sn_conv(c, 1, 4)
        )  # 8×8 → 5×5
        decoder: list[nn.Module] = []
        res, width = 8, c
        while res < recon_size:
            decoder += [nn.Upsample(scale_factor=2.0, mode="nearest"), _up_conv(width, max(width // 2, 16))]
            width, res = max(width // 2, 16), res * 2
        self.decoder = nn.Sequential(*decoder, nn.Conv2d(width, image_channels, 3, padding=1), nn.Tanh())

    def forward(
        self, image: torch.Tensor, *, reconstruct: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """image: [N, C, S, S] in [-1, 1] → logits [N, 25] (and the reconstruction [N, C, 32, 32])."""
        features = self.down(image)
        logits = self.logits(features).flatten(1)
        if not reconstruct:
            return logits
        return logits, self.decoder(features)
