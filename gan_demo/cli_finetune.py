"""`gan-demo finetune`: the Fine-tune tab's training on the command line, in the foreground."""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

from gan_demo.cli_io import EXIT_FAILED, EXIT_USAGE, CliError
from gan_demo.settings import Settings

FOLDER_FLAGS = {  # family → (its data folders, in order) ← (the command's flags)
    "gan": {"images": "data"},
    "pix2pix": {"source": "data", "target": "target"},
    "cyclegan": {"domain_a": "data", "domain_b": "data_b"},
    "stargan": {"domains": "data"},  # one subfolder per domain
}


HELP = "fine-tune a model on your own images (a run folder that is a model)"


def add_arguments(parser: argparse.ArgumentParser, settings: Settings) -> None:
    parser.add_argument(
        "family", choices=tuple(FOLDER_FLAGS), help="gan (sampling), pix2pix (sketch), cyclegan, stargan (styles)"
    )
    parser.add_argument("--from", dest="base", default=None, help="registry key or run folder to start from")
    parser.add_argument(
        "--data",
        type=Path,
        required=True,
        help="folder or .zip: images (gan), inputs (pix2pix), domain A (cyclegan), one subfolder per domain (stargan)",
    )
    parser.add_argument("--target", type=Path, default=None, help="pix2pix: outputs with the same file names")
    parser.add_argument("--data-b", type=Path, default=None, help="cyclegan: domain B images (folder or .zip)")
    parser.add_argument("--out", type=Path, default=None, help="run folder to write; its name is the model's key")
    parser.add_argument(
        "--resume", type=Path, default=None, help="go on from this run's last save (its settings; --out: it)"
    )
    parser.add_argument("--keep-last", type=int, default=2, help="checkpoints kept in OUT/checkpoints, plus the best")
    parser.add_argument("--steps", type=int, default=1000, help="optimisation steps at most (default 1000)")
    parser.add_argument("--minutes", type=float, default=None, help="wall-clock budget")
    parser.add_argument("--lr", type=float, default=None, help="learning rate (default: the base's)")
    parser.add_argument("--batch-size", type=int, default=None, help="images per step (default: the base's)")
    parser.add_argument("--augment", default=None, help='DiffAugment policy for gan, e.g. "color,translation"')
    parser.add_argument("--freeze-d", type=int, default=0, help="keep the discriminators' first N convolutions")
    parser.add_argument("--seed", type=int, default=None, help="same seed, same run")
    parser.add_argument("--title", default="", help="the model's label in the app")
    parser.add_argument("--licence", default=None, help="licence of the result (that of your images)")
    parser.add_argument("--credit", default=None, help="who made the images, for the model card (one line)")
    parser.add_argument(
        "--precision",
        choices=("auto", "fp32", "bf16", "fp16"),
        default="auto",
        help="mixed precision: auto (bf16 or fp16 on CUDA GPUs, fp32 elsewhere), or one of them",
    )
    parser.add_argument("--check", action="store_true", help="only check the data (as the tab's Check button does)")


def run(args: argparse.Namespace) -> int:
    from gan_demo.device import select_device
    from gan_demo.registry import Registry
    from gan_demo.training import distributed
    from gan_demo.training.families import get_family
    from gan_demo.training.finetune import base_config, base_domains, base_run_folder, folder_problem, run_finetune

    family = get_family(args.family)
    uploads = [_upload(args, flag) for flag in FOLDER_FLAGS[args.family].values()]
    _check_numbers(args)
    args.out = args.out or args.resume
    if args.out is None:
        raise ValueError("give --out RUN_FOLDER (or --resume RUN_FOLDER to go on with a saved run)")
    if problem := folder_problem(args.out.parent):
        raise OSError(f"the run cannot be saved: {problem}")
    base = base_run_folder(Registry(), args.base, family.task) if args.base and not args.resume else None
    if missing := [str(path) for path in uploads if not path.exists()]:
        raise CliError(f"{', '.join(missing)}: no such folder or .zip", EXIT_USAGE)
    batch_size = base_config(family, args.resume or base, _overrides(args)).batch_size
    with distributed.session(select_device(args.device)) as session, tempfile.TemporaryDirectory() as work:
        say, domains = session.is_main, base_domains(args.resume or base)  # stargan: the base's domains
        folders = _training_folders(args, uploads, Path(work), batch_size=batch_size, say=say, domains=domains)
        if args.check:
            return 0
        bar = ProgressLine(quiet=not session.is_main)  # rank 0 alone reports (and writes)
        spec = _spec(args, folders, base, uploads, base_terms=_base_terms(args, base))
        folder = run_finetune(spec, device=session.device, on_update=bar.show)
        bar.close()
        if session.is_main:
            print(folder)
    return 0


def _base_terms(args: argparse.Namespace, base: Path | None) -> tuple[str, str, str] | None:
    """(name, licence, credit) of the model a run starts from (a registry key or a run folder), for its card."""
    import json

    from gan_demo.registry import Registry

    if base is None:
        return None
    entries = {entry.key: entry for entry in Registry()}
    if (entry := entries.get(str(args.base))) is not None:
        return entry.key, entry.licence, entry.credit
    model = json.loads((base / "run.json").read_text()).get("model", {})
    return base.name, str(model.get("licence", "unspecified")), str(model.get("credit", ""))


