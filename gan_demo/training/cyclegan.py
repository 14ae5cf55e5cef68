"""CycleGAN training on two unpaired image sets (Zhu et al. 2017).

G: A → B and F: B → A, judged by D_B and D_A; LSGAN losses, cycle consistency (λ = 10), identity
(0.5 λ), a history of 50 fakes per discriminator, Adam(2·10⁻⁴, β1 = 0.5), linear LR decay.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

from gan_demo.models import PatchDiscriminator, ResnetGenerator
from gan_demo.training.data import (
    flip_pairs,
    image_names,
    load_folder,
    random_batches,
    random_crops,
    read_split,
    to_signed,
)
from gan_demo.training.loop import StepLog, fit
from gan_demo.training.losses import cyclegan_generator_terms, discriminator_terms
from gan_demo.training.schedule import ImageHistory, adam, linear_decay


@dataclass(frozen=True)
class CycleGANConfig:
    size: int = 64  # resolution the images are loaded at (px, square)
    crop: int | None = None  # train on random crop×crop windows of them (None: whole images)
    base_channels: int = 32  # generator ngf
    n_blocks: int = 6  # residual blocks (the paper uses 6 below 256 px)
    upsample: str = "transpose"  # decoder: the paper's "transpose" or checkerboard-free "resize"
    residual: bool = False  # generators learn a change to their input, starting from the identity
    flat_colours_a: int = 0  # F (B → A) paints its output in this many flat colour regions (0: off)
    flat_colours_b: int = 0  # G (A → B) likewise
    disc_channels: int = 32  # PatchGAN ndf
    disc_layers: int = 2  # 34×34 patches at 64 px
    batch_size: int = 4
    lr: float = 2e-4
    lambda_cycle: float = 10.0
    lambda_identity: float = 0.5
    history: int = 50
    decay_fraction: float = 0.5  # the paper: constant for half the run, then linear decay to 0
    gan_mode: str = "lsgan"
    seed: int = 0

    def generator_config(self, target: str) -> dict:
        """Constructor arguments of the generator into domain target ("a" or "b")."""
        return {
            "base_channels": self.base_channels,
            "n_blocks": self.n_blocks,
            "norm": "instance",
            "upsample": self.upsample,
            "residual": self.residual,
            "flat_colours": {"a": self.flat_colours_a, "b": self.flat_colours_b}[target],
        }


class CycleGANTrainer:
    def __init__(self, config: CycleGANConfig, *, total_steps: int, device: torch.device) -> None:
        torch.manual_seed(config.seed)
        self.config = config
        self.a_to_b = ResnetGenerator(**config.generator_config("b")).to(device).train()  # G
        self.b_to_a = ResnetGenerator(**config.generator_config("a")).to(device).train()  # F
        disc = {"base_channels": config.disc_channels, "n_layers": config.disc_layers, "norm": "instance"}
        self.disc_a = PatchDiscriminator(**disc).to(device).train()  # D_A: real A vs F(b)
        self.disc_b = PatchDiscriminator(**disc).to(device).train()  # D_B: real B vs G(a)
        self.opt_g = adam(itertools.chain(self.a_to_b.parameters(), self.b_to_a.parameters()), lr=config.lr)
        self.opt_d = adam(itertools.chain(self.disc_a.parameters(), self.disc_b.parameters()), lr=config.lr)
        decay = int(total_steps * config.decay_fraction)
        self.schedulers = [
            linear_decay(o, total_steps=total_steps, decay_steps=decay) for o in (self.opt_g, self.opt_d)
        ]
        self.history_a = ImageHistory(config.history, rng=random.Random(config.seed))
        self.history_b = ImageHistory(config.history, rng=random.Random(config.seed + 1))

    def step(self, real_a: torch.Tensor, real_b: torch.Tensor) -> dict[str, float]:
        c = self.config
        fake_b, fake_a = self.a_to_b(real_a), self.b_to_a(real_b)
        use_identity = c.lambda_identity > 0
        self.disc_a.requires_grad_(False)
        self.disc_b.requires_grad_(False)
        g_terms = cyclegan_generator_terms(
            real_a=real_a,
            real_b=real_b,
            fake_b=fake_b,
            fake_a=fake_a,
            rec_a=self.b_to_a(fake_b),
            rec_b=self.a_to_b(fake_a),
            same_b=self.a_to_b(real_b) if use_identity else None,
            same_a=self.b_to_a(real_a) if use_identity else None,
            logits_fake_b=self.disc_b(fake_b),
            logits_fake_a=self.disc_a(fake_a),
            mode=c.gan_mode,
            lambda_cycle=c.lambda_cycle,
            lambda_identity=c.lambda_identity,
        )
        self.opt_g.zero_grad(set_to_none=True)
        sum(g_terms.values()).backward()
        self.opt_g.step()

        self.disc_a.requires_grad_(True)
        self.disc_b.requires_grad_(True)
        pool_b, pool_a = self.history_b(fake_b), self.history_a(fake_a)
        d_terms = {
            **discriminator_terms(self.disc_b(real_b), self.disc_b(pool_b), mode=c.gan_mode, name="D_B"),
            **discriminator_terms(self.disc_a(real_a), self.disc_a(pool_a), mode=c.gan_mode, name="D_A"),
        }
        self.opt_d.zero_grad(set_to_none=True)
        sum(d_terms.values()).backward()
        self.opt_d.step()
        for scheduler in self.schedulers:
            scheduler.step()
        return {name: value.item() for name, value in {**g_terms, **d_terms}.items()}


def train_cyclegan(
    dir_a: Path,
    dir_b: Path,
    *,
    config: CycleGANConfig,
    steps: int,
    device: torch.device,
    split: Path | None = None,
    max_seconds: float | None = None,
) -> tuple[CycleGANTrainer, Iterator[StepLog]]:
    """Unpaired training: each step draws A and B images independently (pairs by name are never used)."""
    held_out = read_split(split)
    set_a = load_folder(dir_a, image_names(dir_a, exclude=held_out), config.size)
    set_b = load_folder(dir_b, image_names(dir_b, exclude=held_out), config.size)
    trainer = CycleGANTrainer(config, total_steps=steps, device=device)
    rng = torch.Generator().manual_seed(config.seed)
    batches = random_batches(set_a, set_b, batch_size=config.batch_size, generator=rng, paired=False)

    def step(_: int) -> dict[str, float]:
        real_a, real_b = flip_pairs(next(batches), rng)
        if config.crop:
            real_a, real_b = random_crops(real_a, config.crop, rng), random_crops(real_b, config.crop, rng)
        real_a, real_b = to_signed(real_a), to_signed(real_b)
        return trainer.step(real_a.to(device), real_b.to(device))

    return trainer, fit(step, steps=steps, max_seconds=max_seconds, extra={"images": (len(set_a), len(set_b))})
