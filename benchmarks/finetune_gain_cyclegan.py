"""What a short CPU fine-tune buys a CycleGAN pair: `emoji-flat-modern` adapted to OpenMoji colour ↔ line art.

    python -m benchmarks.finetune_gain_cyclegan [--minutes 5] [--images 100] [--threads 1] [--set KEY=VALUE ...]

The bundled pair translates Fluent flat ↔ shaded emoji; neither OpenMoji style was in its data. Here it is
fine-tuned (unpaired, with `gan-demo finetune`'s code) with domain A = OpenMoji colour (in the place of
Fluent flat, so A's generator keeps its flat-colour output stage) and domain B = OpenMoji line art. The two
training sets are disjoint: 2N training names spread evenly over the split, alternately in colour and in
line art, so no emoji is seen in both domains. The two styles share their drawings, so each output on the
validation split can be scored against its true counterpart: L1 and SSIM, and KID ×10³ to the target
style's validation images (EfficientNet-Lite0 features), for the base pair, the fine-tuned pair and the
identity (the input unchanged).
Writes benchmarks/results/finetune_cyclegan_openmoji.jpg (rows: colour, base a2b, tuned a2b, true line art,
line art, base b2a, tuned b2a, true colour) and finetune_cyclegan_openmoji_losses.jpg.
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
from gan_demo.metrics import extract_features, kid
from gan_demo.models.efficientnet_lite import load_efficientnet_lite0
from gan_demo.registry import Registry
from gan_demo.tasks import translate_image

CPU = torch.device("cpu")
DOMAINS = {"a2b": ("openmoji-color", "openmoji-black"), "b2a": ("openmoji-black", "openmoji-color")}


def translate_all(generator, images):
    return [translate_image(generator, image, device=CPU, max_side=None) for image in images]


def main() -> None:
    parser = finetune_parser(__doc__)
    parser.add_argument("--images", type=int, default=100, help="training images per domain")
    args = parser.parse_args()
    entry = Registry().get("emoji-flat-modern")
    picks = spread(training_names(*DOMAINS["a2b"]), 2 * args.images)
    with tempfile.TemporaryDirectory() as work:
        folders = {
            "domain_a": copy_images(DOMAINS["a2b"][0], picks[0::2], Path(work) / "colour"),
            "domain_b": copy_images(DOMAINS["a2b"][1], picks[1::2], Path(work) / "line-art"),
        }
        result = finetune_bundled("emoji-flat-modern", "cyclegan", folders, args, work=Path(work))
        tuned = {role: load_network(entry, role, device=CPU, explicit=result.run / role) for role in DOMAINS}
    network = load_efficientnet_lite0(CPU)
    validation = validation_names(DOMAINS["a2b"][0], also_in=DOMAINS["a2b"][1])
    rows, grid = [], []
    for role, (source, target) in DOMAINS.items():
        inputs, truth = load(source, validation), load(target, validation)
        target_features = extract_features(truth, network, device=CPU)
        outputs = {
            "base (Fluent flat ↔ modern)": translate_all(load_network(entry, role, device=CPU), inputs),
            tuned_label(result): translate_all(tuned[role], inputs),
            "identity (input unchanged)": inputs,
        }
        label = f"{source.split('-')[1]} → {target.split('-')[1]}"
        for method, images in outputs.items():
            kid_mean, _ = kid(target_features, extract_features(images, network, device=CPU), subsets=50)
            rows.append((label, method, *l1_and_ssim(images, truth), kid_mean * 1e3))
        picks = list(range(0, len(validation), max(1, len(validation) // 10)))[:10]
        grid += [
            image for images in (inputs, *list(outputs.values())[:2], truth) for image in (images[i] for i in picks)
        ]
    title = "emoji-flat-modern → OpenMoji, fine-tune losses"
    save_finetune_pictures("finetune_cyclegan_openmoji", args, make_grid(grid, columns=10), result, title)
    print(f"fine-tune: {args.images} colour + {args.images} other line-art OpenMoji images, --set {args.set}")
    print(f"{result.steps} steps in {result.seconds:.0f} s ({args.threads} thread)")
    print(f"validation pairs: {len(validation)} (openmoji-color ↔ openmoji-black, 128 px)\n")
    print("| direction | model | L1 ↓ | SSIM ↑ | KID ×10³ to the target style ↓ |\n|---|---|---|---|---|")
    for label, method, l1, score, kid_value in rows:
        print(f"| {label} | {method} | {l1:.4f} | {score:.4f} | {kid_value:.1f} |")


if __name__ == "__main__":
    main()
