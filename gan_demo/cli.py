"""`gan-demo` (also `python -m gan_demo`): the app's capabilities from the command line.

Same core, same inputs, same outputs as the UI. Errors are one line on stderr and a non-zero exit code;
set GAN_DEMO_DEBUG=1 to see tracebacks. Exit codes:
  0  done
  1  some inputs could not be used (each named on stderr; the others were written)
  2  usage: an unknown option or model, or a number out of range
  3  the model is not available here or its weights are damaged
  4  internal error (a bug: please report it)
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image

from gan_demo import cli_finetune, cli_stylize

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_MODEL, EXIT_INTERNAL = 0, 1, 2, 3, 4
LATER = {
    "edit": "StarGAN attribute editing",
}


class CliError(Exception):
    """A failure to report as one line, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gan-demo", description="GAN playground from the command line.")
    parser.add_argument(
        "--device", default=os.environ.get("GAN_DEMO_DEVICE", "auto"), help="auto (default), cpu, cuda or mps"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    models = sub.add_parser("models", help="list the models (key, task, source, size, licence)")
    models.add_argument("--json", action="store_true", help="print JSON instead of a table")
    models.add_argument("--task", help="only models of this task")
    models.add_argument("--check", action="store_true", help="load every available model to find damaged weights")

    sample = sub.add_parser("sample", help="draw random images from an unconditional GAN")
    sample.add_argument("--model", default="faces-dcgan", help="registry key (see `gan-demo models`) or run folder")
    sample.add_argument("--n", type=int, default=16, help="number of images (1–64)")
    sample.add_argument("--seed", type=int, default=0, help="same seed, same images")
    sample.add_argument("--latent-scale", type=float, default=1.0, help="multiplies z: <1 safer, >1 wilder")
    sample.add_argument("--truncation", type=float, default=None, help="redraw latent values beyond ±T (BigGAN)")
    sample.add_argument(
        "--size", type=int, default=None, help="resize outputs to SIZE×SIZE px (default: the model's display size)"
    )
    sample.add_argument("--out", required=True, type=Path, help="output folder (one PNG per image)")
    sample.add_argument(
        "--walk-to", type=int, default=None, metavar="SEED", help="instead: a looping GIF from --seed to this seed"
    )
    sample.add_argument("--frames", type=int, default=24, help="frames of the walk (2–120)")
    sample.add_argument("--fps", type=float, default=12.0, help="frames per second of the walk")
    sample.add_argument("--interpolation", choices=("slerp", "linear"), default="slerp", help="path of the walk")

    translate = sub.add_parser("translate", help="translate images with a CycleGAN generator")
    translate.add_argument("--model", default="vintage", help="registry key (see `gan-demo models`) or run folder")
    translate.add_argument("--input", required=True, type=Path, help="an image file or a folder of images")
    translate.add_argument("--out", required=True, type=Path, help="output folder: OUT/<input stem>.png")
    translate.add_argument(
        "--direction",
        choices=("a2b", "b2a"),
        default=None,
        help="which way a two-way model translates (default: its first)",
    )
    translate.add_argument("--max-side", type=int, default=512, help="downscale so the longer side ≤ this")
    translate.add_argument(
        "--compile",
        action="store_true",
        help="torch.compile the generator: ~1.25× faster per image on CPU after a ~30 s "
        "warm-up per image size; worth it for folders of same-sized images",
    )
    translate.add_argument(
        "--precision",
        default=os.environ.get("GAN_DEMO_PRECISION", "auto"),
        help="auto (default): bf16 autocast on CPUs with native bf16 (about 2× faster, outputs within about "
        "one grey level on average), else fp32; or fp32, bf16",
    )

    sketch = sub.add_parser("sketch", help="colour sketches (or traced photos) with a pix2pix generator")
    sketch.add_argument("--model", default="emoji-sketch", help="registry key (see `gan-demo models`) or run folder")
    sketch.add_argument("--input", required=True, type=Path, help="a sketch or photo file, or a folder of them")
    sketch.add_argument("--out", required=True, type=Path, help="output folder: OUT/<input stem>.png")
    sketch.add_argument(
        "--edges",
        choices=("canny", "xdog"),
        default=None,
        help="trace the inputs as photos first with this line extractor",
    )
    sketch.add_argument("--threshold", type=float, default=0.5, help="edge threshold in [0, 1] (with --edges)")
    sketch.add_argument("--stroke", type=int, default=3, help="traced line width in px (with --edges)")
    sketch.add_argument("--save-sketch", action="store_true", help="also write OUT/<stem>-sketch.png")

    cli_finetune.add_parser(sub)
    cli_stylize.add_parser(sub)
    for name, what in LATER.items():
        sub.add_parser(name, help=f"{what} (not available yet)")
    return parser


def _store(device_name: str, *, compile_networks: bool = False, precision: str = "fp32"):
    from gan_demo.device import select_device
    from gan_demo.registry import Registry
    from gan_demo.store import ModelStore

    try:
        device = select_device(device_name)
        return ModelStore(Registry(), device, compile_networks=compile_networks, precision=precision)
    except ValueError as error:
        raise CliError(str(error), EXIT_USAGE) from None


def _save_png(image: Image.Image, path: Path) -> None:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    _write_file(path, buffer.getvalue())


def _write_file(path: Path, data: bytes) -> None:
    """Write atomically: a failure leaves no partial file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=f"{path.suffix}.part", delete=False) as handle:
        handle.write(data)
    umask = os.umask(0)  # a temporary file is private (0600); give the result the usual permissions
    os.umask(umask)
    os.chmod(handle.name, 0o666 & ~umask)
    os.replace(handle.name, path)


def _entry(store, value: str, task: str):
    """The registry entry for --model: a registry key, or a run folder (listed under its folder's name)."""
    if Path(value).is_dir():
        store.registry.add_run(value, replace=True)
        return store.registry.get(Path(value).resolve().name, task)
    return store.registry.get(value, task)


def cmd_models(args: argparse.Namespace) -> int:
    from gan_demo.hub import availability
    from gan_demo.registry import Registry

    rows = []
    for entry in Registry().entries(args.task):
        usable, note = availability(entry)
        if usable and args.check:
            usable, note = _loads(entry, args.device, note)
        rows.append({**entry.summary(), "available": usable, "note": note})
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return EXIT_OK
    header = ("key", "task", "source", "size", "licence", "status")
    table = [header] + [
        (r["key"], r["task"], r["source"], f"{r['image_size']}px", r["licence"].split(" ")[0], r["note"]) for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return EXIT_OK


def _loads(entry, device_name: str, note: str) -> tuple[bool, str]:
    """(usable, note) after loading every network of the entry, strictly."""
    from gan_demo.device import select_device
    from gan_demo.hub import WeightsInvalid, WeightsNotFound, load_network

    try:
        for role in entry.weights:
            load_network(entry, role, device=select_device(device_name))
    except (WeightsInvalid, WeightsNotFound) as error:
        return False, f"broken: {error}"
    return True, note


def cmd_sample(args: argparse.Namespace) -> int:
    from gan_demo.tasks.sample import animation_bytes, render_latents, sample_images, walk_latents

    store = _store(args.device)
    entry = _entry(store, args.model, "sample")
    size = args.size or entry.task_options.get("output_size")
    _, generator = store.get(entry.key)
    if args.walk_to is not None:
        z = walk_latents(
            generator.latent_dim,
            args.seed,
            args.walk_to,
            args.frames,
            interpolation=args.interpolation,
            truncation=args.truncation,
        )
        frames = render_latents(generator, z, device=store.device, latent_scale=args.latent_scale, output_size=size)
        path = args.out / f"{entry.key}-walk-{args.seed}-{args.walk_to}.gif"
        _write_file(path, animation_bytes(frames, fps=args.fps))
        print(path)
        return EXIT_OK
    images = sample_images(
        generator,
        n=args.n,
        seed=args.seed,
        device=store.device,
        latent_scale=args.latent_scale,
        truncation=args.truncation,
        output_size=size,
    )
    for index, image in enumerate(images):
        path = args.out / f"{entry.key}-seed{args.seed}-{index:02d}.png"
        _save_png(image, path)
        print(path)
    return EXIT_OK


def _inputs(path: Path) -> list[Path]:
    """The file, or the visible files of the folder; checked before any model is loaded."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        if not files:
            raise CliError(f"{path}: the folder has no files")
        return files
    if path.exists():
        return [path]
    raise CliError(f"{path}: no such file or folder", EXIT_USAGE)


def _for_each_image(inputs: list[Path], out_dir: Path, convert: Callable[[Image.Image], dict[str, Image.Image]]) -> int:
    """Run `convert` on every readable image; write OUT/<stem><suffix>.png; report unreadable ones by name."""
    from gan_demo.imaging import InvalidImage, load_image
    from gan_demo.tasks.sketch import BlankSketch

    failures = 0
    for path in inputs:
        try:
            outputs = convert(load_image(path, name=str(path)))
        except (InvalidImage, BlankSketch, ValueError, RuntimeError) as error:  # one bad file never stops a run
            message = str(error) if isinstance(error, InvalidImage) else f"{path}: {error}"
            print(f"gan-demo: skipped {message}", file=sys.stderr)
            failures += 1
            continue
        for suffix, image in outputs.items():
            out = out_dir / f"{path.stem}{suffix}.png"
            _save_png(image, out)
            print(out)
    if failures:
        raise CliError(f"{failures} of {len(inputs)} input(s) could not be used (see above)")
    return EXIT_OK


def cmd_translate(args: argparse.Namespace) -> int:
    from gan_demo.tasks import translate_image

    store = _store(args.device, compile_networks=args.compile, precision=args.precision)
    entry = _entry(store, args.model, "translate")
    role = args.direction or next(iter(entry.weights))
    if role not in entry.weights:
        raise CliError(
            f"{entry.key} only translates {', '.join(entry.weights)}; --direction {role} is not available", EXIT_USAGE
        )
    inputs = _inputs(args.input)
    _, generator = store.get(entry.key, role)
    return _for_each_image(
        inputs,
        args.out,
        lambda image: {
            "": translate_image(
                generator,
                image,
                device=store.device,
                max_side=args.max_side,
                work_side=entry.task_options.get("work_side"),
            )
        },
    )


def cmd_sketch(args: argparse.Namespace) -> int:
    from gan_demo.edges import photo_to_sketch
    from gan_demo.tasks.sketch import sketch_options, sketch_to_image

    store = _store(args.device)
    entry = _entry(store, args.model, "sketch")
    inputs = _inputs(args.input)
    _, generator = store.get(entry.key)

    def convert(image: Image.Image) -> dict[str, Image.Image]:
        if args.edges:
            image = photo_to_sketch(image, method=args.edges, threshold=args.threshold, stroke=args.stroke)
        options = sketch_options(entry)
        seen, result = sketch_to_image(generator, image, device=store.device, size=entry.image_size, **options)
        return {"": result, "-sketch": seen} if args.save_sketch else {"": result}

    return _for_each_image(inputs, args.out, convert)


def cmd_stylize(args: argparse.Namespace) -> int:
    store = _store(args.device)
    print(cli_stylize.run(args, store, _save_png))
    return EXIT_OK


def cmd_later(args: argparse.Namespace) -> int:
    raise CliError(
        f"`gan-demo {args.command}` ({LATER[args.command]}) is not available yet; it arrives in a later release",
        EXIT_USAGE,
    )


COMMANDS = {
    "models": cmd_models,
    "sample": cmd_sample,
    "translate": cmd_translate,
    "sketch": cmd_sketch,
    "stylize": cmd_stylize,
    "finetune": lambda args: cli_finetune.run(args),
    **dict.fromkeys(LATER, cmd_later),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and args.command not in LATER:  # options of the later commands are not defined yet
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    from gan_demo.hub import WeightsInvalid, WeightsNotFound
    from gan_demo.imaging import InvalidImage
    from gan_demo.registry import UnknownModel

    try:
        return COMMANDS[args.command](args)
    except CliError as error:
        print(f"gan-demo: {error}", file=sys.stderr)
        return error.code
    except (WeightsNotFound, WeightsInvalid) as error:
        print(f"gan-demo: {error}", file=sys.stderr)
        return EXIT_MODEL
    except (UnknownModel, ValueError) as error:
        print(f"gan-demo: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (InvalidImage, OSError) as error:
        print(f"gan-demo: {error}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as error:  # never a traceback for users; GAN_DEMO_DEBUG=1 shows it
        if os.environ.get("GAN_DEMO_DEBUG"):
            raise
        print(
            f"gan-demo: internal error: {type(error).__name__}: {error} (GAN_DEMO_DEBUG=1 for details)", file=sys.stderr
        )
        return EXIT_INTERNAL
