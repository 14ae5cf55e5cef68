"""Quality of the bundled sketch → emoji model on the validation split, beside two baselines.

    python -m benchmarks.eval_sketch [--weights runs/emoji-sketch/generator] [--previous OLD/generator] [--out DIR]

Mean L1 and SSIM in [0, 1] against the true colour emoji (fluent-modern), at 128 px, for
  - the model, fed the validation line art (fluent-high-contrast),
  - baseline "sketch": the line art itself,
  - baseline "mean": the per-pixel mean of the training colour images.
and, with --previous, an earlier generator in the same run (a side-by-side comparison). The model is also
measured on the same line art prepared as the app prepares a drawing (framed unless it already fills its canvas or
is at the model's size, thin strokes widened): what `gan-demo sketch` on a folder of the validation line art gives.
Writes benchmarks/results/sketch_validation.png (rows: sketch, [previous,] model, truth; with --previous also
sketch_validation_changed.png, the 12 emoji whose outputs differ most between the two) and prints a
Markdown table. Also runs the freehand drawings (examples/sketches/ and the browser-drawn
results/freehand/*-drawn.png) through the app's preprocessing (crop to the strokes, centre, widen thin
strokes) into benchmarks/results/sketch_freehand.png (rows: what the model saw, [previous,] model).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmarks.common import EMOJI, OUT, ROOT, l1_and_ssim, load, to_unit, validation_names
from gan_demo.entries import entry_from_run
from gan_demo.hub import load_network
from gan_demo.imaging import make_grid
from gan_demo.registry import Registry
from gan_demo.specs import SIBLINGS_ROLE
from gan_demo.tasks.sketch import sketch_options, sketch_to_image
from gan_demo.training.data import image_names, read_split


def mean_training_image(size: int = 128) -> Image.Image:
    names = image_names(EMOJI / "fluent-modern", exclude=read_split(EMOJI / "val_split.txt"))
    mean = to_unit(load("fluent-modern", names, size)).mean(0)
    return Image.fromarray((mean.permute(1, 2, 0).numpy() * 255).round().astype("uint8"))


@functools.cache
def networks(weights: Path | None) -> tuple:
    """(registry entry, generator, sibling bank or None) of the bundled emoji-sketch or of `weights`, loaded once
    for all the passes of a run (validation as it is, as drawn, the freehand drawings)."""
    cpu = torch.device("cpu")
    entry = Registry().get("emoji-sketch")
    if weights is not None and (weights.parent / "run.json").is_file():  # a run's own architecture (a candidate)
        entry = entry_from_run(weights.parent)
    generator = load_network(entry, "generator", device=cpu, explicit=weights)
    siblings = None  # a sibling-colour bank beside the generator (since v6)
    if SIBLINGS_ROLE in entry.weights:
        bank_folder = weights.parent / SIBLINGS_ROLE if weights is not None else None
        siblings = load_network(entry, SIBLINGS_ROLE, device=cpu, explicit=bank_folder)
    return entry, generator, siblings


def translate_all(
    weights: Path | None, sketches: list[Image.Image], *, as_drawn: bool = False
) -> list[tuple[Image.Image, Image.Image]]:
    """(what the model saw, its output) for each sketch, with the registry's emoji-sketch generator or `weights`.

    as_drawn prepares each sketch as the Sketch tab prepares a drawing; otherwise (validation line art,
    already framed like the training pairs) the sketch goes in as it is.
    """
    entry, generator, siblings = networks(weights)
    model_options = entry.options
    if not as_drawn:  # framed like the training pairs already; how the model colours stays the model's
        model_options = dataclasses.replace(model_options, frame_sketch=False, min_stroke=None)
    options = sketch_options(model_options)
    cpu = torch.device("cpu")
    return [sketch_to_image(generator, s, device=cpu, size=128, siblings=siblings, **options) for s in sketches]


def freehand_grid(weights: Path | None, previous: Path | None) -> Image.Image:
    """Rows: the drawings as the model sees them, [the previous model's output,] this model's output."""
    files = sorted((ROOT / "examples" / "sketches").glob("*.png")) + sorted((OUT / "freehand").glob("*-drawn.png"))
    drawings = [Image.open(f).convert("RGB") for f in files]
    ours = translate_all(weights, drawings, as_drawn=True)
    rows = [[seen for seen, _ in ours]]
    if previous:
        rows.append([output for _, output in translate_all(previous, drawings, as_drawn=True)])
    rows.append([output for _, output in ours])
    return make_grid([image for row in rows for image in row], columns=len(files))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, default=None, help="a save_pretrained folder (default: bundled)")
    parser.add_argument("--previous", type=Path, default=None, help="an earlier generator folder to compare with")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the two grids (default: benchmarks/results)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    names = validation_names("fluent-high-contrast", also_in="fluent-modern")
    sketches, truth = load("fluent-high-contrast", names), load("fluent-modern", names)
    outputs = [output for _, output in translate_all(args.weights, sketches)]
    previous = [output for _, output in translate_all(args.previous, sketches)] if args.previous else []
    mean = mean_training_image()
    rows = {"pix2pix (ours)": l1_and_ssim(outputs, truth)}
    as_drawn = [output for _, output in translate_all(args.weights, sketches, as_drawn=True)]
    rows["ours, prepared as the Sketch tab and gan-demo sketch prepare a drawing"] = l1_and_ssim(as_drawn, truth)
    if previous:
        rows["previous model"] = l1_and_ssim(previous, truth)
    rows["baseline: the sketch itself"] = l1_and_ssim(sketches, truth)
    rows["baseline: mean training image"] = l1_and_ssim([mean] * len(truth), truth)
    args.out.mkdir(parents=True, exist_ok=True)
    picks = list(range(0, len(names), max(1, len(names) // 12)))[:12]
    shown = [sketches, *([previous] if previous else []), outputs, truth]
    grid = make_grid([images[i] for images in shown for i in picks], columns=len(picks))
    grid.save(args.out / "sketch_validation.png")
    if previous:  # where the two models differ most (rows: sketch, previous, model, truth)
        pairs = zip(previous, outputs, strict=True)
        change = [float(np.abs(np.asarray(a, float) - np.asarray(b, float)).mean()) for a, b in pairs]
        most = sorted(np.argsort(change)[::-1][:12].tolist())
        grid = make_grid([images[i] for images in shown for i in most], columns=len(most))
        grid.save(args.out / "sketch_validation_changed.png")
    freehand_grid(args.weights, args.previous).save(args.out / "sketch_freehand.png")
    print(f"validation pairs: {len(names)} (fluent-high-contrast → fluent-modern, 128 px)\n")
    print("| method | mean L1 ↓ | SSIM ↑ |\n|---|---|---|")
    for name, (l1, score) in rows.items():
        print(f"| {name} | {l1:.4f} | {score:.4f} |")


if __name__ == "__main__":
    main()
