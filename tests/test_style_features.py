"""Feature networks for style transfer: VGG-19 mapped from timm's layout, offline availability, smoothing."""

from __future__ import annotations

import torch
from safetensors.torch import save_file

from gan_demo.hub import availability, load_network
from gan_demo.models.style_features import VGG19_LAYERS, VGG19Features, smooth_activations
from gan_demo.registry import Registry
from tests.conftest import hub_snapshot

CPU = torch.device("cpu")
TIMM_CONVS = (0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34)  # all 16 convolutions of VGG-19


def fake_timm_vgg19() -> dict[str, torch.Tensor]:
    """timm's vgg19.tv_in1k layout with every tensor filled with its conv index (shapes as in the real file)."""
    channels = [3, 64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512]
    state = {}
    for i, index in enumerate(TIMM_CONVS):
        state[f"features.{index}.weight"] = torch.full((channels[i + 1], channels[i], 3, 3), float(index))
        state[f"features.{index}.bias"] = torch.full((channels[i + 1],), float(index))
    state["pre_logits.fc1.weight"] = torch.zeros(4, 512, 7, 7)  # conv-shaped classifier (shrunk here)
    state["head.fc.weight"] = torch.zeros(10, 4)
    return state


def test_vgg19_preset_is_unavailable_offline_and_says_why():
    usable, note = availability(Registry().get("vgg19"))
    assert not usable and "unavailable offline" in note


def test_timm_vgg19_weights_map_onto_our_layer_names(hub_cache):
    entry = Registry().get("vgg19")
    source = entry.weights["features"]
    snapshot = hub_snapshot(hub_cache, source.hub_repo, commit=source.hub_revision)
    save_file(fake_timm_vgg19(), str(snapshot / "model.safetensors"))
    assert availability(entry) == (True, "ready")
    network = load_network(entry, "features", device=CPU)
    assert isinstance(network, VGG19Features) and not network.training
    assert network.features[VGG19_LAYERS.index("conv4_2")].bias[0].item() == 21  # torchvision's features.21
    assert network.features[VGG19_LAYERS.index("conv5_1")].weight[0, 0, 0, 0].item() == 28
    maps = network.feature_maps(torch.rand(1, 3, 32, 32), ["relu1_1", "relu5_1"])
    assert maps["relu1_1"].shape == (1, 64, 32, 32) and maps["relu5_1"].shape == (1, 512, 2, 2)


def test_smoothing_is_positive_with_mean_one_and_keeps_the_order_of_activations():
    x = torch.randn(2, 3, 4, 5) * 10
    smoothed = smooth_activations(x, temperature=3.0)
    assert smoothed.shape == x.shape and (smoothed > 0).all()
    torch.testing.assert_close(smoothed.mean(dim=(1, 2, 3)), torch.ones(2))
    assert torch.equal(smoothed.flatten(1).argsort(), x.flatten(1).argsort())
