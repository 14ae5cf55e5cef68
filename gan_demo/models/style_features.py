"""Feature networks for neural style transfer, and the activation smoothing that makes non-VGG nets usable.

- VGG-19: Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition",
  ICLR 2015, configuration E; the convolutional part only, in torchvision's `features.N` layout (the
  layout of the ImageNet weights re-hosted by timm as `timm/vgg19.tv_in1k`), up to relu5_1, with the
  layer names of Gatys, Ecker & Bethge, "Image Style Transfer Using Convolutional Neural Networks",
  CVPR 2016 (conv1_1 … relu5_1).
- Activation smoothing: Wang, Li & Vasconcelos, "Rethinking and Improving the Robustness of Image Style
  Transfer", CVPR 2021 (SWAG). Residual networks have a few large, peaky activations that dominate the Gram
  statistics; the paper passes each layer through a softmax. Measured here on EfficientNet-Lite0 (the
  style galleries in benchmarks/README.md): a softmax of the raw activations made the optimiser paint
  noise (the exponential sharpens the peaks); tempered (activations / (3 × their standard deviation)) it
  keeps more of the photo than the plain Gram loss at the same weights, but with blurrier textures, and
  the plain loss with a 10× lower style weight looks better than both. So the offline preset uses the
  plain loss; the smoothing stays available to a registry entry ("smoothing": temperature).

The EfficientNet-Lite0 backbone itself lives in `efficientnet_lite.py`; both expose
`feature_maps(image, layers)` with `image` RGB [N, 3, H, W] in [0, 1].
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from gan_demo.models._mixin import HubModel

# Configuration E: channels per convolution, "M" for a 2×2 max-pool. Cut after relu5_1 (the deepest layer
# style transfer uses), so torchvision's indices hold: conv1_1 = features.0, conv4_2 = features.21, …
VGG19_PLAN = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512)
IMAGENET_MEAN = (0.485, 0.456, 0.406)  # torchvision's normalisation, which the VGG weights were trained with
IMAGENET_STD = (0.229, 0.224, 0.225)


def _vgg_layer_names() -> tuple[str, ...]:
    names, block, conv = [], 1, 1
    for item in VGG19_PLAN:
        if item == "M":
            names.append(f"pool{block}")
            block, conv = block + 1, 1
        else:
            names += [f"conv{block}_{conv}", f"relu{block}_{conv}"]
            conv += 1
    return tuple(names)


VGG19_LAYERS = _vgg_layer_names()  # ("conv1_1", "relu1_1", "conv1_2", …, "relu5_1"), index = features.N


class VGG19Features(nn.Module, HubModel):
    """VGG-19 convolutions up to relu5_1: RGB [N, 3, H, W] in [0, 1] → named activations (no classifier)."""

    def __init__(self, *, pool: str = "max") -> None:  # "max" (the trained net) or "avg" (Gatys et al.'s choice)
        super().__init__()
        if pool not in ("max", "avg"):
            raise ValueError(f"pool must be 'max' or 'avg', got {pool!r}")
        layers: list[nn.Module] = []
        channels = 3
        for item in VGG19_PLAN:
            if item == "M":
                layers.append(nn.MaxPool2d(2, 2) if pool == "max" else nn.AvgPool2d(2, 2))
            else:
                layers += [nn.Conv2d(channels, int(item), 3, padding=1), nn.ReLU(inplace=False)]
                channels = int(item)
        self.features = nn.Sequential(*layers)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """image: [N, 3, H, W] in [0, 1] → relu5_1 activations [N, 512, H/16, W/16]."""
        return self.feature_maps(image, ["relu5_1"])["relu5_1"]

    def feature_maps(self, image: torch.Tensor, layers: Iterable[str]) -> dict[str, torch.Tensor]:
        """image: [N, 3, H, W] in [0, 1] → {layer: activation} for the layers asked for (see VGG19_LAYERS)."""
        wanted = set(layers)
        unknown = wanted - set(VGG19_LAYERS)
        if unknown or not wanted:
            raise ValueError(f"unknown or no layers {sorted(unknown)}; choose from {', '.join(VGG19_LAYERS)}")
        last = max(VGG19_LAYERS.index(name) for name in wanted)
        x, maps = (image - self.mean) / self.std, {}
        for index, module in enumerate(self.features[: last + 1]):
            x = module(x)
            if VGG19_LAYERS[index] in wanted:
                maps[VGG19_LAYERS[index]] = x
        return maps


def smooth_activations(features: torch.Tensor, *, temperature: float = 1.0) -> torch.Tensor:
    """Wang et al. 2021's softmax smoothing of one layer: [N, C, H, W] → same shape, positive, mean 1.

    A softmax over all C·H·W activations of each image, rescaled by C·H·W so the values average 1 at every
    image size. The activations are first divided by `temperature` × their standard deviation (held
    constant), so the transform is the same for a layer whatever its scale.
    """
    flat = features.flatten(1)
    scale = flat.detach().std(dim=1, keepdim=True).clamp_min(1e-6) * temperature
    return (torch.softmax(flat / scale, dim=1) * flat.shape[1]).view_as(features)
