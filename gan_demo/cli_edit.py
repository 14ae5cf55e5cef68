"""`gan-demo edit`: StarGAN attribute and domain editing from the command line (the app's StarGAN tab).

For a domain model such as `emoji-styles`, attributes not given are 0, so `--attr flat=1` translates into the
flat style; for an attribute model such as `stargan-celeba`, attributes not given keep the value its
discriminator estimates for each input (0 without one). `--strip N` writes the interpolation strip from
that estimate (or the input's own domain) to the given setting instead.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

from gan_demo.cli_io import EXIT_USAGE, CliError, for_each_image, input_files, make_store, model_entry
from gan_demo.settings import Settings

HELP = "edit attributes or domains with a StarGAN generator (hair colour, emoji style …)"


def add_arguments(parser: argparse.ArgumentParser, settings: Settings) -> None:
    parser.add_argument("--model", default="emoji-styles", help="registry key (see `gan-demo models`) or run folder")
    parser.add_argument("--input", required=True, type=Path, help="an image file or a folder of images")
    parser.add_argument("--out", required=True, type=Path, help="output folder: OUT/<input stem>.png")
    parser.add_argument(
        "--attr",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an attribute or domain and its value (repeat; `gan-demo models --json` lists names and ranges)",
    )
    parser.add_argument("--strip", type=int, default=None, metavar="N", help="instead: an N-frame strip (2–32)")
    parser.add_argument(
        "--whole-image", action="store_true", help="edit the whole image, without finding and framing the face"
    )


def parse_attributes(pairs: list[str]) -> dict[str, float]:
    """{"flat": 1.0} from ["flat=1"]; a malformed or repeated pair names itself (names and ranges are checked later)."""
    from gan_demo.tasks.attribute_sliders import collect_values

    try:
        return collect_values(pairs)
    except ValueError as error:
        raise CliError(f"--attr {error}", EXIT_USAGE) from None


def run(args: argparse.Namespace) -> int:
    from gan_demo.faces import FaceNotFound
    from gan_demo.tasks.attributes import AttributeEditor, Framed

    if not args.attr:
        raise CliError("give at least one --attr NAME=VALUE", EXIT_USAGE)
    values = parse_attributes(args.attr)
    store = make_store(args.device)
    entry = model_entry(store, args.model, "attributes")
    editor = AttributeEditor.load(store, entry.key)
    try:
        editor.space.check_all(values)
    except ValueError as error:
        raise CliError(str(error), EXIT_USAGE) from None
    if args.strip is not None and not 2 <= args.strip <= 32:
        raise CliError(f"--strip takes 2 to 32 frames, not {args.strip}", EXIT_USAGE)
    inputs = input_files(args.input)
    frame = editor.frames_faces and not args.whole_image

    def convert(image: Image.Image) -> dict[str, Image.Image]:
        try:
            framed = Framed.of(image, frame_faces=frame)
        except FaceNotFound as error:
            raise ValueError(f"{error} (--whole-image)") from None
        start = editor.start(framed)
        target = editor.target(values, start)
        if args.strip is not None:
            return {"-strip": editor.strip(framed, start, target, args.strip)}
        return {"": editor.edit(framed, [target])[0]}

    return for_each_image(inputs, args.out, convert)
