"""CycleGAN training on two unpaired image sets (Zhu et al. 2017).

G: A → B and F: B → A, judged by D_B and D_A; LSGAN losses, cycle consistency (λ = 10), identity
(0.5 λ), a history of 50 fakes per discriminator, Adam(2·10⁻⁴, β1 = 0.5), linear LR decay.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

import torch
from torch import nn

from gan_demo.models import PatchDiscriminator, ResnetGenerator
from gan_demo.models.colour_regions import PART_COLOURS, part_stage_config
from gan_demo.training.data import flip_pairs, random_batches, random_crops, to_signed
from gan_demo.training.datasets import UNPAIRED, TrainingData
from gan_demo.training.family import Family, Option, Trainer
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
    flat_parts_a: float = 0.0  # F paints one colour per part instead, parts split at this ΔE (0: off)
    flat_parts_b: float = 0.0  # G likewise
    part_colour: str = "mean"  # flat parts are painted their pixels' "mean", "median" or a "learned" colour
    thin_edges: bool = False  # the flat-parts stages' part boundaries are one pixel wide instead of two
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
        parts = {"a": self.flat_parts_a, "b": self.flat_parts_b}[target]
        return {
            "base_channels": self.base_channels,
            "n_blocks": self.n_blocks,
            "norm": "instance",
            "upsample": self.upsample,
            "residual": self.residual,
            "flat_colours": {"a": self.flat_colours_a, "b": self.flat_colours_b}[target],
            **part_stage_config(parts, self.part_colour, self.thin_edges),
        }


class CycleGANTrainer(Trainer):
    inference_roles = ("a2b", "b2a")

    def __init__(self, config: CycleGANConfig, data: TrainingData, *, total_steps: int, device: torch.device) -> None:
        super().__init__(data, seed=config.seed, device=device)
        self.config = config
        with self.random.global_state():  # layers initialise from the global generator
            self._build(config, device)
        self.batches = random_batches(*data.sets, batch_size=config.batch_size, generator=self.rng, paired=False)
        self.opt_g = adam(itertools.chain(self.a_to_b.parameters(), self.b_to_a.parameters()), lr=config.lr)
        self.opt_d = adam(itertools.chain(self.disc_a.parameters(), self.disc_b.parameters()), lr=config.lr)
        decay = int(total_steps * config.decay_fraction)
        self.schedulers = [
            linear_decay(o, total_steps=total_steps, decay_steps=decay) for o in (self.opt_g, self.opt_d)
        ]
        self.history_a = ImageHistory(config.history, rng=random.Random(config.seed))
        self.history_b = ImageHistory(config.history, rng=random.Random(config.seed + 1))

    def _build(self, config: CycleGANConfig, device: torch.device) -> None:
        self.a_to_b = ResnetGenerator(**config.generator_config("b")).to(device).train()  # G
        self.b_to_a = ResnetGenerator(**config.generator_config("a")).to(device).train()  # F
        disc = {"base_channels": config.disc_channels, "n_layers": config.disc_layers, "norm": "instance"}
        self.disc_a = PatchDiscriminator(**disc).to(device).train()  # D_A: real A vs F(b)
        self.disc_b = PatchDiscriminator(**disc).to(device).train()  # D_B: real B vs G(a)

    def networks(self) -> dict[str, nn.Module]:
        return {"a2b": self.a_to_b, "b2a": self.b_to_a, "disc_a": self.disc_a, "disc_b": self.disc_b}

    def next_batch(self) -> tuple[torch.Tensor, ...]:
        real_a, real_b = flip_pairs(next(self.batches), self.rng)
        if self.config.crop:
            real_a, real_b = (
                random_crops(real_a, self.config.crop, self.rng),
                random_crops(real_b, self.config.crop, self.rng),
            )
        return to_signed(real_a), to_signed(real_b)

    def update(self, real_a: torch.Tensor, real_b: torch.Tensor) -> dict[str, float]:
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
        self.backward(sum(g_terms.values()))
        self.opt_g.step()

        self.disc_a.requires_grad_(True)
        self.disc_b.requires_grad_(True)
        pool_b, pool_a = self.history_b(fake_b), self.history_a(fake_a)
        d_terms = {
            **discriminator_terms(self.disc_b(real_b), self.disc_b(pool_b), mode=c.gan_mode, name="D_B"),
            **discriminator_terms(self.disc_a(real_a), self.disc_a(pool_a), mode=c.gan_mode, name="D_A"),
        }
        self.opt_d.zero_grad(set_to_none=True)
        self.backward(sum(d_terms.values()))
        self.opt_d.step()
        for scheduler in self.schedulers:
            scheduler.step()
        return {name: value.item() for name, value in {**g_terms, **d_terms}.items()}


OPTIONS = (
    Option("base_channels"),
    Option("n_blocks"),
    Option("crop", "train on random CROP×CROP windows of --size images"),
    Option("upsample", "generator decoder", choices=("transpose", "resize")),
    Option("disc_layers", "PatchGAN depth (3 → 70×70 patches)"),
    Option("lambda_cycle", "cycle-consistency weight (paper: 10)"),
    Option("lambda_identity", "identity weight, × lambda-cycle (paper: 0.5 for paintings)"),
    Option("residual", "generators learn input + change"),
    *(
        Option(f"flat_colours_{d}", f"the generator into domain {d.upper()} paints N flat colour regions", metavar="N")
        for d in ("a", "b")
    ),
    *(
        Option(f"flat_parts_{d}", f"the generator into {d.upper()} paints one colour per part (ΔE edge)", metavar="ΔE")
        for d in ("a", "b")
    ),
    Option("part_colour", "a flat part's colour: mean, median, or a learned change of it", choices=PART_COLOURS),
    Option("thin_edges", "flat parts: one-pixel boundaries instead of two"),
    Option("batch_size"),
    Option("lr"),
    Option("decay_fraction", "last share of the run with linearly decaying LR (paper: 0.5)"),
)


def config_from_entry(entry) -> CycleGANConfig | None:
    """The config of a two-way translator this family can train on (both generators, the paper's ResNet with
    non-affine instance norm, as junyanz's CycleGANs on the Hub are), else None. Discriminators start fresh."""
    network = dict(entry.config)
    fits = (
        entry.task == "translate"
        and set(entry.weights) == {"a2b", "b2a"}
        and all(entry.architecture_of(role) == "resnet_generator" for role in ("a2b", "b2a"))
        and network.get("norm", "instance") == "instance"
        and not network.get("flat_colours")
        and not network.get("flat_parts")
        and not network.get("dropout")
    )
    if not fits:
        return None
    return CycleGANConfig(
        size=min(entry.image_size, 256),
        base_channels=network.get("base_channels", 64),
        n_blocks=network.get("n_blocks", 9),
        upsample=network.get("upsample", "transpose"),
        residual=network.get("residual", False),
        disc_channels=64,  # the paper's PatchGAN
        disc_layers=3,
        batch_size=1,
    )


FAMILY = Family(
    name="cyclegan",
    summary="unpaired two-way translation between two image sets",
    config=CycleGANConfig,
    data=UNPAIRED,
    task="translate",
    options=OPTIONS,
    build=lambda config, data, *, steps, device: CycleGANTrainer(config, data, total_steps=steps, device=device),
    directions=lambda folders: {
        "a2b": f"{folders['domain_a'].name} → {folders['domain_b'].name}",
        "b2a": f"{folders['domain_b'].name} → {folders['domain_a'].name}",
    },
    best_terms=("cycle_a", "cycle_b"),  # cycle consistency, both ways
    config_from_entry=lambda entry: config_from_entry(entry),
)
