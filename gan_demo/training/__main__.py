"""Train the bundled checkpoints: `python -m gan_demo.training FAMILY ...`, one sub-command per family.

The exact command used for each bundled model is recorded in its run.json and model card, so anyone can
reproduce it. Progress is printed every --log-every steps; the run is saved (atomically) every
--save-every seconds and at the end, so an interrupted run still leaves its latest weights, its training
state and its last checkpoints (see training/checkpoints.py). The same command with `--resume RUN` goes on
from the run's last save: same step count, loss curve, optimisers, schedules and random streams.
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
from gan_demo.training.checkpoints import Resumed, RunWriter, read_resume
from gan_demo.training.families import FAMILIES
from gan_demo.training.family import Option, Trainer, train
from gan_demo.training.loop import LossHistory, StepLog
from gan_demo.training.record import ModelCard, model_block, run_record


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, default=None, help="run folder (networks as save_pretrained folders); with --resume: it"
    )
    parser.add_argument(
        "--resume", type=Path, default=None, help="go on from this run folder's last save (repeat its command + this)"
    )
    parser.add_argument("--steps", type=int, required=True, help="optimisation steps (the LR schedule spans them)")
    parser.add_argument("--minutes", type=float, default=None, help="stop early after this wall-clock time")
    parser.add_argument("--split", type=Path, default=None, help="held-out STYLE/NAME list (val_split.txt)")
    parser.add_argument("--size", type=int, default=None, help="training resolution (px)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--init", type=Path, default=None, help="run folder whose networks to start from (fine-tune)")
    parser.add_argument(
        "--frozen",
        nargs="+",
        default=(),
        metavar="ROLE",
        help="networks kept as --init has them while the others train (e.g. a2b b2a: warm up discriminators)",
    )
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's choice)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--save-every", type=float, default=300.0, help="seconds between saves")
    parser.add_argument("--keep-last", type=int, default=2, help="checkpoints kept in OUT/checkpoints, plus the best")
    parser.add_argument(
        "--keep-every", type=int, default=None, help="also save and keep for good every N steps' checkpoint"
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


def _drive(trainer: Trainer, logs, args: argparse.Namespace, record, writer: RunWriter, history) -> tuple:
    """Print progress and save the run as the options say; the last step's log and the last step saved.
    Under torchrun only rank 0 prints and writes (the others train their share and return the same log)."""
    if not distributed.current().is_main:
        return _last(logs), None
    last_save, log, saved = time.perf_counter(), None, None
    for log in logs:
        history.add(log.step, log.losses)
        writer.observe(log.losses)
        if log.step % args.log_every == 0 or log.step == 1:
            terms = " ".join(f"{k}={v:.3f}" for k, v in log.losses.items())
            print(f"step {log.step:6d}  {log.seconds:7.0f}s  {terms}", flush=True)
        kept = args.keep_every and log.step % args.keep_every == 0
        if kept or time.perf_counter() - last_save > args.save_every:
            writer.save(trainer, record(log), history)
            last_save, saved = time.perf_counter(), log.step
    return log, saved


def _last(logs) -> StepLog | None:
    tail = collections.deque(logs, maxlen=1)  # runs every step, keeps the last log
    return tail[0] if tail else None


def _resumed(args: argparse.Namespace, family, config) -> Resumed | None:
    """The saved run to go on from (None for a new run); exits 2 with one line when it cannot be."""
    if args.resume is None:
        return None
    try:
        resumed = read_resume(args.resume)
        resumed.check(family, config)
    except ValueError as error:
        print(f"python -m gan_demo.training: cannot resume: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    return resumed


def main(argv: list[str] | None = None) -> int:
    argv = list(argv if argv is not None else sys.argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    args.out = args.out or args.resume
    if args.out is None:
        parser.error("give --out RUN_FOLDER (or --resume RUN_FOLDER to go on with a saved run)")
    if args.threads:
        torch.set_num_threads(args.threads)
    with distributed.session(select_device(args.device)) as session:  # one process unless torchrun started N
        return _run(args, argv, session)


def _freeze(trainer: Trainer, args: argparse.Namespace) -> None:
    """--frozen: those roles keep their --init weights (a resumed run repeats the flag)."""
    from gan_demo.training.finetune import freeze_network

    roles = trainer.networks()
    if unknown := [role for role in args.frozen if role not in roles]:
        raise ValueError(f"--frozen: no network {', '.join(unknown)}; this family has {', '.join(roles)}")
    if args.frozen and not (args.init or args.resume):
        raise ValueError("--frozen keeps trained networks as they are: give --init RUN_FOLDER")
    for role in args.frozen:
        freeze_network(roles[role])


def _run(args: argparse.Namespace, argv: list[str], session: distributed.Session) -> int:
    device = session.device
    family = FAMILIES[args.family]
    config = _config(family.config, args)
    resumed = _resumed(args, family, config)
    folders = {name: getattr(args, name) for name, _ in family.data.folders}
    max_seconds = args.minutes * 60 if args.minutes else None
    start = resumed.start if resumed else (0, 0.0)
    try:  # what the command line asks for is checked before the first step: a bad value is one line, exit 2
        trainer, logs = train(
            family,
            config,
            folders,
            steps=args.steps,
            device=device,
            split=args.split,
            max_seconds=max_seconds,
            start=start,
        )
        if resumed:  # under torchrun the other processes keep the new streams `train` gave them
            trainer.load_training_state(resumed.trainer, streams=session.is_main)
        elif args.init:
            trainer.load_networks(args.init)
        _freeze(trainer, args)
    except ValueError as error:
        print(f"python -m gan_demo.training {family.name}: {error}", file=sys.stderr)
        raise SystemExit(2) from None

    card = ModelCard(title=args.title, description=args.description, licence=args.licence, credit=args.credit)
    model = (
        resumed.record["model"] if resumed else model_block(family, trainer, folders, config, card, name=args.out.name)
    )
    writer = RunWriter.going_on(args.out, family, resumed, keep_last=args.keep_last, keep_every=args.keep_every)

    def record(log: StepLog) -> dict:
        result = run_record(family, config, argv, device, log, model)
        return {**result, "command": resumed.command} if resumed else result

    history = resumed.history if resumed else LossHistory()
    log, saved = _drive(trainer, logs, args, record, writer, history)
    session.verify(trainer)
    if not session.is_main:
        return 0
    if log is None:
        print(f"nothing to do: the run is at step {start[0]} of --steps {args.steps}", flush=True)
        return 0
    if saved != log.step:
        writer.save(trainer, record(log), history)
    print(f"saved {args.out} after {log.step} steps, {log.seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
