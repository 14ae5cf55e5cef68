"""How a loaded generator is prepared for inference.

Measured on CPU (benchmarks/README.md): the convolutions already run on oneDNN near the machine's matmul
peak, and exact rewrites (sub-pixel instead of transposed convolutions, channels-last) gained nothing.
torch.compile (Inductor) is about 1.25× faster on the ResNet generator, but each new input shape costs
~30 s of compilation on 2 cores: worth it for a folder of same-sized images, not for one interactive
upload. So compiling is opt-in: `gan-demo translate --compile`, or GAN_DEMO_COMPILE=1 for the app.

On CPUs with native bfloat16 arithmetic (AVX512-BF16 or AMX), the CycleGAN translators run under
bf16 autocast by default (`precision="auto"`): convolutions in bf16 with fp32 accumulation, norms and the
output in fp32. About 2× faster for the ResNet generator on this machine, at a cost of about one grey
level in the output (measured in benchmarks/README.md). GAN_DEMO_PRECISION=fp32 or `--precision fp32`
keeps everything in fp32; GPUs and CPUs without native bf16 stay in fp32 under "auto".

Unconditional generators (DCGAN, FastGAN) run faster with channels-last weights (about 1.1× and 1.5× at a
batch of 16 on this CPU), unlike the ResNet translator, so the store asks for it for sampling only.

Always done, because it is exact: batch norm in eval mode is a per-channel affine map, so it is folded into
the convolution before it (the DCGAN and FastGAN generators have one after nearly every convolution).
"""

from __future__ import annotations

import copy
import itertools

import torch
from torch import nn

PRECISIONS = ("auto", "fp32", "bf16")


def cpu_has_native_bf16() -> bool:
    """True where this CPU multiplies bfloat16 in hardware (AVX512-BF16 or AMX); emulated bf16 is slower."""
    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except (AttributeError, RuntimeError):  # private helpers: absent in some builds
        return False


def resolve_precision(requested: str, device: torch.device) -> str:
    """What `requested` (one of PRECISIONS) means on `device`: "fp32" or "bf16"."""
    if requested not in PRECISIONS:
        raise ValueError(f"unknown precision {requested!r}; choose one of {', '.join(PRECISIONS)}")
    if requested == "auto":
        return "bf16" if device.type == "cpu" and cpu_has_native_bf16() else "fp32"
    return requested


class BFloat16Autocast(nn.Module):
    """Runs the wrapped network under bf16 autocast on the input's device and returns float32."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device_type=inputs[0].device.type, dtype=torch.bfloat16):
            out = self.module(*inputs)
        return out.float()

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:  # size_multiple, latent_dim, ...: the wrapped network's
            return getattr(super().__getattr__("module"), name)


_FOLDABLE = (nn.Conv2d, nn.ConvTranspose2d)


@torch.no_grad()
def _folded(conv: nn.Conv2d | nn.ConvTranspose2d, norm: nn.BatchNorm2d) -> nn.Module:
    """A copy of `conv` that also applies `norm` (eval mode): w' = w·γ/σ, b' = (b − μ)·γ/σ + β."""
    scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
    fused = copy.deepcopy(conv)
    shape = (1, -1, 1, 1) if isinstance(conv, nn.ConvTranspose2d) else (-1, 1, 1, 1)  # output-channel axis
    fused.weight.copy_(conv.weight * scale.reshape(shape))
    bias = conv.bias if conv.bias is not None else torch.zeros_like(norm.running_mean)
    fused.bias = nn.Parameter((bias - norm.running_mean) * scale + norm.bias)
    return fused


def fold_batch_norm(module: nn.Module) -> int:
    """Fold every eval-mode BatchNorm2d that directly follows a convolution in an nn.Sequential; in place.

    Returns how many were folded. Only ungrouped convolutions whose output feeds nothing but the norm
    (adjacent in a Sequential) qualify, so the result computes the same function.
    """
    folded = 0
    for parent in list(module.modules()):
        if not isinstance(parent, nn.Sequential):
            continue
        children = list(parent.named_children())
        for (name, conv), (norm_name, norm) in itertools.pairwise(children):
            if (
                isinstance(conv, _FOLDABLE)
                and conv.groups == 1
                and isinstance(norm, nn.BatchNorm2d)
                and not norm.training
                and norm.affine
                and norm.running_mean is not None
                and norm.num_features == conv.out_channels
            ):
                setattr(parent, name, _folded(conv, norm))
                setattr(parent, norm_name, nn.Identity())
                folded += 1
    return folded


def prepare_for_inference(
    module: nn.Module, *, compile: bool = False, channels_last: bool = False, bf16: bool = False
) -> nn.Module:
    """`module` in eval mode with batch norm folded; optionally channels-last, run under bf16 autocast, and
    wrapped by torch.compile (dynamic shapes; `latent_dim` and `size_multiple` stay readable)."""
    module.eval()
    fold_batch_norm(module)
    if channels_last:
        module.to(memory_format=torch.channels_last)
    if bf16:
        module = BFloat16Autocast(module)
    if not compile:
        return module
    for part in module.modules():
        if getattr(part, "eager_under_compile", False):  # e.g. FlatColourRegions: runs eagerly, not as graph breaks
            part.forward = torch.compiler.disable(part.forward)
    compiled = torch.compile(module, dynamic=True)
    for attribute in ("size_multiple", "latent_dim"):
        if hasattr(module, attribute):
            setattr(compiled, attribute, getattr(module, attribute))
    return compiled
