"""`gan-demo` (also `python -m gan_demo`): the app's capabilities from the command line.

Same core, same inputs, same outputs as the UI; one row of COMMANDS per command. Errors are one line on
stderr and a non-zero exit code; set GAN_DEMO_DEBUG=1 to see tracebacks. Exit codes:
  0  done
  1  some inputs could not be used (each named on stderr; the others were written)
  2  usage: an unknown option or model, or a number out of range
  3  the model is not available here or its weights are damaged
  4  internal error (a bug: please report it)
"""

from __future__ import annotations

import argparse
import sys
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gan_demo import cli_commands, cli_edit, cli_finetune, cli_push, cli_stylize
from gan_demo.cli_io import EXIT_FAILED, EXIT_INTERNAL, EXIT_MODEL, EXIT_OK, EXIT_USAGE, CliError
from gan_demo.settings import Settings

__all__ = ["COMMANDS", "EXIT_FAILED", "EXIT_INTERNAL", "EXIT_MODEL", "EXIT_OK", "EXIT_USAGE", "CliError", "main"]


@dataclass(frozen=True)
class Command:
    """One `gan-demo` command; a command without `run` arrives in a later release and says so."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser, Settings], None] | None = None
    run: Callable[[argparse.Namespace], int] | None = None


COMMANDS: tuple[Command, ...] = (
    Command(
        "models",
        "list the models (key, task, source, size, licence)",
        cli_commands.models_arguments,
        cli_commands.run_models,
    ),
    Command(
        "sample", "draw random images from an unconditional GAN", cli_commands.sample_arguments, cli_commands.run_sample
    ),
    Command(
        "translate",
        "translate images with a CycleGAN generator",
        cli_commands.translate_arguments,
        cli_commands.run_translate,
    ),
    Command(
        "sketch",
        "colour sketches (or traced photos) with a pix2pix generator",
        cli_commands.sketch_arguments,
        cli_commands.run_sketch,
    ),
    Command("stylize", cli_stylize.HELP, cli_stylize.add_arguments, cli_stylize.run),
    Command("finetune", cli_finetune.HELP, cli_finetune.add_arguments, cli_finetune.run),
    Command("push", cli_push.HELP, cli_push.add_arguments, cli_push.run),
    Command("edit", cli_edit.HELP, cli_edit.add_arguments, cli_edit.run),
)


class _OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line on stderr (what was wrong and where to read more) and exit code 2."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser(settings: Settings) -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="gan-demo", description="GAN playground from the command line.")
    parser.add_argument("--device", default=settings.device, help="auto (default), cpu, cuda or mps")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command_parser = sub.add_parser(command.name, help=command.help)
        if command.arguments is not None:
            command.arguments(command_parser, settings)
    return parser


def _not_yet(command: Command) -> CliError:
    what = command.help.removesuffix(" (not available yet)")
    return CliError(
        f"`gan-demo {command.name}` ({what}) is not available yet; it arrives in a later release", EXIT_USAGE
    )


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    settings = settings or Settings.from_env()
    parser = _parser(settings)
    args, unknown = parser.parse_known_args(argv)
    command = next(c for c in COMMANDS if c.name == args.command)
    if unknown and command.run is not None:  # options of the later commands are not defined yet
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    from gan_demo.hub import WeightsInvalid, WeightsNotFound
    from gan_demo.imaging import InvalidImage
    from gan_demo.registry import UnknownModel

    try:
        if command.run is None:
            raise _not_yet(command)
        return command.run(args)
    except CliError as error:
        return _fail(error, error.code)
    except (WeightsNotFound, WeightsInvalid) as error:
        return _fail(error, EXIT_MODEL)
    except (InvalidImage, OSError) as error:  # before ValueError: an unusable image is an input, not usage
        return _fail(error, EXIT_FAILED)
    except (UnknownModel, ValueError) as error:
        return _fail(error, EXIT_USAGE)
    except Exception as error:  # never a traceback for users; GAN_DEMO_DEBUG=1 shows it
        if settings.debug:
            raise
        return _fail(f"internal error: {type(error).__name__}: {error} (GAN_DEMO_DEBUG=1 for details)", EXIT_INTERNAL)


def _fail(error: Exception | str, code: int) -> int:
    print(f"gan-demo: {error}", file=sys.stderr)
    return code
