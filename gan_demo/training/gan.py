"""Unconditional GAN training on one folder of images: DCGAN (the classic recipe) or FastGAN (small data).

- "dcgan": Radford et al. 2016 as in the PyTorch tutorial: N(0, 0.02) init, non-saturating BCE loss,
  Adam(2·10⁻⁴, β1 = 0.5), no augmentation, the generator's own weights are sampled.
- "fastgan": Liu et al. 2021 (see gan_demo.models.fastgan): hinge loss, D also reconstructs real images
  from its 8×8 features, DiffAugment (Zhao et al. 2020) on everything D sees, and an exponential moving
  average of G's weights (Karras et al. 2018), which is the generator that is saved and sampled.

Either generator can instead be judged by a Projected GAN discriminator (`discriminator="projected"`, Sauer
et al. 2021, see gan_demo.models.projected): frozen ImageNet features, random projections, small trained
heads; one pass of the feature network over the fakes serves both D's and G's update. Or by both at once
(`"own+projected"`), as Vision-aided GAN (Kumari, Zhang, Shechtman & Zhu, CVPR 2022) adds discriminators on
pretrained features beside the original one: the projected D brings what an ImageNet network sees, the
family's own D keeps judging pixels (colours, layout) that the frozen features ignore. G's loss is the sum,
the projected term weighted by `projected_weight`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gan_demo.models import DCGANDiscriminator, DCGANGenerator, FastGANDiscriminator, FastGANGenerator
from gan_demo.models.projected import ProjectedDiscriminator
from gan_demo.training.augment import diff_augment, parse_policy
from gan_demo.training.data import flip_pairs, random_batches, to_signed
from gan_demo.training.datasets import IMAGES, TrainingData
from gan_demo.training.family import Family, Option, Trainer
from gan_demo.training.losses import GAN_MODES, adversarial
from gan_demo.training.schedule import adam

FAMILIES = ("dcgan", "fastgan")
DISCRIMINATORS = ("own", "projected", "own+projected")  # the family's D, Projected GAN's on frozen features, both


@dataclass(frozen=True)
class GANConfig:
    architecture: str = "fastgan"  # one of FAMILIES
    size: int = 64  # training resolution (DCGAN: 64 only)
    latent_dim: int = 128
    base_channels: int = 16  # G width (FastGAN: at the output resolution; DCGAN: ngf)
    disc_channels: int = 32  # D width (ndf)
    batch_size: int = 16
    lr: float = 2e-4
    gan_mode: str = "hinge"  # see gan_demo.training.losses.GAN_MODES
    augment: str = "color,translation,cutout"  # DiffAugment policy; "" for none
    ema: float = 0.999  # decay of the averaged generator; 0 samples G itself
    recon_weight: float = 1.0  # FastGAN D's self-supervised reconstruction loss
    seed: int = 0
    discriminator: str = "own"  # one of DISCRIMINATORS
    feature_size: int = 128  # projected D: side the images are resized to for the feature network
    projected_weight: float = 1.0  # own+projected: weight of the projected D's term in G's loss
    init_generator: str = ""  # start G (and its average) from this save_pretrained folder; "" for random

    def __post_init__(self) -> None:
        if self.architecture not in FAMILIES:
            raise ValueError(f"unknown architecture {self.architecture!r}; choose one of {', '.join(FAMILIES)}")
        if self.architecture == "dcgan" and self.size != 64:
            raise ValueError("the DCGAN generator makes 64×64 images; use --size 64")
        if self.discriminator not in DISCRIMINATORS:
            raise ValueError(f"unknown discriminator {self.discriminator!r}; choose one of {', '.join(DISCRIMINATORS)}")
        parse_policy(self.augment)

    def generator_config(self) -> dict:
        if self.architecture == "dcgan":
            return {"latent_dim": self.latent_dim, "base_channels": self.base_channels}
        return {"latent_dim": self.latent_dim, "image_size": self.size, "base_channels": self.base_channels}

    def build(self) -> tuple[nn.Module, nn.Module | None, ProjectedDiscriminator | None]:
        """The generator, the family's own discriminator and the projected one (None where not used)."""
        own, projected = None, None
        if self.discriminator != "projected":
            own = (
                DCGANDiscriminator(base_channels=self.disc_channels)
                if self.architecture == "dcgan"
                else FastGANDiscriminator(image_size=self.size, base_channels=self.disc_channels)
            )
        if self.discriminator != "own":
            projected = ProjectedDiscriminator(feature_size=self.feature_size, base_channels=self.disc_channels)
        generator = DCGANGenerator if self.architecture == "dcgan" else FastGANGenerator
        return generator(**self.generator_config()), own, projected


