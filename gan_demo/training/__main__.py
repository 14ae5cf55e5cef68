"""Train the bundled checkpoints: `python -m gan_demo.training {gan,pix2pix,cyclegan} ...`.

The exact command used for each bundled model is recorded in its run.json and model card, so anyone can
reproduce it. Progress is printed every --log-every steps; the run is saved (atomically) every
--save-every seconds and at the end, so an interrupted run still leaves its latest weights.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
import time
from pathlib import Path

import torch

from gan_demo.device import select_device
from gan_demo.training.loop import save_run


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="run folder (networks as save_pretrained folders)")
    parser.add_argument("--steps", type=int, required=True, help="optimisation steps (the LR schedule spans them)")
    parser.add_argument("--minutes", type=float, default=None, help="stop early after this wall-clock time")
    parser.add_argument("--split", type=Path, default=None, help="held-out STYLE/NAME list (val_split.txt)")
    parser.add_argument("--size", type=int, default=None, help="training resolution (px)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's choice)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--save-every", type=float, default=300.0, help="seconds between saves")
    parser.add_argument(
        "--keep-every", type=int, default=None, help="also keep a copy of the run every N steps (in OUT-step-N)"
    )


def _config(cls: type, args: argparse.Namespace):
    """A family's config dataclass with the command-line values that were given (the rest default)."""
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if getattr(args, f.name, None) is not None}
    return cls(**given)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gan_demo.training")
    sub = parser.add_subparsers(dest="family", required=True)
    gan = sub.add_parser("gan", help="unconditional generator on one folder: DCGAN or FastGAN")
    gan.add_argument("--images", type=Path, required=True, help="folder of training images")
    gan.add_argument("--architecture", choices=("dcgan", "fastgan"), default=None)
    gan.add_argument("--latent-dim", type=int, default=None)
    gan.add_argument("--base-channels", type=int, default=None)
    gan.add_argument("--disc-channels", type=int, default=None)
    gan.add_argument("--batch-size", type=int, default=None)
    gan.add_argument("--lr", type=float, default=None)
    gan.add_argument("--gan-mode", choices=("bce", "lsgan", "wgan", "hinge"), default=None, help="adversarial loss")
    gan.add_argument("--augment", default=None, help='DiffAugment policy, e.g. "color,translation,cutout"; "" for none')
    gan.add_argument("--ema", type=float, default=None, help="generator weight averaging decay (0: off)")
    gan.add_argument("--recon-weight", type=float, default=None, help="FastGAN D reconstruction loss weight")
    gan.add_argument(
        "--discriminator", choices=("own", "projected"), default=None, help="the family's D, or Projected GAN's"
    )
    gan.add_argument("--feature-size", type=int, default=None, help="projected D: feature network input side (px)")
    gan.add_argument("--init-generator", default=None, help="start G from this generator folder (fine-tuning)")
    _common(gan)
    p2p = sub.add_parser("pix2pix", help="paired image-to-image: sketch → colour")
    p2p.add_argument("--source", type=Path, required=True, help="folder of inputs (e.g. line art)")
    p2p.add_argument("--target", type=Path, required=True, help="folder of outputs with the same file names")
    p2p.add_argument("--base-channels", type=int, default=None)
    p2p.add_argument("--num-downs", type=int, default=None)
    p2p.add_argument("--disc-layers", type=int, default=None)
    p2p.add_argument("--batch-size", type=int, default=None)
    _common(p2p)
    cyc = sub.add_parser("cyclegan", help="unpaired two-way translation between two image sets")
    cyc.add_argument("--domain-a", type=Path, required=True, help="folder of domain A images")
    cyc.add_argument("--domain-b", type=Path, required=True, help="folder of domain B images")
    cyc.add_argument("--base-channels", type=int, default=None)
    cyc.add_argument("--n-blocks", type=int, default=None)
    cyc.add_argument("--crop", type=int, default=None, help="train on random CROP×CROP windows of --size images")
    cyc.add_argument("--upsample", choices=("transpose", "resize"), default=None, help="generator decoder")
    cyc.add_argument("--disc-layers", type=int, default=None, help="PatchGAN depth (3 → 70×70 patches)")
    cyc.add_argument("--lambda-cycle", type=float, default=None, help="cycle-consistency weight (paper: 10)")
    cyc.add_argument(
        "--lambda-identity", type=float, default=None, help="identity weight, × lambda-cycle (paper: 0.5 for paintings)"
    )
    cyc.add_argument(
        "--residual", action=argparse.BooleanOptionalAction, default=None, help="generators learn input + change"
    )
    for domain in ("a", "b"):
        cyc.add_argument(
            f"--flat-colours-{domain}",
            type=int,
            default=None,
            metavar="N",
            help=f"the generator into domain {domain.upper()} paints N flat colour regions (for flat styles)",
        )
    cyc.add_argument("--batch-size", type=int, default=None)
    _common(cyc)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = select_device(args.device)
    command = "python -m gan_demo.training " + shlex.join(argv if argv is not None else sys.argv[1:])
    max_seconds = args.minutes * 60 if args.minutes else None

    if args.family == "gan":
        from gan_demo.training.gan import GANConfig, train_gan

        config = _config(GANConfig, args)
        trainer, logs = train_gan(
            args.images, config=config, steps=args.steps, device=device, split=args.split, max_seconds=max_seconds
        )

        def networks() -> dict:
            return {"generator": trainer.export_generator(), "discriminator": trainer.discriminator}
    elif args.family == "pix2pix":
        from gan_demo.training.pix2pix import Pix2PixConfig, train_pix2pix

        config = _config(Pix2PixConfig, args)
        generator, logs = train_pix2pix(
            args.source,
            args.target,
            config=config,
            steps=args.steps,
            device=device,
            split=args.split,
            max_seconds=max_seconds,
        )

        def networks() -> dict:
            return {"generator": generator}
    else:
        from gan_demo.training.cyclegan import CycleGANConfig, train_cyclegan

        config = _config(CycleGANConfig, args)
        trainer, logs = train_cyclegan(
            args.domain_a,
            args.domain_b,
            config=config,
            steps=args.steps,
            device=device,
            split=args.split,
            max_seconds=max_seconds,
        )

        def networks() -> dict:
            return {"a2b": trainer.a_to_b, "b2a": trainer.b_to_a}

    def make_record(log) -> dict:
        return {
            "family": args.family,
            "config": dataclasses.asdict(config),
            "command": command,
            "steps": log.step,
            "seconds": round(log.seconds, 1),
            "data": log.extra,
            "last_losses": log.losses,
            "device": str(device),
            "threads": torch.get_num_threads(),
        }

    last_save = time.perf_counter()
    log = None
    for log in logs:
        if log.step % args.log_every == 0 or log.step == 1:
            terms = " ".join(f"{k}={v:.3f}" for k, v in log.losses.items())
            print(f"step {log.step:6d}  {log.seconds:7.0f}s  {terms}", flush=True)
        if args.keep_every and log.step % args.keep_every == 0:
            save_run(args.out.with_name(f"{args.out.name}-step-{log.step}"), networks(), make_record(log))
        if time.perf_counter() - last_save > args.save_every:
            save_run(args.out, networks(), make_record(log))
            last_save = time.perf_counter()
    if log is not None:
        save_run(args.out, networks(), make_record(log))
        print(f"saved {args.out} after {log.step} steps, {log.seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
