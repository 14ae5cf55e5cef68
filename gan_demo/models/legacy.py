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


LAYOUTS: dict[str, Callable[[Mapping[str, torch.Tensor], Mapping[str, torch.Tensor]], StateDict]] = {
    "native": native,
    "junyanz": junyanz,
    "vintagify": vintagify,
    "dcgan_tutorial": dcgan_tutorial,
    "huggan_dcgan": huggan_dcgan,
    "timm_vgg": timm_vgg,
}


def adapt(layout: str, state: Mapping[str, torch.Tensor], expected: Mapping[str, torch.Tensor]) -> StateDict:
    """Rename `state` (a foreign layout) onto the keys of `expected` (our model's state dict)."""
    try:
        adapter = LAYOUTS[layout]
    except KeyError:
        raise ValueError(f"unknown checkpoint layout {layout!r}; known: {', '.join(LAYOUTS)}") from None
    return adapter(state, expected)