def _spec(args: argparse.Namespace, folders: dict, base: Path | None, uploads: list[Path], *, base_terms=None):
    from gan_demo.training.finetune import FineTuneSpec
    from gan_demo.training.record import ModelCard, fine_tune_terms

    described = f"Fine-tuned with gan-demo finetune {args.family} on {', '.join(str(p) for p in uploads)}."
    licence, credit = fine_tune_terms(
        args.licence, args.credit, made_by="fine-tuned with gan-demo finetune", base=base_terms
    )
    card = ModelCard(title=args.title, description=described, licence=licence, credit=credit)
    return FineTuneSpec(
        family=args.family,
        folders=folders,
        out=args.out,
        steps=args.steps,
        base=base,
        minutes=args.minutes,
        overrides=_overrides(args),
        freeze_d=args.freeze_d,
        card=card,
        preview_every=10**9,  # no previews on the command line
        command=_command(args),
        resume=args.resume,
        keep_last=args.keep_last,
        precision=args.precision,
    )


def _training_folders(
    args: argparse.Namespace, uploads: list[Path], work: Path, *, batch_size: int, say: bool, domains: list | None
):
    """The uploads checked as the Fine-tune tab checks them (a folder or a .zip, each file through the safe
    loader), written as training folders under `work`; the report is one line on stderr (from the process
    that `say`s) when files were skipped or with --check."""
    from gan_demo.training.finetune_data import batch_too_large, uploads_for

    report = uploads_for(args.family, uploads[:1], uploads[1:], work, domains=domains)
    if not report.ready:
        raise CliError(report.summary(), EXIT_FAILED)
    if say and (args.check or report.skipped):
        print(f"gan-demo: {report.summary()}", file=sys.stderr)
    if problem := batch_too_large(report, batch_size):
        raise CliError(f"{problem} (--batch-size)", EXIT_USAGE)
    return report.folders


def _check_numbers(args: argparse.Namespace) -> None:
    """Refuse numbers no run can use (NaN, negative, zero) before any file is read."""
    if args.steps < 1 or (args.minutes is not None and not args.minutes > 0):
        raise ValueError("--steps must be at least 1 and --minutes positive")
    if args.keep_last < 1:
        raise ValueError(f"--keep-last must be at least 1 (the newest checkpoint), got {args.keep_last}")
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        raise ValueError(f"--lr must be a positive number, got {args.lr}")
    if (args.batch_size is not None and args.batch_size < 1) or args.freeze_d < 0:
        raise ValueError(
            f"--batch-size must be at least 1 and --freeze-d at least 0, got {args.batch_size}, {args.freeze_d}"
        )


def _upload(args: argparse.Namespace, flag: str) -> Path:
    """The folder or .zip a data flag names (the family requires it)."""
    value = getattr(args, flag)
    if value is None:
        raise ValueError(f"{args.family} needs --{flag.replace('_', '-')}")
    return value


def _overrides(args: argparse.Namespace) -> dict:
    given = {"lr": args.lr, "batch_size": args.batch_size, "augment": args.augment, "seed": args.seed}
    return {key: value for key, value in given.items() if value is not None}


def _command(args: argparse.Namespace) -> list[str]:
    """The arguments after `gan-demo finetune` that repeat this run (for its record and card)."""
    given = {
        "--from": args.base,
        "--data": args.data,
        "--target": args.target,
        "--data-b": args.data_b,
        "--out": args.out,
        "--steps": args.steps,
        "--minutes": args.minutes,
        "--lr": args.lr,
        "--batch-size": args.batch_size,
        "--augment": args.augment,
        "--freeze-d": args.freeze_d or None,
        "--seed": args.seed,
        "--title": args.title or None,
        "--licence": args.licence,
        "--credit": args.credit,
        "--precision": None if args.precision == "auto" else args.precision,
    }
    return [args.family, *(part for flag, value in given.items() if value is not None for part in (flag, str(value)))]


class ProgressLine:
    """One progress line on stderr (rewritten in place on a terminal, every 10 steps otherwise)."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.tty = sys.stderr.isatty() and not quiet
        self.quiet = quiet
        self.started = time.perf_counter()

    def show(self, update) -> None:
        if self.quiet or not update.step or (not self.tty and update.step % 10 and update.step != update.total):
            return
        rate = update.step / update.seconds if update.seconds else 0.0
        eta = f"ETA {(update.total - update.step) / rate:4.0f} s" if rate else ""
        terms = " ".join(f"{k}={v:.3f}" for k, v in update.losses.items())
        line = f"step {update.step}/{update.total}  {rate:.2f} steps/s  {eta}  {terms} {update.message}".rstrip()
        print(("\r" + line) if self.tty else line, end="" if self.tty else "\n", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.tty:
            print(file=sys.stderr)