def dcgan_init(module: nn.Module) -> None:
    """DCGAN's initialisation: conv weights ~ N(0, 0.02), batch-norm scales ~ N(1, 0.02), shifts 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


@torch.no_grad()
def recalibrate_batch_norm(
    generator: nn.Module,
    latent_dim: int,
    *,
    batches: int = 50,
    batch_size: int = 16,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> nn.Module:
    """Replace the running statistics of every BatchNorm with exact averages over fresh random latents.

    Eval-mode sampling normalises with running statistics. During training those track the live generator
    as it changes (and, for a weight average, belong to other weights altogether), so an averaged generator
    sampled in eval mode comes out washed-out grey. Measuring the statistics anew on the final weights fixes
    that; the same seed gives the same statistics. Returns `generator`, in eval mode.
    """
    norms = [m for m in generator.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the calibration batches
    generator.train()
    rng = torch.Generator().manual_seed(seed)
    for _ in range(batches if norms else 0):
        generator(torch.randn(batch_size, latent_dim, generator=rng).to(device))
    for m, momentum in zip(norms, momenta, strict=True):
        m.momentum = momentum
    return generator.eval()


class GANTrainer(Trainer):
    def __init__(self, config: GANConfig, data: TrainingData, *, device: torch.device) -> None:
        super().__init__(data, seed=config.seed, device=device)
        self.config = config
        with self.random.global_state():  # layers initialise from the global generator
            generator, own, projected = (m if m is None else m.to(device).train() for m in config.build())
            for module in (generator, own, projected.heads if projected is not None else None):
                if module is not None:
                    dcgan_init(module)  # never the projected D's pretrained features or its fixed projections
        self.generator = generator
        # Role "discriminator" is the one D of a single-D run; beside the family's own, the projected D is
        # "discriminator_projected" (FreezeD and --frozen find discriminators by the "disc" prefix).
        self.discriminator = own if own is not None else projected
        self.projected = projected if own is not None else None
        if config.init_generator:  # fine-tuning: same architecture and config, or load_state_dict refuses
            start = type(self.generator).from_pretrained(config.init_generator)
            self.generator.load_state_dict(start.float().state_dict(), strict=True)
        self.averaged = copy.deepcopy(self.generator).eval().requires_grad_(False) if config.ema > 0 else None
        self.opt_g = adam(self.generator.parameters(), lr=config.lr)
        self.opt_d = adam((p for p in self.discriminator.parameters() if p.requires_grad), lr=config.lr)
        if self.projected is not None:
            self.opt_p = adam((p for p in self.projected.parameters() if p.requires_grad), lr=config.lr)
        (images,) = data.sets
        self.batches = random_batches(images, batch_size=config.batch_size, generator=self.rng, paired=True)

    @property
    def sampler(self) -> nn.Module:
        """The generator to sample from: the weight average when there is one."""
        return self.averaged if self.averaged is not None else self.generator

    def networks(self) -> dict[str, nn.Module]:
        extra = {"discriminator_projected": self.projected} if self.projected is not None else {}
        return {"generator": self.generator, "discriminator": self.discriminator, **extra}

    def load_networks(self, folder: Path) -> None:
        """As `Trainer.load_networks`; a run's saved generator is its weight average, which restarts from it."""
        super().load_networks(folder)
        if self.averaged is not None:
            self.averaged.load_state_dict(self.generator.state_dict())

    def export(self) -> dict[str, nn.Module]:
        """The sampler, copied, with batch-norm statistics measured on its own outputs, in eval mode."""
        exported = copy.deepcopy(self.sampler)
        c = self.config  # statistics over batches of the training batch size, as the generator saw in training
        recalibrate_batch_norm(exported, c.latent_dim, batch_size=c.batch_size, seed=c.seed, device=self.device)
        return {"generator": exported}

    def next_batch(self) -> tuple[torch.Tensor, ...]:
        (real,) = flip_pairs(next(self.batches), self.rng)
        return (to_signed(real),)

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        """What D sees: every image, real or fake, goes through the same random augmentations."""
        return diff_augment(images, self.config.augment, self.rng)

    def update(self, real: torch.Tensor) -> dict[str, float]:
        """One D step (every discriminator, on the same fakes) and one G step against all of them."""
        c = self.config
        z = torch.randn(real.shape[0], c.latent_dim, generator=self.rng).to(self.device)
        fake = self.generator(z)
        own, projected = self._judges()
        prefix = "P" if own is not None else "D"  # a projected-only run logs D_real / D_fake, as before

        terms: dict[str, torch.Tensor] = {}
        if own is not None:
            own.requires_grad_(True)
            terms |= self._own_d_terms(own, real, fake.detach())
        if projected is not None:
            # The feature network is frozen, so D's update needs only detached features; G's update then
            # backpropagates through the same pass, judged by the just-updated heads.
            with torch.no_grad():
                real_features = projected.project(self._augment(real))
            fake_features = projected.project(self._augment(fake))
            projected.requires_grad_(True)
            terms[f"{prefix}_real"] = adversarial(projected.judge(real_features), target_real=True, mode=c.gan_mode)
            detached = [f.detach() for f in fake_features]
            terms[f"{prefix}_fake"] = adversarial(projected.judge(detached), target_real=False, mode=c.gan_mode)
        d_optimisers = [self.opt_d] + ([self.opt_p] if self.projected is not None else [])
        for optimiser in d_optimisers:
            optimiser.zero_grad(set_to_none=True)
        self.backward(sum(terms.values()))
        for optimiser in d_optimisers:
            optimiser.step()

        g_terms: dict[str, torch.Tensor] = {}
        if own is not None:
            own.requires_grad_(False)
            logits = own(self._augment(fake))
            g_terms["G_gan"] = adversarial(logits, target_real=True, mode=c.gan_mode, for_generator=True)
        if projected is not None:
            projected.requires_grad_(False)
            loss = adversarial(projected.judge(fake_features), target_real=True, mode=c.gan_mode, for_generator=True)
            if own is None:
                g_terms["G_gan"] = loss
            else:
                g_terms["G_projected"] = c.projected_weight * loss
        self.opt_g.zero_grad(set_to_none=True)
        self.backward(sum(g_terms.values()))
        self.opt_g.step()
        self._update_average()
        return {name: value.item() for name, value in (g_terms | terms).items()}

    def _judges(self) -> tuple[nn.Module | None, ProjectedDiscriminator | None]:
        """(the family's own D, the projected D), either None where the run has none."""
        if isinstance(self.discriminator, ProjectedDiscriminator):
            return None, self.discriminator
        return self.discriminator, self.projected

    def _own_d_terms(self, own: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        """The family's own D on real and (detached) fake images; FastGAN's also reconstructs the reals."""
        c = self.config
        terms: dict[str, torch.Tensor] = {}
        seen = self._augment(real)
        if c.architecture == "fastgan" and c.recon_weight > 0:
            real_logits, recon = own(seen, reconstruct=True)
            target = F.adaptive_avg_pool2d(seen, recon.shape[-1])
            terms["D_recon"] = c.recon_weight * F.l1_loss(recon, target)
        else:
            real_logits = own(seen)
        terms["D_real"] = adversarial(real_logits, target_real=True, mode=c.gan_mode)
        terms["D_fake"] = adversarial(own(self._augment(fake)), target_real=False, mode=c.gan_mode)
        return terms

    @torch.no_grad()
    def _update_average(self) -> None:
        if self.averaged is None:
            return
        for avg, live in zip(self.averaged.parameters(), self.generator.parameters(), strict=True):
            avg.lerp_(live, 1.0 - self.config.ema)
        for avg, live in zip(self.averaged.buffers(), self.generator.buffers(), strict=True):
            avg.copy_(live)  # batch-norm statistics follow the live generator


OPTIONS = (
    Option("architecture", choices=FAMILIES),
    Option("latent_dim"),
    Option("base_channels"),
    Option("disc_channels"),
    Option("batch_size"),
    Option("lr"),
    Option("gan_mode", "adversarial loss", choices=GAN_MODES),
    Option("augment", 'DiffAugment policy, e.g. "color,translation,cutout"; "" for none'),
    Option("ema", "generator weight averaging decay (0: off)"),
    Option("recon_weight", "FastGAN D reconstruction loss weight"),
    Option(
        "discriminator",
        "the family's own D, Projected GAN's (frozen EfficientNet-Lite0), or both (Vision-aided GAN)",
        choices=DISCRIMINATORS,
    ),
    Option("feature_size", "projected D: side (px) the images are resized to for the feature network"),
    Option("projected_weight", "own+projected: weight of the projected D's term in G's loss"),
    Option("init_generator", "start G from this generator folder (fine-tuning)"),
)


FAMILY = Family(
    name="gan",
    summary="unconditional generator on one folder: DCGAN or FastGAN",
    config=GANConfig,
    data=IMAGES,
    task="sample",
    options=OPTIONS,
    build=lambda config, data, *, steps, device: GANTrainer(config, data, device=device),
    best_terms=("G_gan",),  # no reconstruction term: how well G fooled D lately, a weak signal
)
