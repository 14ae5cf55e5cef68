"""DCGAN: Radford, Metz & Chintala, "Unsupervised Representation Learning with Deep Convolutional
Generative Adversarial Networks", ICLR 2016.

The layers follow the PyTorch DCGAN tutorial (`main.0` … `main.12`), so the many checkpoints written
with that tutorial, such as the synthetic-faces generator of `gan-face-generate`, load unchanged.
"""

from __future__ import annotations

import torch
from torch import nn

from gan_demo.models._mixin import HubModel


class DCGANGenerator(nn.Module, HubModel):
    """z ~ N(0, I) of `latent_dim` → image [N, C, 64, 64] in [-1, 1] (four stride-2 transposed convs)."""

    def __init__(
        self,
        *,
        latent_dim: int = 100,  # length of z
        base_channels: int = 64,  # feature maps of the last hidden layer (ngf)
        image_channels: int = 3,  # 3 for RGB
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        c = base_channels
        self.main = nn.Sequential(
            *_up(latent_dim, c * 8, stride=1, padding=0),  # 1 → 4
            *_up(c * 8, c * 4),  # 4 → 8
            *_up(c * 4, c * 2),  # 8 → 16
            *_up(c * 2, c),  # 16 → 32
            nn.ConvTranspose2d(c, image_channels, 4, 2, 1, bias=False),  # 32 → 64
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """z: [N, latent_dim] (or [N, latent_dim, 1, 1]) → [N, C, 64, 64] in [-1, 1]."""
        return self.main(z.reshape(z.shape[0], self.latent_dim, 1, 1))


class DCGANDiscriminator(nn.Module, HubModel):
    """Image [N, C, 64, 64] → one real/fake logit per image (no sigmoid: losses take logits)."""

    def __init__(
        self,
        *,
        base_channels: int = 64,  # feature maps of the first layer (ndf)
        image_channels: int = 3,
    ) -> None:
        super().__init__()
        c = base_channels
        self.main = nn.Sequential(
            nn.Conv2d(image_channels, c, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2),
            *_down(c, c * 2),
            *_down(c * 2, c * 4),
            *_down(c * 4, c * 8),
            nn.Conv2d(c * 8, 1, 4, 1, 0, bias=False),
        )

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """image: [N, C, 64, 64] in [-1, 1] → logits [N]."""
        return self.main(image).flatten()


def _up(cin: int, cout: int, *, stride: int = 2, padding: int = 1) -> list[nn.Module]:
    return [nn.ConvTranspose2d(cin, cout, 4, stride, padding, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


def _down(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2)]
