"""The inference commands of `gan-demo`: models, sample, translate, sketch (listed in gan_demo.cli.COMMANDS).

Each command is a pair: `*_arguments(parser, settings)` declares its options (settings give the defaults
the environment asks for) and `run_*(args)` does the work with the same core as the app's tabs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from PIL import Image

from gan_demo.cli_io import (
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    for_each_image,
    input_files,
    make_store,
    model_entry,
    save_png,
    write_file,
)
from gan_demo.settings import Settings
from gan_demo.specs import SIBLINGS_ROLE, UPSCALER_ROLE

MODEL_HELP = "registry key (see `gan-demo models`) or run folder"


def models_arguments(parser: argparse.ArgumentParser, settings: Settings) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--task", help="only models of this task")
    parser.add_argument("--check", action="store_true", help="load every available model to find damaged weights")
    parser.add_argument(
        "--runs", type=Path, default=settings.runs_dir, help="also list the runs in this folder (GAN_DEMO_RUNS)"
    )


def run_models(args: argparse.Namespace) -> int:
    from gan_demo.hub import availability
    from gan_demo.registry import Registry

    registry = Registry()
    registry.add_runs_from(args.runs)  # complete runs only, as the app lists them
    rows = []
    for entry in registry.entries(args.task):
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


def sample_arguments(parser: argparse.ArgumentParser, settings: Settings) -> None:
    parser.add_argument("--model", default="faces-dcgan", help=MODEL_HELP)
    parser.add_argument("--n", type=int, default=16, help="number of images (1–64)")
    parser.add_argument("--seed", type=int, default=0, help="same seed, same images")
    parser.add_argument("--latent-scale", type=float, default=1.0, help="multiplies z: <1 safer, >1 wilder")
    parser.add_argument("--truncation", type=float, default=None, help="redraw latent values beyond ±T (BigGAN)")
    parser.add_argument(
        "--size", type=int, default=None, help="resize outputs to SIZE×SIZE px (default: the model's display size)"
    )
    parser.add_argument("--out", required=True, type=Path, help="output folder (one PNG per image)")
    parser.add_argument(
        "--walk-to", type=int, default=None, metavar="SEED", help="instead: a looping GIF from --seed to this seed"
    )
    parser.add_argument("--frames", type=int, default=24, help="frames of the walk (2–120)")
    parser.add_argument("--fps", type=float, default=12.0, help="frames per second of the walk")
    parser.add_argument("--interpolation", choices=("slerp", "linear"), default="slerp", help="path of the walk")


def run_sample(args: argparse.Namespace) -> int:
    from gan_demo.tasks.sample import animation_bytes, render_walk, sample_images

    store = make_store(args.device)
    entry = model_entry(store, args.model, "sample")
    size = args.size or entry.options.output_size
    _, generator = store.get(entry.key)
    upscaler = store.optional(entry, UPSCALER_ROLE)
    common = {"device": store.device, "latent_scale": args.latent_scale, "output_size": size, "upscaler": upscaler}
    if args.walk_to is not None:
        frames = render_walk(
            generator,
            args.seed,
            args.walk_to,
            args.frames,
            interpolation=args.interpolation,
            truncation=args.truncation,
            **common,
        )
        path = args.out / f"{entry.key}-walk-{args.seed}-{args.walk_to}.gif"
        write_file(path, animation_bytes(frames, fps=args.fps))
        print(path)
        return EXIT_OK
    images = sample_images(generator, n=args.n, seed=args.seed, truncation=args.truncation, **common)
    for index, image in enumerate(images):
        path = args.out / f"{entry.key}-seed{args.seed}-{index:02d}.png"
        save_png(image, path)
        print(path)
    return EXIT_OK


def _files_in_files_out(parser: argparse.ArgumentParser, *, model: str, inputs: str) -> None:
    """--model, --input and --out of a command that turns each input image into an output PNG."""
    parser.add_argument("--model", default=model, help=MODEL_HELP)
    parser.add_argument("--input", required=True, type=Path, help=inputs)
    parser.add_argument("--out", required=True, type=Path, help="output folder: OUT/<input stem>.png")


def translate_arguments(parser: argparse.ArgumentParser, settings: Settings) -> None:
    _files_in_files_out(parser, model="vintage", inputs="an image file or a folder of images")
    parser.add_argument(
        "--direction",
        choices=("a2b", "b2a"),
        default=None,
        help="which way a two-way model translates (default: its first)",
    )
    parser.add_argument("--max-side", type=int, default=512, help="downscale so the longer side ≤ this")
    parser.add_argument(
        "--compile",
        action="store_true",
        help="torch.compile the generator: ~1.25× faster per image on CPU after a ~30 s "
        "warm-up per image size; worth it for folders of same-sized images",
    )
    parser.add_argument(
        "--precision",
        default=settings.precision,
        help="auto (default): bf16 autocast on CPUs with native bf16 (about 2× faster, outputs within about "
        "one grey level on average), else fp32; or fp32, bf16",
    )


def run_translate(args: argparse.Namespace) -> int:
    from gan_demo.tasks import translate_image
    from gan_demo.tasks.translate import check_max_side

    check_max_side(args.max_side)  # a usage error, found before any file is read
    store = make_store(args.device, compile_networks=args.compile, precision=args.precision)
    entry = model_entry(store, args.model, "translate")
    role = args.direction or next(iter(entry.weights))
    if role not in entry.weights:
        raise CliError(
            f"{entry.key} only translates {', '.join(entry.weights)}; --direction {role} is not available", EXIT_USAGE
        )
    inputs = input_files(args.input)
    _, generator = store.get(entry.key, role)
    options = {"device": store.device, "max_side": args.max_side, "work_side": entry.options.work_side}
    return for_each_image(inputs, args.out, lambda image: {"": translate_image(generator, image, **options)})


def sketch_arguments(parser: argparse.ArgumentParser, settings: Settings) -> None:
    _files_in_files_out(parser, model="emoji-sketch", inputs="a sketch or photo file, or a folder of them")
    parser.add_argument(
        "--edges",
        choices=("canny", "xdog"),
        default=None,
        help="trace the inputs as photos first with this line extractor",
    )
    parser.add_argument("--threshold", type=float, default=0.5, help="edge threshold in [0, 1] (with --edges)")
    parser.add_argument("--stroke", type=int, default=3, help="traced line width in px (with --edges)")
    parser.add_argument("--save-sketch", action="store_true", help="also write OUT/<stem>-sketch.png")


def run_sketch(args: argparse.Namespace) -> int:
    from gan_demo.edges import check_edge_options, photo_to_sketch
    from gan_demo.tasks.sketch import sketch_options, sketch_to_image

    if args.edges:
        check_edge_options(threshold=args.threshold, stroke=args.stroke)  # usage, before any file is read
    store = make_store(args.device)
    entry = model_entry(store, args.model, "sketch")
    inputs = input_files(args.input)
    _, generator = store.get(entry.key)
    options = sketch_options(entry.options) | {"siblings": store.optional(entry, SIBLINGS_ROLE)}

    def convert(image: Image.Image) -> dict[str, Image.Image]:
        if args.edges:
            image = photo_to_sketch(image, method=args.edges, threshold=args.threshold, stroke=args.stroke)
        seen, result = sketch_to_image(generator, image, device=store.device, size=entry.image_size, **options)
        return {"": result, "-sketch": seen} if args.save_sketch else {"": result}

    return for_each_image(inputs, args.out, convert)
