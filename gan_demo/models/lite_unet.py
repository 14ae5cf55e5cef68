"""A U-Net whose encoder is ImageNet-pretrained EfficientNet-Lite0, for paired image-to-image translation.

Why: colouring line art is mostly recognition (a face is yellow, a heart red, a leaf green). The pix2pix
U-Net learns to see from the training pairs alone; an encoder that already recognises ImageNet's objects
brings that knowledge to a small data set. This is the design of DeOldify's colouriser (Antic 2019, a
U-Net on a pretrained ResNet), with the small, mobile EfficientNet-Lite0 (Tan & Le 2019) the project
already ships for its metrics as the encoder, fine-tuned with the decoder.

Encoder: Lite0's stem and stages 1–6 (its last stage, head and classifier are dropped), read at five
scales: stem /2 (32 ch), stage 2 /4 (24), stage 3 /8 (40), stage 5 /16 (112), stage 6 /32 (192).
Decoder: per scale, ×2 nearest-neighbour upsampling, concatenation with the encoder's map of that scale
(the input image itself at full size), then 3×3 convolution + batch norm + ReLU, twice; a 3×3
convolution and tanh to RGB. Nearest + convolution rather than transposed convolutions: no checkerboard.

The constructor never reads weights; `load_imagenet_encoder()` copies the ImageNet weights into the
encoder before training (a trained model's own file holds the fine-tuned encoder).

Exemplars (`exemplar_side > 0`, see exemplars.py): the model also holds a bank of its training pairs, each a
key of its line art and a small thumbnail of its colour image (buffers, saved with the weights). Each
input's nearest training pair is looked up and its thumbnail, enlarged, enters the encoder through its own
3×3 stride-2 convolution, added to the stem's before the stem's batch norm. That convolution starts at zero,
so a model without exemplars loads into one with them (`load_state_dict`) and starts out computing exactly
what it computed before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from gan_demo.models._mixin import HubModel
from gan_demo.models.efficientnet_lite import STEM_CHANNELS, Conv2dSame, EfficientNetLite0, load_efficientnet_lite0
from gan_demo.models.exemplars import KEY_CHANNELS, enlarge, exemplar_keys, nearest

SKIP_LAYERS = ("stem", "stage2", "stage3", "stage5", "stage6")  # /2, /4, /8, /16, /32
SKIP_CHANNELS = (32, 24, 40, 112, 192)
ENCODER_STAGES = 6  # Lite0's stages 1 … 6 are kept; stage 7, the head and the classifier are not


def _conv_bn_relu(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class DecoderBlock(nn.Module):
    """×2 nearest upsampling, concatenation with the skip, then (3×3 conv, BN, ReLU) × 2."""

    def __init__(self, cin: int, skip: int, cout: int) -> None:
        super().__init__()
        self.body = nn.Sequential(*_conv_bn_relu(cin + skip, cout), *_conv_bn_relu(cout, cout))

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="nearest")
        return self.body(torch.cat([x, skip], dim=1))


class LiteUnetGenerator(nn.Module, HubModel):
    """image [N, 3, H, W] in [-1, 1] → image [N, 3, H, W] in [-1, 1]; H and W multiples of 32."""

    size_multiple = 32

    def __init__(
        self,
        *,
        decoder_channels: tuple[int, ...] | list[int] = (128, 64, 48, 32, 16),
        exemplar_side: int = 0,  # > 0: a bank of training exemplars with thumbnails of this side (px)
    ) -> None:
        super().__init__()
        if len(decoder_channels) != len(SKIP_LAYERS):
            raise ValueError(f"decoder_channels: {len(SKIP_LAYERS)} widths, coarse to fine; got {decoder_channels}")
        if exemplar_side < 0:
            raise ValueError(f"exemplar_side must be ≥ 0 (0: no exemplars), got {exemplar_side}")
        self.decoder_channels = tuple(int(c) for c in decoder_channels)
        self.exemplar_side = int(exemplar_side)
        self.encoder = EfficientNetLite0(stages=ENCODER_STAGES)
        skips = (*reversed(SKIP_CHANNELS[:-1]), 3)  # the finer maps, then the input image at full size
        widths = (SKIP_CHANNELS[-1], *self.decoder_channels)
        self.decoder = nn.ModuleList(
            DecoderBlock(cin, skip, cout) for cin, skip, cout in zip(widths[:-1], skips, widths[1:], strict=True)
        )
        self.to_rgb = nn.Conv2d(self.decoder_channels[-1], 3, 3, padding=1)
        if self.exemplar_side:
            self.exemplar_stem = Conv2dSame(3, STEM_CHANNELS, 3, stride=2, bias=False)
            nn.init.zeros_(self.exemplar_stem.weight)  # starts as the model without exemplars
            self.register_buffer("exemplar_keys", torch.zeros(0, KEY_CHANNELS))
            self.register_buffer("exemplar_images", torch.zeros(0, 3, exemplar_side, exemplar_side, dtype=torch.uint8))

    def forward(self, image: torch.Tensor, exemplar: torch.Tensor | None = None) -> torch.Tensor:
        """exemplar: [N, 3, H, W] in [-1, 1] (training passes each image's own); None looks it up in the bank."""
        if image.shape[-1] % self.size_multiple or image.shape[-2] % self.size_multiple:
            raise ValueError(f"image sides must be multiples of {self.size_multiple}, got {list(image.shape[-2:])}")
        stem_extra = None
        if self.exemplar_side:
            exemplar = self.look_up(image) if exemplar is None else exemplar
            stem_extra = self.exemplar_stem(exemplar.to(image.dtype))
        maps = self.encoder.feature_maps((image + 1) / 2, SKIP_LAYERS, stem_extra=stem_extra)
        x = maps[SKIP_LAYERS[-1]]
        for block, skip in zip(self.decoder, [*(maps[n] for n in reversed(SKIP_LAYERS[:-1])), image], strict=True):
            x = block(x, skip)
        return torch.tanh(self.to_rgb(x))

    def look_up(self, image: torch.Tensor) -> torch.Tensor:
        """The enlarged thumbnail of each image's nearest exemplar, [N, 3, H, W] in [-1, 1]."""
        if not len(self.exemplar_keys):
            raise ValueError("this model's exemplar bank is empty: it was built, not loaded or trained")
        index = nearest(exemplar_keys(image), self.exemplar_keys)
        return enlarge(self.exemplar_images[index], tuple(image.shape[-2:]))

    def set_exemplars(self, keys: torch.Tensor, images: torch.Tensor) -> None:
        """Replace the bank: unit keys [K, KEY_CHANNELS] and uint8 thumbnails [K, 3, side, side]."""
        side = self.exemplar_side
        if not side:
            raise ValueError("this model has no exemplar bank (exemplar_side 0)")
        if keys.ndim != 2 or keys.shape[1] != KEY_CHANNELS or images.shape[1:] != (3, side, side):
            raise ValueError(f"exemplars: keys [K, {KEY_CHANNELS}] and thumbnails [K, 3, {side}, {side}] expected")
        if len(keys) != len(images):
            raise ValueError(f"{len(keys)} exemplar keys but {len(images)} thumbnails")
        device = self.exemplar_keys.device
        self.exemplar_keys = keys.to(device, self.exemplar_keys.dtype)
        self.exemplar_images = images.to(device, torch.uint8)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False) -> Any:
        """As nn.Module's, strict by default; the bank takes the size of the loaded one, and weights saved
        without exemplars load into a model with them with the exemplar path at its zero start."""
        state = dict(state_dict)
        if self.exemplar_side:
            if not any(key.startswith("exemplar") for key in state):  # a model trained without exemplars
                state |= {k: v for k, v in self.state_dict().items() if k.startswith("exemplar")}
                state["exemplar_stem.weight"] = torch.zeros_like(self.exemplar_stem.weight)
            if "exemplar_keys" in state and "exemplar_images" in state:
                self.set_exemplars(state["exemplar_keys"].float(), state["exemplar_images"])
        return super().load_state_dict(state, strict=strict, assign=assign)

    def load_imagenet_encoder(self) -> LiteUnetGenerator:
        """Copy the packaged ImageNet weights (the whole network, strictly loaded) into the encoder."""
        imagenet = load_efficientnet_lite0("cpu").state_dict()
        self.encoder.load_state_dict({key: imagenet[key] for key in self.encoder.state_dict()}, strict=True)
        return self
