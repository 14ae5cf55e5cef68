"""Training speed of our CycleGAN and pix2pix steps against the reference trainer's, side by side in one run.

    python -m benchmarks.train_speed --reference DIR [--threads 1] [--rounds 5] [--steps 3]

DIR is a checkout of junyanz/pytorch-CycleGAN-and-pix2pix (its `models/` and `util/` packages are imported
from there through sys.path; nothing of it is copied into this project). For each setting both trainers
are built once with the same architecture, losses and optimiser, fed random images of the same size, warmed
up, then timed in alternating rounds of `--steps` steps each (ours first in odd rounds, theirs first in even
ones), so that a change in the machine's load hits both sides alike:
  - CycleGAN, ResNet-9 (ngf 64, transposed convolutions, instance norm), PatchGAN n_layers=3 (ndf 64),
    LSGAN, λ_cycle 10, identity 0.5, a history of 50: our `CycleGANTrainer` (what `python -m gan_demo.training
    cyclegan` runs) against `CycleGANModel.optimize_parameters`;
  - pix2pix, U-Net (ngf 64, batch norm, dropout) with PatchGAN n_layers=3 (ndf 64), BCE + 100·L1, no pool:
    our `Pix2PixTrainer` (stroke variation off: the reference has none) against
    `Pix2PixModel.optimize_parameters`; unet_128 (7 levels) at 128 px, since the paper's unet_256 (8 levels)
    needs 256 px, and unet_256 at 256 px.
Ours is timed through `Trainer.step()`, batch drawing and flips included; theirs through set_input +
optimize_parameters on ready tensors. Images/s = batch × steps / seconds. The ratio ours/theirs is taken
per round; the table gives its median and its range over the rounds, with the load average during the run.
The last rows time ours with the pix2pix trainer's `bf16` option (not the reference's arithmetic any more:
G's forward in bfloat16 autocast, losses in fp32), against the same fp32 reference step.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import time
from argparse import Namespace
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from gan_demo.training.cyclegan import CycleGANConfig
from gan_demo.training.datasets import TrainingData
from gan_demo.training.families import get_family
from gan_demo.training.pix2pix import Pix2PixConfig

CPU = torch.device("cpu")


@dataclass(frozen=True)
class Setting:
    name: str  # table row label
    family: str  # "cyclegan" or "pix2pix"
    size: int  # px, square
    batch: int
    num_downs: int = 7  # pix2pix U-Net levels
    bf16: bool = False  # ours with the pix2pix trainer's bf16 option (G's forward under bf16 autocast)


def reference_options(setting: Setting) -> Namespace:
    """The reference trainer's options for `setting`: its defaults for the model (train_options + the model's)."""
    common = {
        "isTrain": True,
        "gpu_ids": [],
        "checkpoints_dir": "/nonexistent",
        "name": "speed",
        "preprocess": "resize_and_crop",
        "input_nc": 3,
        "output_nc": 3,
        "ngf": 64,
        "ndf": 64,
        "netD": "basic",
        "n_layers_D": 3,
        "init_type": "normal",
        "init_gain": 0.02,
        "lr": 2e-4,
        "beta1": 0.5,
        "direction": "AtoB",
    }
    if setting.family == "cyclegan":
        specific = {"netG": "resnet_9blocks", "norm": "instance", "no_dropout": True, "pool_size": 50}
        specific |= {"gan_mode": "lsgan", "lambda_A": 10.0, "lambda_B": 10.0, "lambda_identity": 0.5}
    else:
        net = {7: "unet_128", 8: "unet_256"}[setting.num_downs]
        specific = {"netG": net, "norm": "batch", "no_dropout": False, "pool_size": 0}
        specific |= {"gan_mode": "vanilla", "lambda_L1": 100.0}
    return Namespace(**common, **specific)


def our_config(setting: Setting) -> CycleGANConfig | Pix2PixConfig:
    if setting.family == "cyclegan":
        return CycleGANConfig(
            size=setting.size,
            base_channels=64,
            n_blocks=9,
            upsample="transpose",
            disc_channels=64,
            disc_layers=3,
            batch_size=setting.batch,
            lambda_cycle=10.0,
            lambda_identity=0.5,
            history=50,
            gan_mode="lsgan",
        )
    return Pix2PixConfig(
        size=setting.size,
        num_downs=setting.num_downs,
        base_channels=64,
        norm="batch",
        disc_layers=3,
        disc_channels=64,
        batch_size=setting.batch,
        lambda_l1=100.0,
        gan_mode="bce",
        vary_strokes=False,
        dropout=True,
        bf16=setting.bf16,
    )


def random_images(count: int, size: int, seed: int) -> torch.Tensor:
    return torch.randint(
        0, 256, (count, 3, size, size), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed)
    )


def our_step(setting: Setting) -> Callable[[], None]:
    family = get_family(setting.family)
    sets = (random_images(16, setting.size, 0), random_images(16, setting.size, 1))
    trainer = family.build(our_config(setting), TrainingData(sets), steps=10**6, device=CPU)
    return lambda: trainer.step()


def reference_step(setting: Setting) -> Callable[[], None]:
    from models.cycle_gan_model import CycleGANModel  # from --reference, on sys.path
    from models.pix2pix_model import Pix2PixModel

    model_class = CycleGANModel if setting.family == "cyclegan" else Pix2PixModel
    with contextlib.redirect_stdout(io.StringIO()):  # it prints each network's initialisation
        model = model_class(reference_options(setting))
    a, b = (random_images(setting.batch, setting.size, seed).float() / 127.5 - 1 for seed in (2, 3))
    batch = {"A": a, "B": b, "A_paths": [], "B_paths": []}

    def step() -> None:
        model.set_input(batch)
        model.optimize_parameters()

    return step


def seconds(step: Callable[[], None], count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        step()
    return time.perf_counter() - start


def compare(setting: Setting, *, rounds: int, steps: int, warmup: int) -> dict:
    sides = {"ours": our_step(setting), "theirs": reference_step(setting)}
    for step in sides.values():
        seconds(step, warmup)
    rates: dict[str, list[float]] = {"ours": [], "theirs": []}
    for index in range(rounds):
        order = ("ours", "theirs") if index % 2 == 0 else ("theirs", "ours")
        for side in order:
            rates[side].append(setting.batch * steps / seconds(sides[side], steps))
    ratios = [o / t for o, t in zip(rates["ours"], rates["theirs"], strict=True)]
    return {
        "ours": statistics.median(rates["ours"]),
        "theirs": statistics.median(rates["theirs"]),
        "ratio": statistics.median(ratios),
        "low": min(ratios),
        "high": max(ratios),
        "load": os.getloadavg()[0],
    }


SETTINGS = (
    Setting("CycleGAN ResNet-9, 128 px", "cyclegan", 128, 1),
    Setting("CycleGAN ResNet-9, 128 px", "cyclegan", 128, 4),
    Setting("pix2pix unet_128, 128 px", "pix2pix", 128, 1, num_downs=7),
    Setting("pix2pix unet_128, 128 px", "pix2pix", 128, 4, num_downs=7),
    Setting("pix2pix unet_256, 256 px", "pix2pix", 256, 1, num_downs=8),
    Setting("pix2pix unet_256, 256 px", "pix2pix", 256, 4, num_downs=8),
    Setting("pix2pix unet_128, 128 px, ours with bf16", "pix2pix", 128, 4, num_downs=7, bf16=True),
    Setting("pix2pix unet_256, 256 px, ours with bf16", "pix2pix", 256, 4, num_downs=8, bf16=True),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", type=Path, required=True, help="checkout of pytorch-CycleGAN-and-pix2pix")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (both sides)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating timed rounds per setting")
    parser.add_argument("--steps", type=int, default=3, help="steps per side in each round")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per side first")
    parser.add_argument("--only", default="", help="run the settings whose label contains this text")
    args = parser.parse_args()
    if not (args.reference / "models" / "cycle_gan_model.py").is_file():
        sys.exit(f"--reference {args.reference}: no models/cycle_gan_model.py there (a checkout of the repository?)")
    sys.path.insert(0, str(args.reference.resolve()))
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    start_load = os.getloadavg()[0]
    print(
        f"{time.strftime('%Y-%m-%d %H:%M')}, torch {torch.__version__}, {args.threads} thread(s), load {start_load:.1f}"
    )
    print(f"{args.rounds} alternating rounds of {args.steps} steps per side, after {args.warmup} warm-up steps\n")
    print("| setting | batch | ours, images/s | reference, images/s | ours / reference (range) | load after |")
    print("|---|---|---|---|---|---|")
    for setting in SETTINGS:
        if args.only not in f"{setting.name} batch {setting.batch}":
            continue
        r = compare(setting, rounds=args.rounds, steps=args.steps, warmup=args.warmup)
        print(
            f"| {setting.name} | {setting.batch} | {r['ours']:.2f} | {r['theirs']:.2f} "
            f"| **{r['ratio']:.2f}** ({r['low']:.2f}–{r['high']:.2f}) | {r['load']:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
