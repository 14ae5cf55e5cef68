"""A perceptual distance on frozen pretrained features (Johnson, Alahi & Fei-Fei, "Perceptual Losses for
Real-Time Style Transfer and Super-Resolution", ECCV 2016), here on ImageNet EfficientNet-Lite0 activations.

Beside a pixel loss it rewards the right edges and textures rather than their average: L1 alone lets a
generator blur what it is unsure of.
"""

from __future__ import annotations

import torch
from torch import nn

from gan_demo.models.efficientnet_lite import EfficientNetLite0, load_efficientnet_lite0

DEFAULT_LAYERS = ("stage2", "stage3")  # /4 and /8 of the input: edges, small parts


class FeatureDistance(nn.Module):
    """Mean absolute difference of the named feature maps of two [-1, 1] image batches, summed over layers.

    The feature network is frozen: its weights get no gradient and it stays in eval mode (fixed batch-norm
    statistics) even inside a model that is put in train mode; gradients still flow to the images.
    """

    def __init__(
        self,
        network: EfficientNetLite0,  # e.g. load_efficientnet_lite0(device)
        *,
        layers: tuple[str, ...] = DEFAULT_LAYERS,  # see EfficientNetLite0.feature_maps
    ) -> None:
        super().__init__()
        self.network = network.eval().requires_grad_(False)
        self.layers = tuple(layers)

    def train(self, mode: bool = True) -> FeatureDistance:
        super().train(mode)
        self.network.eval()  # frozen statistics, whatever the caller asks
        return self

    def forward(self, fake: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """fake, target: [N, 3, H, W] in [-1, 1] → a scalar ≥ 0."""
        fake_maps = self.network.feature_maps((fake + 1) / 2, self.layers)
        with torch.no_grad():
            target_maps = self.network.feature_maps((target + 1) / 2, self.layers)
        return sum((fake_maps[name] - target_maps[name]).abs().mean() for name in self.layers)


def pretrained_feature_distance(device: torch.device, *, layers: tuple[str, ...] = DEFAULT_LAYERS) -> FeatureDistance:
    """FeatureDistance on the ImageNet EfficientNet-Lite0 that the project ships."""
    return FeatureDistance(load_efficientnet_lite0(device), layers=layers)
