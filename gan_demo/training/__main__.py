"""Train the bundled checkpoints: `python -m gan_demo.training FAMILY ...`, one sub-command per family.

The exact command used for each bundled model is recorded in its run.json and model card, so anyone can
reproduce it. Progress is printed every --log-every steps; the run is saved (atomically) every
--save-every seconds and at the end, so an interrupted run still leaves its latest weights.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import sys
import time
import typing
from pathlib import Path

import torch

from gan_demo.device import select_device
from gan_demo.training import distributed
from gan_demo.training.families import FAMILIES
from gan_demo.training.family import Option, Trainer, train
from gan_demo.training.loop import StepLog, save_run
from gan_demo.training.record import ModelCard, model_block, run_record


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="run folder (networks as save_pretrained folders)")
    parser.add_argument("--steps", type=int, required=True, help="optimisation steps (the LR schedule spans them)")
    parser.add_argument("--minutes", type=float, default=None, help="stop early after this wall-clock time")
    parser.add_argument("--split", type=Path, default=None, help="held-out STYLE/NAME list (val_split.txt)")
    parser.add_argument("--size", type=int, default=None, help="training resolution (px)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--init", type=Path, default=None, help="run folder whose networks to start from (fine-tune)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's choice)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--save-every", type=float, default=300.0, help="seconds between saves")
    parser.add_argument(
        "--keep-every", type=int, default=None, help="also keep a copy of the run every N steps (in OUT-step-N)"
    )
    card = parser.add_argument_group("the model card in run.json (the run folder's name is the model's key)")
    for field in dataclasses.fields(ModelCard):
        if field.name != "base_model":
            card.add_argument(f"--{field.name}", default=field.default, help=f"default: {field.default!r}")


def _add_option(parser: argparse.ArgumentParser, config: type, option: Option) -> None:
    """--field-name, typed as the config field (int, float, str; a bool gets --name / --no-name)."""
    hint = typing.get_type_hints(config)[option.field]
    kind = next(t for t in typing.get_args(hint) or (hint,) if t is not type(None))
    flag = "--" + option.field.replace("_", "-")
    if kind is bool:
        parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=option.help or None)
        return
    parser.add_argument(
        flag, type=kind, choices=option.choices, default=None, metavar=option.metavar, help=option.help or None
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gan_demo.training")
    sub = parser.add_subparsers(dest="family", required=True)
    for family in FAMILIES.values():
        command = sub.add_parser(family.name, help=family.summary)
        for name, help_text in family.data.folders:
            flag = f"--{name.replace('_', '-')}"
            if family.data.variadic:  # NAME=DIR values
                command.add_argument(flag, nargs="+", required=True, metavar="NAME=DIR", help=help_text)
            else:
                command.add_argument(flag, type=Path, required=True, help=help_text)
        for option in family.options:
            _add_option(command, family.config, option)
        _common(command)
    return parser


def _config(cls: type, args: argparse.Namespace):
    """A family's config dataclass with the command-line values that were given (the rest default)."""
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if getattr(args, f.name, None) is not None}
    return cls(**given)


def _drive(trainer: Trainer, logs, args: argparse.Namespace, record) -> StepLog | None:
    """Print progress, keep and save the run as the options say; the last step's log. Under torchrun only
    rank 0 prints and writes (the others train their share and return the same log)."""
    if not distributed.current().is_main:
        return _last(logs)
    last_save = time.perf_counter()
    log = None
    for log in logs:
        if log.step % args.log_every == 0 or log.step == 1:
            terms = " ".join(f"{k}={v:.3f}" for k, v in log.losses.items())
            print(f"step {log.step:6d}  {log.seconds:7.0f}s  {terms}", flush=True)
        if args.keep_every and log.step % args.keep_every == 0:
            save_run(args.out.with_name(f"{args.out.name}-step-{log.step}"), trainer.run_networks(), record(log))
        if time.perf_counter() - last_save > args.save_every:
            save_run(args.out, trainer.run_networks(), record(log))
            last_save = time.perf_counter()
    return log


def _last(logs) -> StepLog | None:
    tail = collections.deque(logs, maxlen=1)  # runs every step, keeps the last log
    return tail[0] if tail else None


def main(argv: list[str] | None = None) -> int:
    argv = list(argv if argv is not None else sys.argv[1:])
    args = _parser().parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    with distributed.session(select_device(args.device)) as session:  # one process unless torchrun started N
        return _run(args, argv, session)


def _run(args: argparse.Namespace, argv: list[str], session: distributed.Session) -> int:
    device = session.device
    family = FAMILIES[args.family]
    config = _config(family.config, args)
    folders = {name: getattr(args, name) for name, _ in family.data.folders}
    max_seconds = args.minutes * 60 if args.minutes else None
    trainer, logs = train(
        family, config, folders, steps=args.steps, device=device, split=args.split, max_seconds=max_seconds
    )
    if args.init:
        trainer.load_networks(args.init)

    card = ModelCard(title=args.title, description=args.description, licence=args.licence, credit=args.credit)
    model = model_block(family, trainer, folders, config, card, name=args.out.name)

    def record(log: StepLog) -> dict:
        return run_record(family, config, argv, device, log, model)

    log = _drive(trainer, logs, args, record)
    session.verify(trainer)
    if log is not None and session.is_main:
        save_run(args.out, trainer.run_networks(), record(log))
        print(f"saved {args.out} after {log.step} steps, {log.seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
