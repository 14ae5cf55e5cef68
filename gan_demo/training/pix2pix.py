"""pix2pix training: conditional GAN + λ·L1 on paired images (Isola et al. 2017)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gan_demo.models import LiteUnetGenerator, PatchDiscriminator, UnetGenerator
from gan_demo.models.exemplars import enlarge, exemplar_keys, nearest, thumbnails
from gan_demo.training.data import flip_pairs, random_batches, to_signed, vary_strokes
from gan_demo.training.datasets import PAIRS, TrainingData
from gan_demo.training.family import Family, Option, Trainer
from gan_demo.training.losses import discriminator_terms, paired_reconstruction_terms, pix2pix_generator_terms
from gan_demo.training.perceptual import pretrained_feature_distance
from gan_demo.training.precision import bf16_autocast
from gan_demo.training.schedule import adam, linear_decay
from gan_demo.training.sketch_augment import affine_pairs, trace_targets

GENERATORS = ("unet", "lite0_unet")  # pix2pix's U-Net, or a U-Net on a pretrained EfficientNet-Lite0 encoder


@dataclass(frozen=True)
class Pix2PixConfig:
    size: int = 64  # training resolution (px, square)
    generator: str = "unet"  # one of GENERATORS; num_downs and dropout apply to "unet" only
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
    lambda_gan: float = 1.0  # weight of the adversarial term; 0 trains G on its paired terms alone (no D)
    lambda_ssim: float = 0.0  # weight of 1 − SSIM beside L1
    lambda_perceptual: float = 0.0  # weight of an EfficientNet-Lite0 feature distance beside L1
    affine: bool = False  # small random rotation / zoom / shift of each pair (aligned)
    traced_fraction: float = 0.0  # share of sketches replaced by XDoG/Canny traces of their targets
    dropout: bool = True  # pix2pix's noise: Dropout(0.5) in the generator's inner decoder levels
    beta1: float = 0.5  # Adam β₁ (0.5: the GAN setting; 0.9 is the usual one without a discriminator)
    bf16: bool = False  # run G's forward under bfloat16 autocast (≈1.5× faster on CPUs with AVX512-BF16)
    exemplar_side: int = 0  # lite0_unet: > 0 gives G each sketch's nearest other training pair (thumbnail px)

    def __post_init__(self) -> None:
        if self.generator not in GENERATORS:
            raise ValueError(f"unknown generator {self.generator!r}; choose one of {', '.join(GENERATORS)}")
        if self.exemplar_side and self.generator != "lite0_unet":
            raise ValueError("exemplars (exemplar_side > 0) need the lite0_unet generator")

    def generator_config(self) -> dict:
        if self.generator == "lite0_unet":  # decoder widths coarse → fine, scaled by base_channels
            widths = {"decoder_channels": [self.base_channels * k for k in (8, 4, 3, 2, 1)]}
            return widths | ({"exemplar_side": self.exemplar_side} if self.exemplar_side else {})
        return {
            "num_downs": self.num_downs,
            "base_channels": self.base_channels,
            "norm": self.norm,
            "dropout": self.dropout,
        }


class Pix2PixTrainer(Trainer):
    """One optimisation step of D then G on a paired batch (source → target)."""

    stateless = (*Trainer.stateless, "perceptual")  # a frozen pretrained network, rebuilt on resume

    def __init__(self, config: Pix2PixConfig, data: TrainingData, *, total_steps: int, device: torch.device) -> None:
        super().__init__(data, seed=config.seed, device=device)
        with self.random.global_state():  # layers initialise from the global generator
            generator, discriminator = build_pix2pix(config)
        self.generator = generator.to(device).train()
        self.discriminator = discriminator.to(device).train()
        self.config = config
        sets = data.sets
        if config.exemplar_side and data.summary.get("processes", 1) > 1:
            raise ValueError(  # each process holds a share of the pairs; the bank must hold them all
                "exemplars (--exemplar-side) need every training pair in one process: run without torchrun"
            )
        if config.exemplar_side:  # each pair also brings the thumbnail of its nearest *other* training pair
            self.exemplars = training_exemplars(*data.sets, side=config.exemplar_side)
            self._fill_bank()
            sets = (*sets, self.exemplars.neighbour_thumbnails)
        self.batches = random_batches(*sets, batch_size=config.batch_size, generator=self.rng, paired=True)
        self.perceptual = pretrained_feature_distance(self.device) if config.lambda_perceptual > 0 else None
        self.opt_g = adam(self.generator.parameters(), lr=config.lr, beta1=config.beta1)
        self.opt_d = adam(self.discriminator.parameters(), lr=config.lr, beta1=config.beta1)
        decay = int(total_steps * config.decay_fraction)
        self.schedulers = [
            linear_decay(opt, total_steps=total_steps, decay_steps=decay) for opt in (self.opt_g, self.opt_d)
        ]

    def networks(self) -> dict[str, nn.Module]:
        return {"generator": self.generator, "discriminator": self.discriminator}

    def load_networks(self, folder: Path) -> None:
        """As Trainer's; the exemplar bank stays this run's training pairs (a fine-tune's own data)."""
        super().load_networks(folder)
        if self.config.exemplar_side:
            self._fill_bank()

    def _fill_bank(self) -> None:
        self.generator.set_exemplars(self.exemplars.keys, self.exemplars.thumbnails)

    def next_batch(self) -> tuple[torch.Tensor, ...]:
        config, batch = self.config, next(self.batches)
        if config.traced_fraction > 0:
            batch = (trace_targets(*batch[:2], self.rng, fraction=config.traced_fraction), *batch[1:])
        batch = flip_pairs(batch, self.rng)  # an exemplar is mirrored with its sketch
        source, target = (to_signed(t) for t in batch[:2])
        if config.affine:
            source, target = affine_pairs(source, target, self.rng)
        if config.vary_strokes:
            source = vary_strokes(source, self.rng)
        if config.exemplar_side:
            return source, target, enlarge(batch[2], tuple(source.shape[-2:]))
        return source, target

    def update(self, source: torch.Tensor, target: torch.Tensor, exemplar: torch.Tensor | None = None) -> dict:
        with bf16_autocast(self.device, self.config.bf16):
            extra = () if exemplar is None else (exemplar,)
            fake = self.generator(source, *extra).float()  # losses in fp32 either way
        d_terms = self._discriminator_step(source, target, fake) if self.config.lambda_gan > 0 else {}
        g_terms = {**self._generator_terms(source, target, fake), **self._paired_terms(fake, target)}
        self.opt_g.zero_grad(set_to_none=True)
        self.backward(sum(g_terms.values()))
        self.opt_g.step()
        for scheduler in self.schedulers if d_terms else self.schedulers[:1]:  # without D, only G's optimiser ran
            scheduler.step()
        return {name: value.item() for name, value in {**d_terms, **g_terms}.items()}

    def _discriminator_step(self, source: torch.Tensor, target: torch.Tensor, fake: torch.Tensor) -> dict:
        self.discriminator.requires_grad_(True)
        d_terms = discriminator_terms(
            self.discriminator(torch.cat([source, target], 1)),
            self.discriminator(torch.cat([source, fake.detach()], 1)),
            mode=self.config.gan_mode,
        )
        self.opt_d.zero_grad(set_to_none=True)
        self.backward(sum(d_terms.values()))
        self.opt_d.step()
        return d_terms

    def _generator_terms(self, source: torch.Tensor, target: torch.Tensor, fake: torch.Tensor) -> dict:
        config = self.config
        if config.lambda_gan <= 0:  # no discriminator: pix2pix's L1 term alone
            return {"G_L1": config.lambda_l1 * F.l1_loss(fake, target)}
        self.discriminator.requires_grad_(False)  # G's step needs no gradients for D's weights
        terms = pix2pix_generator_terms(
            self.discriminator(torch.cat([source, fake], 1)),
            fake,
            target,
            mode=config.gan_mode,
            lambda_l1=config.lambda_l1,
        )
        return {**terms, "G_gan": config.lambda_gan * terms["G_gan"]}

    def _paired_terms(self, fake: torch.Tensor, target: torch.Tensor) -> dict:
        return paired_reconstruction_terms(
            fake,
            target,
            lambda_ssim=self.config.lambda_ssim,
            perceptual=self.perceptual,
            lambda_perceptual=self.config.lambda_perceptual,
        )


@dataclass(frozen=True)
class TrainingExemplars:
    keys: torch.Tensor  # [N, KEY_CHANNELS] unit keys of the training sketches
    thumbnails: torch.Tensor  # [N, 3, s, s] uint8 thumbnails of their targets: the model's bank
    neighbour_thumbnails: torch.Tensor  # [N, 3, s, s]: for pair i, the thumbnail of its nearest other pair


def training_exemplars(sources: torch.Tensor, targets: torch.Tensor, *, side: int) -> TrainingExemplars:
    """The bank of a run's training pairs and, for each pair, its nearest other pair (leave-one-out: a pair
    never sees its own colours, as a new drawing never does)."""
    keys = exemplar_keys(to_signed(sources))
    small = thumbnails(targets, side)
    return TrainingExemplars(keys, small, small[nearest(keys, keys, exclude_self=True)])


def build_pix2pix(config: Pix2PixConfig) -> tuple[nn.Module, PatchDiscriminator]:
    if config.generator == "lite0_unet":  # the encoder starts from ImageNet (a fine-tune's --init replaces it)
        generator: nn.Module = LiteUnetGenerator(**config.generator_config()).load_imagenet_encoder()
    else:
        generator = UnetGenerator(**config.generator_config())
    discriminator = PatchDiscriminator(
        in_channels=6, base_channels=config.disc_channels, n_layers=config.disc_layers, norm=config.norm
    )
    return generator, discriminator


OPTIONS = (
    Option("generator", "pix2pix's U-Net, or a U-Net on ImageNet-pretrained EfficientNet-Lite0", choices=GENERATORS),
    Option("base_channels", "U-Net width (lite0_unet: its finest decoder width)"),
    Option("num_downs"),
    Option("disc_layers"),
    Option("batch_size"),
    Option("lr"),
    Option("decay_fraction", "last share of the run with linearly decaying LR (1: decay from the first step)"),
    Option("beta1", help="Adam β₁ (0.5; 0.9 is usual without a discriminator)"),
    Option("lambda_l1", help="L1 weight (paper: 100)"),
    Option("lambda_gan", help="adversarial weight (1; 0: no discriminator)"),
    Option("lambda_ssim", help="weight of 1 − SSIM beside L1 (0: off)"),
    Option("lambda_perceptual", help="EfficientNet-Lite0 feature distance weight (0: off)"),
    Option("affine", help="small random rotation / zoom / shift of each pair"),
    Option("traced_fraction", help="share of sketches traced from their targets (XDoG / Canny)"),
    Option("dropout", help="generator dropout (pix2pix's noise)"),
    Option("bf16", help="generator forward in bfloat16 autocast (slow on CPUs without AVX-512 BF16)"),
    Option("exemplar_side", help="lite0_unet: show G each sketch's nearest training pair, thumbnails of this side"),
)


FAMILY = Family(
    name="pix2pix",
    summary="paired image-to-image: sketch → colour",
    config=Pix2PixConfig,
    data=PAIRS,
    task="sketch",
    options=OPTIONS,
    build=lambda config, data, *, steps, device: Pix2PixTrainer(config, data, total_steps=steps, device=device),
    best_terms=("G_L1",),  # the weighted L1 distance to the targets
)
