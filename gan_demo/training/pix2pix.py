"""pix2pix training: conditional GAN + λ·L1 on paired images (Isola et al. 2017)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gan_demo.models import PatchDiscriminator, UnetGenerator
from gan_demo.training.data import flip_pairs, random_batches, to_signed, vary_strokes
from gan_demo.training.datasets import PAIRS, TrainingData
from gan_demo.training.family import Family, Option, Trainer
from gan_demo.training.losses import discriminator_terms, pix2pix_generator_terms
from gan_demo.training.schedule import adam, linear_decay


@dataclass(frozen=True)
class Pix2PixConfig:
    size: int = 64  # training resolution (px, square)
    num_downs: int = 6  # U-Net levels: 64 px → 1×1 bottleneck
    base_channels: int = 24  # U-Net ngf
    norm: str = "instance"  # no train/test gap at batch size 1, unlike batch norm
    disc_layers: int = 2  # PatchGAN depth: 2 → 34×34 patches, about half a 64 px emoji
    disc_channels: int = 48  # PatchGAN ndf
    batch_size: int = 16
    lr: float = 2e-4
    lambda_l1: float = 100.0
    gan_mode: str = "bce"
    decay_fraction: float = 0.3  # last part of the run with linearly decaying LR
    vary_strokes: bool = True  # thicken/thin the sketch's strokes at random
    seed: int = 0

    def generator_config(self) -> dict:
        return {"num_downs": self.num_downs, "base_channels": self.base_channels, "norm": self.norm, "dropout": True}


class Pix2PixTrainer(Trainer):
    """One optimisation step of D then G on a paired batch (source → target)."""

    def __init__(self, config: Pix2PixConfig, data: TrainingData, *, total_steps: int, device: torch.device) -> None:
        super().__init__(data, seed=config.seed, device=device)
        with self.random.global_state():  # layers initialise from the global generator
            generator, discriminator = build_pix2pix(config)
        self.generator = generator.to(device).train()
        self.discriminator = discriminator.to(device).train()
        self.config = config
        self.batches = random_batches(*data.sets, batch_size=config.batch_size, generator=self.rng, paired=True)
        self.opt_g = adam(self.generator.parameters(), lr=config.lr)
        self.opt_d = adam(self.discriminator.parameters(), lr=config.lr)
        decay = int(total_steps * config.decay_fraction)
        self.schedulers = [
            linear_decay(opt, total_steps=total_steps, decay_steps=decay) for opt in (self.opt_g, self.opt_d)
        ]

    def networks(self) -> dict[str, nn.Module]:
        return {"generator": self.generator, "discriminator": self.discriminator}

    def next_batch(self) -> tuple[torch.Tensor, ...]:
        source, target = (to_signed(t) for t in flip_pairs(next(self.batches), self.rng))
        if self.config.vary_strokes:
            source = vary_strokes(source, self.rng)
        return source, target

    def update(self, source: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
        mode = self.config.gan_mode
        fake = self.generator(source)

        d_terms = discriminator_terms(
            self.discriminator(torch.cat([source, target], 1)),
            self.discriminator(torch.cat([source, fake.detach()], 1)),
            mode=mode,
        )
        self.opt_d.zero_grad(set_to_none=True)
        sum(d_terms.values()).backward()
        self.opt_d.step()

        g_terms = pix2pix_generator_terms(
            self.discriminator(torch.cat([source, fake], 1)), fake, target, mode=mode, lambda_l1=self.config.lambda_l1
        )
        self.opt_g.zero_grad(set_to_none=True)
        sum(g_terms.values()).backward()
        self.opt_g.step()
        for scheduler in self.schedulers:
            scheduler.step()
        return {name: value.item() for name, value in {**d_terms, **g_terms}.items()}


def build_pix2pix(config: Pix2PixConfig) -> tuple[UnetGenerator, PatchDiscriminator]:
    generator = UnetGenerator(**config.generator_config())
    discriminator = PatchDiscriminator(
        in_channels=6, base_channels=config.disc_channels, n_layers=config.disc_layers, norm=config.norm
    )
    return generator, discriminator


OPTIONS = (Option("base_channels"), Option("num_downs"), Option("disc_layers"), Option("batch_size"))


FAMILY = Family(
    name="pix2pix",
    summary="paired image-to-image: sketch → colour",
    config=Pix2PixConfig,
    data=PAIRS,
    task="sketch",
    options=OPTIONS,
    build=lambda config, data, *, steps, device: Pix2PixTrainer(config, data, total_steps=steps, device=device),
)
