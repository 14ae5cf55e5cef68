"""How a loaded generator is prepared for inference.

Measured on CPU (benchmarks/README.md): the convolutions already run on oneDNN near the machine's matmul
peak, and exact rewrites (sub-pixel instead of transposed convolutions, channels-last) gained nothing.
torch.compile (Inductor) is about 1.25× faster on the ResNet generator, but each new input shape costs
~30 s of compilation on 2 cores: worth it for a folder of same-sized images, not for one interactive
upload. So compiling is opt-in: `gan-demo translate --compile`, or GAN_DEMO_COMPILE=1 for the app.
"""

from __future__ import annotations

import os

import torch
from torch import nn


def compile_requested() -> bool:
    return os.environ.get("GAN_DEMO_COMPILE", "").strip().lower() in {"1", "true", "yes", "on"}


def prepare_for_inference(module: nn.Module, *, compile: bool = False) -> nn.Module:
    """`module` in eval mode, optionally wrapped by torch.compile (dynamic shapes; attributes still readable)."""
    module.eval()
    if not compile:
        return module
    compiled = torch.compile(module, dynamic=True)
    for attribute in ("size_multiple", "latent_dim"):
        if hasattr(module, attribute):
            setattr(compiled, attribute, getattr(module, attribute))
    return compiled
