"""Optimiser helpers shared by the families: Adam as the papers set it, linear decay, history buffer."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

import torch


def adam(parameters: Iterable[torch.nn.Parameter], *, lr: float = 2e-4, beta1: float = 0.5) -> torch.optim.Adam:
    """Adam(lr = 2·10⁻⁴, β = (0.5, 0.999)): the setting of DCGAN, pix2pix and CycleGAN."""
    return torch.optim.Adam(parameters, lr=lr, betas=(beta1, 0.999))


def linear_decay(
    optimizer: torch.optim.Optimizer, *, total_steps: int, decay_steps: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """Constant LR, then linear decay to zero over the last `decay_steps` (CycleGAN: 100 + 100 epochs)."""
    if not 0 <= decay_steps <= total_steps:
        raise ValueError(f"decay_steps must be in [0, total_steps], got {decay_steps} of {total_steps}")
    constant = total_steps - decay_steps

    def factor(step: int) -> float:
        if step < constant or decay_steps == 0:
            return 1.0
        return max(0.0, 1.0 - (step - constant) / decay_steps)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


class ImageHistory:
    """The image buffer of Shrivastava et al. 2017, used by CycleGAN: D sees a mix of current and older fakes.

    Each incoming fake is, with probability 1/2 once the pool is full, swapped for a stored one, which damps
    the oscillation between G and D.
    """

    def __init__(self, size: int = 50, *, rng: random.Random | None = None) -> None:
        self.size = size
        self.images: list[torch.Tensor] = []
        self.rng = rng or random.Random(0)

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return batch
        out = []
        for image in batch.detach():
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif self.rng.random() < 0.5:
                index = self.rng.randrange(self.size)
                out.append(self.images[index].clone())
                self.images[index] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)

    def state_dict(self) -> dict[str, Any]:
        """The stored fakes and the swap coin's state, so a resumed run draws as an uninterrupted one."""
        return {"images": list(self.images), "rng": self.rng.getstate()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.images = list(state["images"])
        version, internal, gauss = state["rng"]
        self.rng.setstate((version, tuple(internal), gauss))
