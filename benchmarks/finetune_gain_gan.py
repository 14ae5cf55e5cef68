"""What a short CPU fine-tune buys a sampler: the bundled `emoji-fluent` adapted to 100 OpenMoji colour emoji.

    python -m benchmarks.finetune_gain_gan [--minutes 5] [--images 100] [--threads 1] [--set KEY=VALUE ...]

`emoji-fluent` (FastGAN, 64 px, trained on shaded Fluent emoji) is fine-tuned with `gan-demo finetune`'s
code on N OpenMoji colour images spread evenly over the training split (names in val_split.txt held out), then
its samples are compared with the OpenMoji colour validation images at 128 px, beside the base model's
(settings: the Fine-tune tab's for 30–300 images, TAB_SETTINGS, then --set):
KID ×10³ (mean ± std over 50 subsets), FID, precision/recall (k = 3) on EfficientNet-Lite0 features
(offline; not comparable to Inception-based figures) and the feature-free SWD ×10³ (benchmarks.eval_sampler).
Reference rows: the N fine-tune images themselves (what a generator that only memorised them would score),
and the same number of other OpenMoji training images (real, unseen by the fine-tune).
Writes benchmarks/results/finetune_fluent_openmoji.jpg (the first 32 samples of the base, then the same
seeds after the fine-tune, then 16 of the fine-tune images) and finetune_fluent_openmoji_losses.jpg.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch

from benchmarks.common import (
    copy_images,
    finetune_bundled,
    finetune_parser,
    load,
    save_finetune_pictures,
    spread,
    to_unit,
    training_names,
    tuned_label,
    validation_names,
)
from benchmarks.eval_sampler import samples, scores
from gan_demo.hub import load_network
from gan_demo.imaging import make_grid
from gan_demo.metrics import extract_features
from gan_demo.models.efficientnet_lite import load_efficientnet_lite0
from gan_demo.optimise import prepare_for_inference
from gan_demo.registry import Registry

CPU = torch.device("cpu")
STYLE = "openmoji-color"
TAB_SETTINGS = {"batch_size": 8, "ema": 0.99}  # the Fine-tune tab's batch for 30–300 images and its EMA default


def main() -> None:
    parser = finetune_parser(__doc__)
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--n", type=int, default=1000, help="samples per generator")
    args = parser.parse_args()
    entry = Registry().get("emoji-fluent")
    train_names = training_names(STYLE)
    names = spread(train_names, args.images)
    others = spread(sorted(set(train_names) - set(names)), args.images)
    with tempfile.TemporaryDirectory() as work:
        folders = {"images": copy_images(STYLE, names, Path(work) / "images")}
        result = finetune_bundled("emoji-fluent", "gan", folders, args, work=Path(work), overrides=TAB_SETTINGS)
        tuned = load_network(entry, "generator", device=CPU, explicit=result.run / "generator")
    network = load_efficientnet_lite0(CPU)
    validation = load(STYLE, validation_names(STYLE))
    real = extract_features(validation, network, device=CPU), to_unit(validation)
    seen, unseen = load(STYLE, names), load(STYLE, others)
    generated = {
        "base: emoji-fluent (Fluent)": samples(
            prepare_for_inference(load_network(entry, "generator", device=CPU)), args.n
        ),
        tuned_label(result): samples(prepare_for_inference(tuned), args.n),
    }
    rows = {
        f"reference: the {len(seen)} fine-tune images": scores(real, seen, network),
        f"reference: {len(unseen)} other OpenMoji training images": scores(real, unseen, network),
        **{name: scores(real, images, network) for name, images in generated.items()},
    }
    grid = [image for images in generated.values() for image in images[:32]] + seen[:16]
    title = "emoji-fluent → OpenMoji, fine-tune losses"
    save_finetune_pictures("finetune_fluent_openmoji", args, make_grid(grid, columns=16), result, title)
    print(f"fine-tune: {len(names)} OpenMoji colour images, {TAB_SETTINGS}, --set {args.set}")
    print(f"{result.steps} steps in {result.seconds:.0f} s ({args.threads} thread)")
    print(f"validation images: {len(validation)} ({STYLE}, 128 px); samples: {args.n} per generator\n")
    print("| images compared with the validation split | KID ×10³ ↓ | FID ↓ | precision ↑ | recall ↑ | SWD ×10³ ↓ |")
    print("|---|---|---|---|---|---|")
    for name, (kid_mean, kid_std, fid_value, precision, recall, levels) in rows.items():
        print(
            f"| {name} | {kid_mean:.1f} ± {kid_std:.1f} | {fid_value:.1f} | {precision:.2f} | {recall:.2f} "
            f"| {sum(levels) / len(levels):.1f} |"
        )


if __name__ == "__main__":
    main()
