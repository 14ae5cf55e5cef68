"""The loss terms of neural style transfer (Gatys, Ecker & Bethge, "Image Style Transfer Using
Convolutional Neural Networks", CVPR 2016), each returned already weighted, named as in the paper:

- content: squared error between feature maps on one deep layer (the paper's Eq. 1);
- style: squared error between Gram matrices over several layers, one weight per layer (Eqs. 3–5), the
  Gram target blended from several style images by their weights;
- tv: total variation of the image (Mahendran & Vedaldi, CVPR 2015), a smoothness prior.

Every error is divided by its target's energy (‖F_c‖², ‖G_s‖²), so each term starts near 1 whatever the
network, layer or image size, and one set of weights means the same on EfficientNet and on VGG. The
paper's 1/(4 N² M²) factors play the same role for one network only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import torch

from gan_demo.models.style_features import smooth_activations
from gan_demo.specs import StylizeOptions


class FeatureNetwork(Protocol):
    def feature_maps(self, image: torch.Tensor, layers: Sequence[str]) -> dict[str, torch.Tensor]: ...


@dataclass(frozen=True)
class FeatureLayers:
    """Which activations of a network the losses read; from the registry entry's stylize options."""

    content: str  # one deep layer: the arrangement of the picture
    style: tuple[str, ...]  # shallow to deep: fine texture to large strokes
    smoothing: float = 0.0  # temperature of Wang et al. 2021's softmax smoothing (non-VGG networks); 0 = off

    @classmethod
    def from_options(cls, options: StylizeOptions) -> FeatureLayers:
        return cls(options.content_layer, tuple(options.style_layers), options.smoothing)

    @property
    def all(self) -> list[str]:
        return list(dict.fromkeys([*self.style, self.content]))


@dataclass(frozen=True)
class LossWeights:
    content: float = 1.0  # keeps the photo's arrangement
    style: float = 10.0  # how strongly the Gram statistics of the style are imposed
    tv: float = 10.0  # smoothness: higher removes speckle, too high blurs
    layers: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0)  # one per style layer, shallow to deep


def features(network: FeatureNetwork, image: torch.Tensor, layers: FeatureLayers) -> dict[str, torch.Tensor]:
    """The activations the losses use, smoothed when the layers ask for it."""
    maps = network.feature_maps(image, layers.all)
    if layers.smoothing > 0:
        return {name: smooth_activations(x, temperature=layers.smoothing) for name, x in maps.items()}
    return maps


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """[N, C, H, W] → [N, C, C]: channel co-activations averaged over positions and channels, F Fᵀ / (C·H·W)."""
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


def blended_grams(grams: Sequence[Mapping[str, torch.Tensor]], weights: Sequence[float]) -> dict[str, torch.Tensor]:
    """Several style images' Gram matrices, per layer, averaged with their (not necessarily normalised) weights."""
    total = float(sum(weights))
    return {name: sum(w * g[name] for g, w in zip(grams, weights, strict=True)) / total for name in grams[0]}


def relative_error(value: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """‖value - target‖² / ‖target‖²: 0 when equal, 1 when value is 0."""
    return (value - target).pow(2).sum() / target.pow(2).sum().clamp_min(1e-12)


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between horizontally and vertically neighbouring pixels."""
    dx = image[..., :, 1:] - image[..., :, :-1]
    dy = image[..., 1:, :] - image[..., :-1, :]
    return dx.pow(2).mean() + dy.pow(2).mean()


def loss_terms(
    maps: Mapping[str, torch.Tensor],
    image: torch.Tensor,
    *,
    content_target: torch.Tensor,
    style_targets: Mapping[str, torch.Tensor],
    layers: FeatureLayers,
    weights: LossWeights,
) -> dict[str, torch.Tensor]:
    """The three named, weighted terms for one image; the optimiser sums them."""
    style = sum(
        w * relative_error(gram_matrix(maps[name]), style_targets[name])
        for name, w in zip(layers.style, weights.layers, strict=True)
        if w > 0
    ) / sum(weights.layers)
    return {
        "content": weights.content * relative_error(maps[layers.content], content_target),
        "style": weights.style * style,
        "tv": weights.tv * total_variation(image),
    }
