"""Quality of the bundled flat ↔ modern emoji CycleGAN on the validation split, beside the identity baseline.

    python -m benchmarks.eval_cyclegan [--weights runs/emoji-flat-modern] [--previous OLD]

The model was trained unpaired, but the emoji sets are paired by name, so each output can be compared with
its true counterpart. For each direction (a2b: flat → modern, b2a: modern → flat), at the model's
resolution (the registry's image_size, 128 px):
  - mean L1 and SSIM in [0, 1] against the true counterpart, for the model and for the identity baseline
    (the input returned unchanged);
  - KID to the target style's validation images with EfficientNet-Lite0 features (×10³; not comparable
    to Inception-based KID), for the model's outputs and for the inputs; all images in one subset, so the
    spread is 0.
With --previous (a folder with a2b/ and/or b2a/ of an earlier model, e.g. from `git archive`), that model is
measured in the same run and shown side by side.
Writes benchmarks/results/cyclegan_validation.png (or --grid; rows: flat, [previous,] flat → modern, true modern,
modern, [previous,] modern → flat, true flat) and prints Markdown tables.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from benchmarks.common import OUT, l1_and_ssim, load, validation_names
from gan_demo.hub import load_network
from gan_demo.imaging import make_grid
from gan_demo.metrics import extract_features, kid
from gan_demo.models.efficientnet_lite import load_efficientnet_lite0
from gan_demo.registry import Registry
from gan_demo.tasks import translate_image

CPU = torch.device("cpu")
STYLES = {"a2b": ("fluent-flat", "fluent-modern"), "b2a": ("fluent-modern", "fluent-flat")}


def translate_all(generator, images: list) -> list:
    return [translate_image(generator, image, device=CPU, max_side=None) for image in images]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, default=None, help="a run folder with a2b/ and b2a/ (default: bundled)")
    parser.add_argument("--previous", type=Path, default=None, help="an earlier model's folder, compared side by side")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads")
    parser.add_argument("--grid", type=Path, default=OUT / "cyclegan_validation.png", help="where the grid goes")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    entry = Registry().get("emoji-flat-modern")
    size = entry.image_size
    names = validation_names("fluent-flat", also_in="fluent-modern")
    features = load_efficientnet_lite0(CPU)
    quality, style, grid_rows = [], [], []
    for role, (source_style, target_style) in STYLES.items():
        explicit = args.weights / role if args.weights else None
        generator = load_network(entry, role, device=CPU, explicit=explicit)
        inputs, truth = load(source_style, names, size), load(target_style, names, size)
        outputs = {}  # model → its outputs, in grid order
        if args.previous and (args.previous / role).is_dir():
            outputs["previous model"] = translate_all(
                load_network(entry, role, device=CPU, explicit=args.previous / role), inputs
            )
        outputs["CycleGAN (ours)"] = translate_all(generator, inputs)
        label = f"{source_style.split('-')[1]} → {target_style.split('-')[1]}"
        target_features = extract_features(truth, features, device=CPU)
        for method, images in {**outputs, "identity baseline": inputs}.items():
            quality.append((label, method, *l1_and_ssim(images, truth)))
            mean, std = kid(target_features, extract_features(images, features, device=CPU), subsets=50)
            style.append((label, method, mean * 1e3, std * 1e3))
        picks = list(range(0, len(names), max(1, len(names) // 10)))[:10]
        grid_rows += [[images[i] for i in picks] for images in (inputs, *outputs.values(), truth)]
    args.grid.parent.mkdir(parents=True, exist_ok=True)
    make_grid([image for row in grid_rows for image in row], columns=len(grid_rows[0])).save(args.grid)
    print(f"validation pairs: {len(names)} (fluent-flat ↔ fluent-modern)\n")
    print(f"| direction | method | L1 @{size} ↓ | SSIM @{size} ↑ |")
    print("|---|---|---|---|")
    for row in quality:
        print(f"| {row[0]} | {row[1]} | {row[2]:.4f} | {row[3]:.4f} |")
    print("\n| direction | images compared with the target style | KID ×10³ ↓ (± std) |\n|---|---|---|")
    for label, what, mean, std in style:
        print(f"| {label} | {what} | {mean:.2f} ± {std:.2f} |")


if __name__ == "__main__":
    main()
