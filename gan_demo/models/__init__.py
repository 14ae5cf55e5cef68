"""nn.Modules only: generators, discriminators and feature extractors. No optimisers, no I/O.

Architectures are chosen by a plain string, so a registry entry or a config.json can record them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from gan_demo.models.dcgan import DCGANDiscriminator, DCGANGenerator
from gan_demo.models.efficientnet_lite import EfficientNetLite0
from gan_demo.models.fastgan import FastGANDiscriminator, FastGANGenerator
from gan_demo.models.lite_unet import LiteUnetGenerator
from gan_demo.models.resnet import PatchDiscriminator, ResnetGenerator
from gan_demo.models.sibling_colours import SiblingColours
from gan_demo.models.stargan import StarGANDiscriminator, StarGANGenerator
from gan_demo.models.style_features import VGG19Features
from gan_demo.models.unet import HugganUnetGenerator, UnetGenerator
from gan_demo.models.upscaler import Upscaler

ARCHITECTURES: dict[str, type[nn.Module]] = {
    "dcgan_generator": DCGANGenerator,
    "dcgan_discriminator": DCGANDiscriminator,
    "fastgan_generator": FastGANGenerator,
    "fastgan_discriminator": FastGANDiscriminator,
    "resnet_generator": ResnetGenerator,
    "patch_discriminator": PatchDiscriminator,
    "unet_generator": UnetGenerator,
    "huggan_unet_generator": HugganUnetGenerator,
    "lite_unet_generator": LiteUnetGenerator,
    "stargan_generator": StarGANGenerator,
    "stargan_discriminator": StarGANDiscriminator,
    "efficientnet_lite0": EfficientNetLite0,  # feature networks for style transfer
    "vgg19_features": VGG19Features,
    "sibling_colours": SiblingColours,  # a sketch model's bank of training drawings and their colours
    "upscaler": Upscaler,  # a small sampler's learned ×2 enlargement
}


def build_module(architecture: str, config: Mapping[str, Any]) -> nn.Module:
    """Instantiate an architecture by name from JSON-able keyword arguments."""
    try:
        cls = ARCHITECTURES[architecture]
    except KeyError:
        raise ValueError(f"unknown architecture {architecture!r}; known: {', '.join(sorted(ARCHITECTURES))}") from None
    try:
        return cls(**config)
    except TypeError as error:
        raise ValueError(f"bad config for {architecture}: {error}") from None


__all__ = [
    "ARCHITECTURES",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "EfficientNetLite0",
    "FastGANDiscriminator",
    "FastGANGenerator",
    "HugganUnetGenerator",
    "LiteUnetGenerator",
    "PatchDiscriminator",
    "ResnetGenerator",
    "SiblingColours",
    "StarGANDiscriminator",
    "StarGANGenerator",
    "UnetGenerator",
    "Upscaler",
    "VGG19Features",
    "build_module",
]
