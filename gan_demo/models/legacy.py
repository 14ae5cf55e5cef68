"""Key-mapping adapters for foreign checkpoint layouts, written once per layout.

A foreign file is read with `torch.load(weights_only=True)` (never a pickle that can run code), unwrapped,
and then renamed here onto our module names; loading stays `strict=True`, so anything that does not map
is reported rather than silently skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import torch

StateDict = dict[str, torch.Tensor]

_NORM_STATS = ("running_mean", "running_var", "num_batches_tracked")


def _strip_prefixes(state: Mapping[str, torch.Tensor]) -> StateDict:
    """Drop wrappers added by DataParallel (`module.`) and torch.compile (`_orig_mod.`)."""
    return {re.sub(r"^(module\.|_orig_mod\.)+", "", key): value for key, value in state.items()}


def native(state: Mapping[str, torch.Tensor], expected: Mapping[str, torch.Tensor]) -> StateDict:
    """Our own files: only the compile/DataParallel prefixes are tolerated."""
    return _strip_prefixes(state)


def junyanz(state: Mapping[str, torch.Tensor], expected: Mapping[str, torch.Tensor]) -> StateDict:
    """junyanz/pytorch-CycleGAN-and-pix2pix `latest_net_G.pth` files.

    Same module names as ours; files saved by PyTorch < 0.4 carry InstanceNorm running statistics that
    a non-tracking InstanceNorm does not have (the project's own loader deletes them too).
    """
    state = _strip_prefixes(state)
    return {
        key: value
        for key, value in state.items()
        if not (key.rsplit(".", 1)[-1] in _NORM_STATS and key not in expected)
    }


def vintagify(state: Mapping[str, torch.Tensor], expected: Mapping[str, torch.Tensor]) -> StateDict:
    """`vintagify` 0.1.2: the junyanz ResNet generator with affine InstanceNorm and `block` for `conv_block`."""
    return junyanz({key.replace(".block.", ".conv_block."): value for key, value in state.items()}, expected)


def dcgan_tutorial(state: Mapping[str, torch.Tensor], expected: Mapping[str, torch.Tensor]) -> StateDict:
    """PyTorch DCGAN tutorial generators (`main.N`): identical names, possibly DataParallel-wrapped."""
    return _strip_prefixes(state)


def huggan_dcgan(state: Mapping[str, torch.Tensor], expected: Mapping[str, torch.Tensor]) -> StateDict:
    """HugGAN sprint DCGAN generators (huggingface/community-events, `model.N`): our `main.N`, same indices."""
    return {re.sub(r"^model\.", "main.", key): value for key, value in _strip_prefixes(state).items()}


def timm_vgg(state: Mapping[str, torch.Tensor], expected: Mapping[str, torch.Tensor]) -> StateDict:
    """timm `vgg19.tv_in1k` (torchvision's ImageNet VGG-19): keep the `features.N` convolutions our
    truncated network has (up to relu5_1); the later convolutions and the classifier (`pre_logits.*`,
    `head.*`) are dropped by name, so a missing or misshapen convolution still fails the strict load."""
    deepest = max((int(key.split(".")[1]) for key in expected if key.startswith("features.")), default=-1)
    return {
        key: value
        for key, value in _strip_prefixes(state).items()
        if key.startswith("features.") and int(key.split(".")[1]) <= deepest
    }


def stargan_rekeyed(state: Mapping[str, torch.Tensor], expected: Mapping[str, torch.Tensor]) -> StateDict:
    """Lornatang/StarGAN-PyTorch files (the `goodfellowliu/StarGAN-PyTorch` Hub mirror): yunjey's generator
    split into `first_layer`, `down_sampling`, `trunk`, `up_sampling`, `last_layer`, the same tensors in the
    same order. Renamed onto yunjey's flat `main.N`; residual blocks keep their inner `main.{0,1,3,4}`."""
    state = _strip_prefixes(state)
    blocks = len({key.split(".")[1] for key in state if key.startswith("trunk.")})
    up = 9 + blocks  # yunjey: 0–2 first layer, 3–8 down-sampling, 9… residual blocks, then up-sampling
    offsets = {"first_layer": 0, "down_sampling": 3, "up_sampling": up, "last_layer": up + 6}
    renamed: StateDict = {}
    for key, value in state.items():
        part, index, rest = key.split(".", 2)
        if part == "trunk":
            renamed[f"main.{9 + int(index)}.{rest}"] = value
        elif part in offsets:
            renamed[f"main.{offsets[part] + int(index)}.{rest}"] = value
        else:
            renamed[key] = value  # unknown: left for the strict load to report
    return _with_norm_counters(renamed, expected)


def stargan(state: Mapping[str, torch.Tensor], expected: Mapping[str, torch.Tensor]) -> StateDict:
    """yunjey/stargan `200000-G.ckpt` / `-D.ckpt` (and Lornatang's discriminator): our module names already."""
    return _with_norm_counters(_strip_prefixes(state), expected)


def _with_norm_counters(state: StateDict, expected: Mapping[str, torch.Tensor]) -> StateDict:
    """Files saved before PyTorch 0.4.1 lack norm layers' `num_batches_tracked` counters (never used here)."""
    missing = [key for key in expected if key.endswith(".num_batches_tracked") and key not in state]
    return {**state, **{key: torch.zeros((), dtype=torch.long) for key in missing}}


LAYOUTS: dict[str, Callable[[Mapping[str, torch.Tensor], Mapping[str, torch.Tensor]], StateDict]] = {
    "native": native,
    "junyanz": junyanz,
    "vintagify": vintagify,
    "dcgan_tutorial": dcgan_tutorial,
    "huggan_dcgan": huggan_dcgan,
    "timm_vgg": timm_vgg,
    "stargan": stargan,
    "stargan_rekeyed": stargan_rekeyed,
}


def adapt(layout: str, state: Mapping[str, torch.Tensor], expected: Mapping[str, torch.Tensor]) -> StateDict:
    """Rename `state` (a foreign layout) onto the keys of `expected` (our model's state dict)."""
    try:
        adapter = LAYOUTS[layout]
    except KeyError:
        raise ValueError(f"unknown checkpoint layout {layout!r}; known: {', '.join(LAYOUTS)}") from None
    return adapter(state, expected)
