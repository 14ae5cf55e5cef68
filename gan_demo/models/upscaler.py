"""A learned ×2 upscaler for a sampler that draws small: bicubic enlargement plus a learned correction.

A 64 px generator shown at 128 px used to be enlarged by bicubic interpolation, which blurs every edge; in the
project's own measure, the real training emoji reduced to 64 px and enlarged that way already score KID ×10³ 22.7
against 3.9 at full size. This network learns the missing detail from the training images themselves (each
reduced to half size is its own input): ESPCN's sub-pixel convolution (Shi et al., "Real-Time Single Image and
Video Super-Resolution Using an Efficient Sub-Pixel Convolutional Neural Network", CVPR 2016) predicting a
residual over the bicubic enlargement (as VDSR, Kim, Lee & Lee, CVPR 2016). Its last convolution starts at
zero, so an untrained upscaler is exactly bicubic enlargement.

The generator's samples are not clean reductions of real images; trained on clean inputs alone the upscaler
sharpens their speckles too. Training therefore degrades its inputs first (a random blur and a little noise,
after Real-ESRGAN, Wang et al., ICCVW 2021), so it learns to enlarge what it is shown and clean it up
(`gan_demo/training/upscaler.py`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gan_demo.models._mixin import HubModel


class Upscaler(nn.Module, HubModel):
    def __init__(
        self,
        *,
        channels: int = 48,  # width of the feature maps
        blocks: int = 4,  # 3×3 convolution + ReLU layers between the first and the last convolution
        scale: int = 2,  # enlargement factor (the sub-pixel shuffle's)
    ) -> None:
        super().__init__()
        if channels < 1 or blocks < 0 or scale < 2:
            raise ValueError(f"channels ≥ 1, blocks ≥ 0 and scale ≥ 2 expected, got {channels}, {blocks}, {scale}")
        self.scale = int(scale)
        layers: list[nn.Module] = [nn.Conv2d(3, channels, 3, padding=1), nn.ReLU(inplace=True)]
        for _ in range(blocks):
            layers += [nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.to_subpixels = nn.Conv2d(channels, 3 * scale * scale, 3, padding=1)
        nn.init.zeros_(self.to_subpixels.weight)  # starts as plain bicubic enlargement
        nn.init.zeros_(self.to_subpixels.bias)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """[N, 3, H, W] in [-1, 1] → [N, 3, scale·H, scale·W] in [-1, 1]."""
        bicubic = F.interpolate(image, scale_factor=self.scale, mode="bicubic", align_corners=False)
        correction = F.pixel_shuffle(self.to_subpixels(self.features(image)), self.scale)
        return (bicubic + correction).clamp(-1, 1)
