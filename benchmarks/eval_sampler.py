"""Quality of unconditional emoji generators against the held-out Fluent "modern" emoji.

    python -m benchmarks.eval_sampler [--run fastgan=runs/emoji-fluent --run dcgan=runs/emoji-dcgan] [--n 1000]
        [--no-references] [--truncation T]

With no --run, the bundled `emoji-fluent` generator is measured. For each generator, N samples (seeds
0 … N−1 / 16 in batches of 16; no truncation unless --truncation T) are compared with the validation images
of fluent-modern (val_split.txt; never trained on), at 128 px:
  - KID ×10³ (mean ± std over 50 subsets), FID, precision and recall (k = 3), all on EfficientNet-Lite0
    features (ImageNet, offline). These are NOT comparable to Inception-based figures in papers.
  - SWD ×10³: ProGAN's sliced Wasserstein distance on 7×7 patches of a Laplacian pyramid (128, 64, 32,
    16 px; mean of the levels, and each level in a second table). Feature-free, so a generator trained
    against EfficientNet-Lite0 features (a Projected GAN discriminator) cannot flatter it.
Reference points in the same table:
  - the real training images vs the validation images (the best a generator of this data can do), and the
    same training images reduced to 64 px and enlarged again (the best a 64 px generator can do);
Writes benchmarks/results/<name>_samples.png (a grid of 64 samples) for each generator.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import torch
from PIL import Image

from benchmarks.common import EMOJI, OUT, load, to_unit, validation_names
from gan_demo.entries import entry_from_run
from gan_demo.hub import load_network
from gan_demo.imaging import make_grid
from gan_demo.metrics import extract_features, fid, kid, precision_recall, swd
from gan_demo.models.efficientnet_lite import load_efficientnet_lite0
from gan_demo.optimise import prepare_for_inference
from gan_demo.registry import Registry
from gan_demo.specs import UPSCALER_ROLE
from gan_demo.tasks.sample import latent_vectors, render_latents
from gan_demo.tensors import from_signed_unit
from gan_demo.training.data import image_names, read_split
from gan_demo.training.upscaler import reduced_and_enlarged

CPU = torch.device("cpu")
STYLE = "fluent-modern"


def samples(
    generator: torch.nn.Module, n: int, truncation: float | None = None, upscaler: torch.nn.Module | None = None
) -> list[Image.Image]:
    """n images at 128 px: 16 per seed, seeds 0, 1, 2, … (latents cut at ±truncation, if given), enlarged as
    the Sample tab enlarges them (the model's upscaler if it has one, else bicubic)."""
    seeds = range((n + 15) // 16)
    z = torch.cat([latent_vectors(generator.latent_dim, 16, seed, truncation=truncation) for seed in seeds])[:n]
    return render_latents(generator, z, device=CPU, output_size=128, upscaler=upscaler)


def upscaler_of(entry, folder: Path | None) -> torch.nn.Module | None:
    """The learned ×2 upscaler of the bundled model (folder None) or of a run folder, or None: bicubic."""
    if folder is None:
        return load_network(entry, UPSCALER_ROLE, device=CPU) if UPSCALER_ROLE in entry.weights else None
    if not (folder / UPSCALER_ROLE).is_dir():
        return None
    return load_network(entry_from_run(folder), UPSCALER_ROLE, device=CPU, explicit=folder / UPSCALER_ROLE)


def scores(real: tuple[torch.Tensor, torch.Tensor], images: list[Image.Image], network) -> tuple:
    """KID ×10³ mean and std, FID, precision, recall, and SWD ×10³ per pyramid level, against `real`."""
    real_features, real_pixels = real
    features = extract_features(images, network, device=CPU)
    mean, std = kid(real_features, features, subsets=50)
    precision, recall = precision_recall(real_features, features, k=3)
    return mean * 1e3, std * 1e3, fid(real_features, features), precision, recall, swd(real_pixels, to_unit(images))


def reference_rows(
    real: tuple[torch.Tensor, torch.Tensor], network, n: int, upscaler: torch.nn.Module | None
) -> list[tuple]:
    """The real training images (the best a generator of this data can do) and the same via 64 px, enlarged
    by bicubic interpolation and, given one, by `upscaler` (the best a 64 px generator with it can do)."""
    held_out = read_split(EMOJI / "val_split.txt")
    train_names = image_names(EMOJI / STYLE, exclude=held_out)
    step = max(1, len(train_names) // n)
    train = load(STYLE, train_names[::step][:n], 128)
    learned = []
    if upscaler is not None:
        enlarged = reduced_and_enlarged(upscaler, to_unit(train) * 2 - 1)
        learned = [
            (
                "real training images via 64 px, learned upscaler",
                len(train),
                *scores(real, from_signed_unit(enlarged), network),
            )
        ]
    return [
        ("real training images, 128 px", len(train), *scores(real, train, network)),
        (
            "real training images via 64 px",
            len(train),
            *scores(
                real,
                [
                    im.resize((64, 64), Image.Resampling.BOX).resize((128, 128), Image.Resampling.BICUBIC)
                    for im in train
                ],
                network,
            ),
        ),
        *learned,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", action="append", default=[], help="NAME=FOLDER: a training run with generator/")
    parser.add_argument("--n", type=int, default=1000, help="samples per generator")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--no-references", action="store_true", help="skip the two real-image rows (screening many checkpoints)"
    )
    parser.add_argument("--truncation", type=float, default=None, help="redraw latent values beyond ±T (BigGAN)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    entry = Registry().get("emoji-fluent")
    runs = dict(item.split("=", 1) for item in args.run) or {"emoji-fluent (bundled)": None}

    network = load_efficientnet_lite0(CPU)
    validation = load(STYLE, validation_names(STYLE), 128)
    real = extract_features(validation, network, device=CPU), to_unit(validation)
    upscalers = {name: upscaler_of(entry, Path(folder) if folder else None) for name, folder in runs.items()}
    first = next(iter(upscalers.values()))  # the references enlarge with the first model's upscaler, if it has one
    rows = [] if args.no_references else reference_rows(real, network, args.n, first)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, folder in runs.items():
        run_entry, explicit = entry, None
        if folder:  # the run's own record says which family it is
            family = json.loads((Path(folder) / "run.json").read_text())["config"]["architecture"]
            run_entry = dataclasses.replace(entry, architecture=f"{family}_generator", config={})
            explicit = Path(folder) / "generator"
        generator = prepare_for_inference(load_network(run_entry, "generator", device=CPU, explicit=explicit))
        images = samples(generator, args.n, args.truncation, upscalers[name])
        rows.append((name, len(images), *scores(real, images, network)))
        slug = name.split(" ")[0].replace("/", "-")
        make_grid(images[:64], columns=8).save(OUT / f"{slug}_samples.png")
    print(f"validation images: {len(validation)} ({STYLE}); features: EfficientNet-Lite0 (ImageNet), 128 px\n")
    print(
        "| images compared with the validation split | n | KID ×10³ ↓ | FID ↓ | precision ↑ | recall ↑ | SWD ×10³ ↓ |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, n, kid_mean, kid_std, fid_value, precision, recall, levels in rows:
        print(
            f"| {name} | {n} | {kid_mean:.1f} ± {kid_std:.1f} | {fid_value:.1f} | {precision:.2f} | {recall:.2f} "
            f"| {sum(levels) / len(levels):.1f} |"
        )
    print("\nSWD ×10³ per Laplacian-pyramid level (7×7 patches)\n")
    print("| images | 128 px | 64 px | 32 px | 16 px |\n|---|---|---|---|---|")
    for name, *_, levels in rows:
        print(f"| {name} | " + " | ".join(f"{value:.1f}" for value in levels) + " |")


if __name__ == "__main__":
    main()
