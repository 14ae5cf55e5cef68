"""What a short CPU fine-tune buys: the bundled sketch model adapted to OpenMoji line art → colour.

    python -m benchmarks.finetune_gain [--recipe line-art|base] [--minutes 5] [--pairs 64] [--set KEY=VALUE ...]

Fine-tunes `emoji-sketch` (trained on Fluent line art) with `gan-demo finetune`'s code on N pairs spread
evenly over the OpenMoji training split (openmoji-black → openmoji-color, names in val_split.txt held out), then
scores on the OpenMoji validation pairs at 128 px, beside the base model and the line art left unchanged.
--recipe picks the training settings (RECIPES: the base's own, or the line-art recipe measured best here);
--set then overrides any tunable field (gan_demo.training.finetune.TUNABLE), e.g. `--set lr=1e-3`.
Writes benchmarks/results/finetune_openmoji.jpg (rows: line art, base, fine-tuned, truth) and
finetune_openmoji_losses.jpg (the loss curves); --tag NAME writes finetune_openmoji-NAME.* instead.
The sampler and CycleGAN families have sibling scripts: finetune_gain_gan.py, finetune_gain_cyclegan.py.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch

from benchmarks.common import (
    copy_images,
    finetune_bundled,
    finetune_parser,
    l1_and_ssim,
    load,
    save_finetune_pictures,
    spread,
    training_names,
    tuned_label,
    validation_names,
)
from gan_demo.hub import load_network
from gan_demo.imaging import make_grid
from gan_demo.registry import Registry
from gan_demo.tasks.sketch import sketch_to_image

CPU = torch.device("cpu")
SOURCE, TARGET = "openmoji-black", "openmoji-color"
RECIPES = {
    "base": {"batch_size": 4},  # the base's recorded config: L1 + 50·(1 − SSIM), its augmentations, lr 2e-4
    "line-art": {  # the user's pairs as they are, Adam's usual β₁ (there is no discriminator), a higher rate
        "batch_size": 4,
        "traced_fraction": 0.0,
        "affine": False,
        "vary_strokes": False,
        "beta1": 0.9,
        "lr": 1e-3,
        "lambda_ssim": 100.0,
    },
}


def colour(generator, sketches):
    return [sketch_to_image(generator, s, device=CPU, size=128, fit_to_ink=False)[1] for s in sketches]


def main() -> None:
    parser = finetune_parser(__doc__)
    parser.add_argument("--recipe", choices=tuple(RECIPES), default="line-art")
    parser.add_argument("--pairs", type=int, default=64)
    args = parser.parse_args()
    entry = Registry().get("emoji-sketch")
    with tempfile.TemporaryDirectory() as work:
        names = spread(training_names(SOURCE, TARGET), args.pairs)
        folders = {
            role: copy_images(s, names, Path(work) / role) for role, s in (("source", SOURCE), ("target", TARGET))
        }
        result = finetune_bundled(
            "emoji-sketch", "pix2pix", folders, args, work=Path(work), overrides=RECIPES[args.recipe]
        )
        tuned = load_network(entry, "generator", device=CPU, explicit=result.run / "generator")
    names = validation_names(SOURCE, also_in=TARGET)
    sketches, truth = load(SOURCE, names), load(TARGET, names)
    outputs = {
        "base: emoji-sketch (Fluent line art)": colour(load_network(entry, "generator", device=CPU), sketches),
        tuned_label(result): colour(tuned, sketches),
    }
    rows = {
        **{k: l1_and_ssim(v, truth) for k, v in outputs.items()},
        "the line art unchanged": l1_and_ssim(sketches, truth),
    }
    picks = list(range(0, len(names), max(1, len(names) // 10)))[:10]
    images = [sketches[i] for i in picks] + [o[i] for o in outputs.values() for i in picks] + [truth[i] for i in picks]
    grid = make_grid(images, columns=len(picks))
    save_finetune_pictures("finetune_openmoji", args, grid, result, "emoji-sketch → OpenMoji, fine-tune losses")
    print(f"fine-tune: {args.pairs} OpenMoji pairs, recipe {args.recipe} {RECIPES[args.recipe]}, --set {args.set}")
    print(f"{result.steps} steps in {result.seconds:.0f} s ({args.threads} thread)")
    print(f"validation pairs: {len(names)} ({SOURCE} → {TARGET}, 128 px)\n")
    print("| model | mean L1 ↓ | SSIM ↑ |\n|---|---|---|")
    for name, (l1, score) in rows.items():
        print(f"| {name} | {l1:.4f} | {score:.4f} |")


if __name__ == "__main__":
    main()
