"""`gan-demo push RUN_DIR --repo USER/NAME`: a run folder to a model repository of your own on the Hub."""

from __future__ import annotations

import argparse
from pathlib import Path

from gan_demo.cli_io import EXIT_FAILED, EXIT_USAGE, CliError
from gan_demo.settings import Settings

HELP = "push a run folder (weights, config, card, run.json) to your own model repository on the Hub"


def add_arguments(parser: argparse.ArgumentParser, settings: Settings) -> None:
    parser.add_argument("run", type=Path, metavar="RUN_DIR", help="a run folder (gan-demo finetune, the Fine-tune tab)")
    parser.add_argument("--repo", required=True, metavar="USER/NAME", help="the model repository (created if needed)")
    parser.add_argument("--private", action="store_true", help="create the repository private")


def run(args: argparse.Namespace) -> int:
    """Uses HF_TOKEN (or the `hf auth login` token); prints the repository's address, never the token."""
    from gan_demo.hub_push import PushFailed, PushRefused, local_token, push_run

    try:
        url = push_run(args.run, args.repo, token=local_token(), private=args.private)
    except PushRefused as error:
        raise CliError(str(error), EXIT_USAGE) from None
    except PushFailed as error:
        raise CliError(str(error), EXIT_FAILED) from None
    print(url)
    return 0
