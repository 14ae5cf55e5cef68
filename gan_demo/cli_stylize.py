"""`gan-demo stylize`: neural style transfer from the command line, with a progress line on stderr.

Same core and the same ranges as the app's Style transfer tab (gan_demo.tasks.stylize), which also checks
the option values, so that `gan-demo --help` does not have to import torch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gan_demo.cli_io import EXIT_OK, existing_file, make_store, save_png
from gan_demo.settings import Settings

HELP = "repaint a photo in the style of other images (Gatys et al.)"


def add_arguments(stylize: argparse.ArgumentParser, settings: Settings) -> None:
    stylize.add_argument("--content", required=True, type=Path, help="the photo to repaint")
    stylize.add_argument(
        "--style",
        required=True,
        action="append",
        metavar="IMG[:WEIGHT]",
        help="a style image, optionally with its weight in the blend (default 1); repeat for several",
    )
    stylize.add_argument("--content-weight", type=float, default=1.0, help="keeps the photo's shapes (default 1)")
    stylize.add_argument("--style-weight", type=float, default=10.0, help="imposes the style's textures (default 10)")
    stylize.add_argument("--tv-weight", type=float, default=10.0, help="smoothness: removes speckle (default 10)")
    stylize.add_argument(
        "--layer-weights", default="1,1,1,1,1", metavar="W1,...", help="one weight per style layer, shallow to deep"
    )
    stylize.add_argument("--preserve-colour", default=None, help="keep the photo's colours: luminance or histogram")
    stylize.add_argument("--steps", type=int, default=100, help="loss + gradient evaluations (1–2000, default 100)")
    stylize.add_argument("--size", type=int, default=256, help="long side of the output in px (64–1024, default 256)")
    stylize.add_argument("--network", default="effnet-lite0", help="effnet-lite0 (offline, default) or vgg19 (Hub)")
    stylize.add_argument("--optimiser", default="lbfgs", help="lbfgs (default) or adam")
    stylize.add_argument("--init", default="content", help="start from: content (default), style or noise")
    stylize.add_argument("--no-coarse-to-fine", action="store_true", help="optimise at the full size from the start")
    stylize.add_argument("--seed", type=int, default=0, help="noise of --init noise")
    stylize.add_argument("--out", required=True, type=Path, help="output PNG file")


def parse_style(value: str) -> tuple[Path, float]:
    """ "path" or "path:weight"; a colon followed by something other than a number is part of the path."""
    path, _, weight = value.rpartition(":")
    if path:
        try:
            return Path(path), float(weight)
        except ValueError:
            pass
    return Path(value), 1.0


def parse_layer_weights(value: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in value.split(","))
    except ValueError:
        raise ValueError(f"--layer-weights must be numbers separated by commas, got {value!r}") from None


def run(args: argparse.Namespace) -> int:
    """Load the inputs (before the network), stylize with a progress line, write the PNG and print its path."""
    from gan_demo.imaging import load_image
    from gan_demo.tasks.style_losses import FeatureLayers, LossWeights
    from gan_demo.tasks.stylize import StyleSettings, check_settings, stylize

    store = make_store(args.device)
    weights = LossWeights(
        content=args.content_weight,
        style=args.style_weight,
        tv=args.tv_weight,
        layers=parse_layer_weights(args.layer_weights),
    )
    settings = StyleSettings(
        weights=weights,
        steps=args.steps,
        size=args.size,
        optimiser=args.optimiser,
        init=args.init,
        preserve_colour=args.preserve_colour or "none",
        coarse_to_fine=not args.no_coarse_to_fine,
        seed=args.seed,
    )
    content = load_image(existing_file(args.content), name=str(args.content))
    styles = [(path, weight) for path, weight in map(parse_style, args.style)]
    images = [(load_image(existing_file(path), name=str(path)), weight) for path, weight in styles]
    entry = store.registry.get(args.network, "stylize")
    layers = FeatureLayers.from_options(entry.options)
    check_settings(settings, [weight for _, weight in images], len(layers.style))  # before the network loads
    _, network = store.get(entry.key)
    result = stylize(
        network, content, images, settings, layers=layers, device=store.device, on_step=lambda step, _: _progress(step)
    )
    print(file=sys.stderr)
    save_png(result, args.out)
    print(args.out)
    return EXIT_OK


def _progress(step) -> None:
    width = 30
    done = round(width * step.step / step.total)
    bar = "#" * done + "." * (width - done)
    where = f"{step.step}/{step.total} at {step.size[0]}×{step.size[1]} px"
    print(f"\rstylize [{bar}] {where}, loss {step.terms['total']:.3g}", end="", file=sys.stderr, flush=True)
