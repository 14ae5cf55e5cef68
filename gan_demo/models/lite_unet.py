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
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gan_demo.models._mixin import HubModel
from gan_demo.models.efficientnet_lite import EfficientNetLite0, load_efficientnet_lite0

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

    def __init__(self, *, decoder_channels: tuple[int, ...] | list[int] = (128, 64, 48, 32, 16)) -> None:
        super().__init__()
        if len(decoder_channels) != len(SKIP_LAYERS):
            raise ValueError(f"decoder_channels: {len(SKIP_LAYERS)} widths, coarse to fine; got {decoder_channels}")
        self.decoder_channels = tuple(int(c) for c in decoder_channels)
        self.encoder = EfficientNetLite0(stages=ENCODER_STAGES)
        skips = (*reversed(SKIP_CHANNELS[:-1]), 3)  # the finer maps, then the input image at full size
        widths = (SKIP_CHANNELS[-1], *self.decoder_channels)
        self.decoder = nn.ModuleList(
            DecoderBlock(cin, skip, cout) for cin, skip, cout in zip(widths[:-1], skips, widths[1:], strict=True)
        )
        self.to_rgb = nn.Conv2d(self.decoder_channels[-1], 3, 3, padding=1)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        if image.shape[-1] % self.size_multiple or image.shape[-2] % self.size_multiple:
            raise ValueError(f"image sides must be multiples of {self.size_multiple}, got {list(image.shape[-2:])}")
        maps = self.encoder.feature_maps((image + 1) / 2, SKIP_LAYERS)
        x = maps[SKIP_LAYERS[-1]]
        for block, skip in zip(self.decoder, [*(maps[n] for n in reversed(SKIP_LAYERS[:-1])), image], strict=True):
            x = block(x, skip)
        return torch.tanh(self.to_rgb(x))

    def load_imagenet_encoder(self) -> LiteUnetGenerator:
        """Copy the packaged ImageNet weights (the whole network, strictly loaded) into the encoder."""
        imagenet = load_efficientnet_lite0("cpu").state_dict()
        self.encoder.load_state_dict({key: imagenet[key] for key in self.encoder.state_dict()}, strict=True)
        return self
