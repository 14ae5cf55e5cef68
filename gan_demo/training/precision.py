"""Mixed precision for fine-tuning on a GPU: autocast in bfloat16, or float16 with dynamic loss scaling.

"auto" asks the device module: bf16 on CUDA GPUs that have it (Ampere and later, ZeroGPU's), fp16 on older
ones, fp32 on CPUs and Apple GPUs. The families' `update()`s are not changed:

- the whole update runs under `torch.autocast` (convolutions in half precision; losses, normalisation and
  softmax in fp32 by autocast's own rules; the weights and Adam's moments stay fp32);
- for fp16, `Trainer.backward` multiplies each loss by a `torch.amp.GradScaler`'s scale before
  backpropagating, so that small gradients do not underflow; a step pre-hook on every optimiser unscales
  its gradients and, when any is not finite, drops them all, so that optimiser skips the step as
  `GradScaler.step` would; the scale is updated once per training step. Under torchrun that hook runs after
  the gradients are averaged (`Session.prepare` comes first), so every process skips the same steps.

Not scaled: the inner gradient of WGAN-GP's penalty (StarGAN), which fp16 may underflow; bf16 needs no
scaling and is the default wherever the GPU has it.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import torch

from gan_demo.device import training_precision

if TYPE_CHECKING:
    from gan_demo.training.family import Trainer

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_precision(requested: str, device: torch.device) -> str:
    """ "fp32", "bf16" or "fp16" for `requested` on `device`; a ValueError names the choices."""
    if requested not in PRECISIONS:
        raise ValueError(f"unknown precision {requested!r}; choose one of {', '.join(PRECISIONS)}")
    if requested == "auto":
        return training_precision(device)
    if requested != "fp32" and device.type not in ("cuda", "cpu"):
        raise ValueError(f"mixed precision training runs on CUDA GPUs (or CPUs), not {device.type}; use fp32")
    return requested


def bf16_autocast(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager:
    """A family's own bf16 option: autocast when enabled, and otherwise nothing (an autocast with
    enabled=False would switch off the mixed precision of the whole update around it)."""
    return torch.autocast(device.type, dtype=torch.bfloat16) if enabled else contextlib.nullcontext()


def use_precision(trainer: Trainer, requested: str, *, initial_scale: float = 2.0**16) -> str:
    """Run the trainer's steps in `requested` precision (after `Session.prepare`); the precision it chose.

    `initial_scale` is fp16's first loss scale (GradScaler's default; it halves at every overflow).
    """
    precision = resolve_precision(requested, trainer.device)
    if precision == "fp32":
        return precision
    update, dtype = trainer.update, DTYPES[precision]

    def autocast_update(*batch: torch.Tensor) -> dict[str, float]:
        with torch.autocast(trainer.device.type, dtype=dtype):
            return update(*batch)

    trainer.update = autocast_update  # type: ignore[method-assign]
    if precision == "fp16":
        _scale_losses(trainer, initial_scale)
    return precision


def _scale_losses(trainer: Trainer, initial_scale: float) -> None:
    scaler = torch.amp.GradScaler(trainer.device.type, init_scale=initial_scale)
    checked: list[torch.optim.Optimizer] = []  # optimisers unscaled since the last scale update

    def unscale_or_skip(optimiser: torch.optim.Optimizer, args: tuple, kwargs: dict) -> None:
        scaler.unscale_(optimiser)
        checked.append(optimiser)
        parameters = [p for group in optimiser.param_groups for p in group["params"] if p.grad is not None]
        if not all(torch.isfinite(p.grad).all() for p in parameters):
            for parameter in parameters:
                parameter.grad = None  # Adam leaves a parameter without a gradient as it is

    step = trainer.step

    def scaled_step() -> dict[str, float]:
        losses = step()
        if checked:
            scaler.update()
            checked.clear()
        return losses

    for optimiser in trainer.optimisers():
        optimiser.register_step_pre_hook(unscale_or_skip)
    trainer.backward = lambda loss: scaler.scale(loss).backward()  # type: ignore[method-assign]
    trainer.step = scaled_step  # type: ignore[method-assign]
    trainer.loss_scaler = scaler  # type: ignore[attr-defined]  # for tests and a resumed run's state
