"""StarGAN training: one generator for every pair of domains (Choi et al. 2018), as in yunjey/stargan.

Each step updates the critic D on real images (real/fake and domain classification) and on G(x, c) for a
random target domain c, with WGAN-GP (λ_gp = 10); every n_critic-th step also updates G with the
adversarial, domain-classification (λ_cls = 1) and reconstruction (λ_rec = 10) terms. Adam(10⁻⁴,
β = (0.5, 0.999)) for both, linear LR decay over the second half.

Ours, off by default (`lambda_paired = 0` is the paper): when the domain folders hold the same subjects
under the same file names (the emoji styles do), an L1 term pulls G(x, c) towards the true image of that
subject in domain c, which converges in far fewer steps than the unpaired terms alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gan_demo.models import StarGANDiscriminator, StarGANGenerator
from gan_demo.models.colour_regions import PART_COLOURS, part_stage_config
from gan_demo.models.stargan import UPSAMPLES
from gan_demo.training.data import flip_pairs, shared_crops, to_signed
from gan_demo.training.datasets import DOMAINS, TrainingData
from gan_demo.training.family import Family, Option, Trainer
from gan_demo.training.losses import (
    GAN_MODES,
    gradient_penalty,
    masked_l1,
    stargan_discriminator_terms,
    stargan_generator_terms,
)
from gan_demo.training.precision import bf16_autocast
from gan_demo.training.schedule import adam, linear_decay


@dataclass(frozen=True)
class StarGANConfig:
    size: int = 128  # resolution the images are loaded at (px, square)
    crop: int | None = None  # train on random crop×crop windows (the same window of a subject in every domain)
    conv_dim: int = 64  # generator width (the paper: 64)
    repeat_num: int = 6  # generator residual blocks
    residual: bool = False  # the generator learns a change to its input, starting from the identity
    upsample: str = "transpose"  # the generator's decoder: "transpose" (the paper) or "resize" (no checkerboard)
    flat_colours: int = 0  # ours: paint `flat_domain`'s outputs in at most this many flat colours (0: off)
    flat_domain: str = ""  # the domain (by name) whose outputs are painted in flat colours
    flat_parts: float = 0.0  # ours: instead of flat_colours, paint one colour per part (parts split at ΔE)
    part_colour: str = "mean"  # ours: the part's pixels' "mean", "median" or a "learned" colour
    thin_edges: bool = False  # ours: the parts' boundaries one pixel wide instead of two
    label_norms: bool = False  # ours: the labels also scale and shift every instance norm of the generator
    disc_conv_dim: int = 64  # discriminator width
    disc_repeat_num: int = 6  # discriminator stride-2 layers (the judged side must divide by 2^this)
    disc_max_channels: int | None = None  # cap the discriminator's width (None: the paper's doubling)
    batch_size: int = 16
    lr: float = 1e-4  # G and D (the paper)
    beta1: float = 0.5
    n_critic: int = 5  # D updates per G update
    gan_mode: str = "wgan"  # with lambda_gp > 0: WGAN-GP
    lambda_gp: float = 10.0
    lambda_cls: float = 1.0
    lambda_rec: float = 10.0
    lambda_paired: float = 0.0  # ours: L1 to the same subject's image in the target domain (0: the paper)
    decay_fraction: float = 0.5  # the last part of the run with linearly decaying LR
    target_weights: str = ""  # ours: "NAME=W,…" draws target domains in these proportions (others 1; "": uniform)
    bf16: bool = False  # G's forward passes under bfloat16 autocast (CPUs with AVX512-BF16)
    seed: int = 0

    def generator_config(self, names: tuple[str, ...]) -> dict:
        if self.flat_domain and self.flat_domain not in names:
            raise ValueError(f"--flat-domain {self.flat_domain!r} is none of the domains {', '.join(names)}")
        return {
            "c_dim": len(names),
            "conv_dim": self.conv_dim,
            "repeat_num": self.repeat_num,
            "residual": self.residual,
            "upsample": self.upsample,
            "flat_colours": self.flat_colours,
            "flat_domain": names.index(self.flat_domain) if self.flat_domain else -1,
            **part_stage_config(self.flat_parts, self.part_colour, self.thin_edges),
            **({"label_norms": True} if self.label_norms else {}),  # older run folders' configs stay as they were
        }

    def target_draw_weights(self, names: tuple[str, ...]) -> tuple[float, ...] | None:
        """Relative odds of each domain as a target ("flat=3": flat three times as often as each other one)."""
        if not self.target_weights.strip():
            return None
        weights = dict.fromkeys(names, 1.0)
        for item in self.target_weights.split(","):
            name, sep, value = item.partition("=")
            name = name.strip()
            if name not in weights or not sep:
                raise ValueError(
                    f"--target-weights {item.strip()!r}: write NAME=WEIGHT with NAME one of {', '.join(names)}"
                )
            try:
                weight = float(value)
            except ValueError:
                weight = float("nan")
            if not math.isfinite(weight) or weight < 0:
                raise ValueError(f"--target-weights {name}: the weight must be a finite number ≥ 0, not {value!r}")
            weights[name] = weight
        for name in names:  # every source needs some other domain to go to
            if sum(w for other, w in weights.items() if other != name) <= 0:
                raise ValueError(f"--target-weights leaves no target for {name}: give another domain a weight > 0")
        return tuple(weights[name] for name in names)

    def discriminator_config(self, domains: int) -> dict:
        return {
            "image_size": self.crop or self.size,
            "conv_dim": self.disc_conv_dim,
            "c_dim": domains,
            "repeat_num": self.disc_repeat_num,
            "max_channels": self.disc_max_channels,
        }


class DomainBatches:
    """Batches of (image, its domain, a random other domain, that domain's image of the same subject or not).

    Source domains are drawn uniformly (small domains are not drowned by big ones), images uniformly within
    them; targets uniformly among the other domains, or in proportion to `target_weights`. Crops and flips are
    shared by an image and its counterpart.
    """

    def __init__(
        self,
        data: TrainingData,
        *,
        batch_size: int,
        crop: int | None,
        generator: torch.Generator,
        target_weights: tuple[float, ...] | None = None,
    ) -> None:
        self.sets, self.batch_size, self.crop, self.rng = data.sets, batch_size, crop, generator
        self.target_weights = None if target_weights is None else torch.tensor(target_weights, dtype=torch.float64)
        names = data.names or tuple(() for _ in data.sets)
        self.index = [{name: i for i, name in enumerate(listed)} for listed in names]
        self.names = names

    def __next__(self) -> tuple[torch.Tensor, ...]:
        n, domains, rng = self.batch_size, len(self.sets), self.rng
        source = torch.randint(domains, (n,), generator=rng)
        target = self._targets(source)
        images, counterparts, found = [], [], []
        for s, t in zip(source.tolist(), target.tolist(), strict=True):
            i = int(torch.randint(len(self.sets[s]), (1,), generator=rng))
            j = self.index[t].get(self.names[s][i]) if self.names[s] else None
            images.append(self.sets[s][i])
            counterparts.append(self.sets[t][j] if j is not None else self.sets[s][i])
            found.append(j is not None)
        real, paired = flip_pairs((torch.stack(images), torch.stack(counterparts)), rng)
        if self.crop:
            real, paired = shared_crops((real, paired), self.crop, rng)
        return to_signed(real), to_signed(paired), torch.tensor(found), source, target

    def _targets(self, source: torch.Tensor) -> torch.Tensor:
        """A domain other than the source for each image."""
        domains = len(self.sets)
        if self.target_weights is None:  # the paper's uniform draw (and its random stream)
            return (source + torch.randint(1, domains, source.shape, generator=self.rng)) % domains
        odds = self.target_weights.expand(len(source), -1).clone()
        odds[torch.arange(len(source)), source] = 0
        return torch.multinomial(odds, 1, generator=self.rng).squeeze(1)


class StarGANTrainer(Trainer):
    inference_roles = ("generator", "discriminator")  # D's classifier estimates an image's domain in the app

    def __init__(self, config: StarGANConfig, data: TrainingData, *, total_steps: int, device: torch.device) -> None:
        super().__init__(data, seed=config.seed, device=device)
        if config.gan_mode not in GAN_MODES:
            raise ValueError(f"unknown GAN loss {config.gan_mode!r}; choose one of {', '.join(GAN_MODES)}")
        self.config = config
        self.attributes = tuple(data.summary.get("domains", [f"domain_{i}" for i in range(len(data.sets))]))
        domains = len(data.sets)
        with self.random.global_state():  # layers initialise from the global generator
            self.generator = StarGANGenerator(**config.generator_config(self.attributes)).to(device).train()
            self.discriminator = StarGANDiscriminator(**config.discriminator_config(domains)).to(device).train()
        self.batches = DomainBatches(
            data,
            batch_size=config.batch_size,
            crop=config.crop,
            generator=self.rng,
            target_weights=config.target_draw_weights(self.attributes),
        )
        self.opt_g = adam(self.generator.parameters(), lr=config.lr, beta1=config.beta1)
        self.opt_d = adam(self.discriminator.parameters(), lr=config.lr, beta1=config.beta1)
        g_steps = max(1, total_steps // config.n_critic)  # the run counts D steps; G steps every n_critic-th
        self.scheduler_g = linear_decay(
            self.opt_g, total_steps=g_steps, decay_steps=int(g_steps * config.decay_fraction)
        )
        self.scheduler_d = linear_decay(
            self.opt_d, total_steps=total_steps, decay_steps=int(total_steps * config.decay_fraction)
        )
        self.d_steps = 0

    def networks(self) -> dict[str, nn.Module]:
        return {"generator": self.generator, "discriminator": self.discriminator}

    def next_batch(self) -> tuple[torch.Tensor, ...]:
        return next(self.batches)

    def _translate(self, image: torch.Tensor, domains: torch.Tensor) -> torch.Tensor:
        labels = F.one_hot(domains, len(self.attributes)).float()
        with bf16_autocast(self.device, self.config.bf16):
            return self.generator(image, labels).float()

    def update(self, real, paired, found, source, target) -> dict[str, float]:
        c = self.config
        self.d_steps += 1
        train_g = self.d_steps % c.n_critic == 0
        with torch.set_grad_enabled(train_g):  # D's step alone needs no graph through G
            fake = self._translate(real, target)
        terms = self._discriminator_step(real, fake.detach(), source)
        self.scheduler_d.step()
        if train_g:
            terms |= self._generator_step(real, fake, paired, found, source, target)
            self.scheduler_g.step()
        return {name: value.item() for name, value in terms.items()}

    def _discriminator_step(self, real: torch.Tensor, fake: torch.Tensor, source: torch.Tensor) -> dict:
        c = self.config
        real_logits, real_class = self.discriminator(real)
        fake_logits, _ = self.discriminator(fake)
        penalty = None
        if c.lambda_gp > 0:
            penalty = gradient_penalty(lambda x: self.discriminator(x)[0], real, fake, weight=c.lambda_gp)
        terms = stargan_discriminator_terms(
            real_logits=real_logits,
            fake_logits=fake_logits,
            real_class_logits=real_class,
            source_domains=source,
            gradient_penalty=penalty,
            mode=c.gan_mode,
            lambda_cls=c.lambda_cls,
        )
        self.opt_d.zero_grad(set_to_none=True)
        self.backward(sum(terms.values()))
        self.opt_d.step()
        return terms

    def _generator_step(self, real, fake, paired, found, source, target) -> dict:
        c = self.config
        self.discriminator.requires_grad_(False)
        fake_logits, fake_class = self.discriminator(fake)
        terms = stargan_generator_terms(
            real=real,
            fake_logits=fake_logits,
            fake_class_logits=fake_class,
            target_domains=target,
            reconstruction=self._translate(fake, source),
            mode=c.gan_mode,
            lambda_cls=c.lambda_cls,
            lambda_rec=c.lambda_rec,
        )
        if c.lambda_paired > 0:
            terms["G_paired"] = c.lambda_paired * masked_l1(fake, paired, found)
        self.opt_g.zero_grad(set_to_none=True)
        self.backward(sum(terms.values()))
        self.opt_g.step()
        self.discriminator.requires_grad_(True)
        return terms


OPTIONS = (
    Option("crop", "train on random CROP×CROP windows of --size images"),
    Option("conv_dim", "generator width (paper: 64)"),
    Option("repeat_num", "generator residual blocks (paper: 6)"),
    Option("residual", "the generator learns input + change"),
    Option("upsample", "generator decoder: transpose (paper) or resize (no checkerboard)", choices=UPSAMPLES),
    Option("flat_colours", "paint --flat-domain's outputs in at most N flat colours (ours; 0: off)"),
    Option("flat_domain", "the flat-colour domain, by name"),
    Option("flat_parts", "instead of --flat-colours: one colour per part, parts split at this ΔE (ours)"),
    Option("part_colour", "a flat part's colour: mean, median, or a learned change of it (ours)", choices=PART_COLOURS),
    Option("thin_edges", "flat parts: one-pixel boundaries instead of two (ours)"),
    Option("label_norms", "labels also scale and shift every generator instance norm (ours)"),
    Option("disc_conv_dim", "discriminator width (paper: 64)"),
    Option("disc_repeat_num", "discriminator stride-2 layers (paper: 6)"),
    Option("disc_max_channels", "cap on the discriminator's width"),
    Option("batch_size"),
    Option("lr"),
    Option("n_critic", "D updates per G update (paper: 5)"),
    Option("gan_mode", "adversarial loss", choices=GAN_MODES),
    Option("lambda_gp", "gradient-penalty weight (paper: 10; 0: none)"),
    Option("lambda_cls", "domain-classification weight (paper: 1)"),
    Option("lambda_rec", "reconstruction weight (paper: 10)"),
    Option("lambda_paired", "L1 to the same file name in the target domain (ours; 0: off)"),
    Option("decay_fraction", "last share of the run with linearly decaying LR (paper: 0.5)"),
    Option(
        "target_weights", "draw target domains in these proportions, e.g. flat=3 (ours; others 1)", metavar="NAME=W,…"
    ),
    Option("bf16", "generator forward in bfloat16 autocast"),
)


FAMILY = Family(
    name="stargan",
    summary="multi-domain translation: one generator, a label vector per domain",
    config=StarGANConfig,
    data=DOMAINS,
    task="attributes",
    options=OPTIONS,
    build=lambda config, data, *, steps, device: StarGANTrainer(config, data, total_steps=steps, device=device),
    best_terms=("G_rec",),  # reconstruction G(G(x, c), c_x) ≈ x, on the G steps
)
