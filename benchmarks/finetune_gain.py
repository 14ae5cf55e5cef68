"""What a short CPU fine-tune buys: the bundled sketch model adapted to OpenMoji line art → colour.

    python -m benchmarks.finetune_gain [--minutes 5] [--pairs 64] [--threads 1]

Fine-tunes `emoji-sketch` (trained on Fluent line art) with `gan-demo finetune`'s code on the first N pairs
of the OpenMoji training split (openmoji-black → openmoji-color, names in val_split.txt held out), then
scores on the OpenMoji validation pairs at 128 px, beside the base model and the line art left unchanged.
Writes benchmarks/results/finetune_openmoji.png (rows: line art, base, fine-tuned, truth).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.common import EMOJI, OUT, l1_and_ssim, load, validation_names
from gan_demo.hub import CHECKPOINTS_DIR, load_network
from gan_demo.imaging import make_grid
from gan_demo.registry import Registry
from gan_demo.tasks.sketch import sketch_to_image
from gan_demo.training.data import image_names, read_split
from gan_demo.training.finetune import FineTuneSpec, run_finetune

CPU = torch.device("cpu")


def training_pairs(folder: Path, count: int) -> dict[str, Path]:
    """The first `count` OpenMoji training pairs, copied into source/ and target/ under `folder`."""
    held_out = read_split(EMOJI / "val_split.txt")
    names = sorted(
        set(image_names(EMOJI / "openmoji-black", exclude=held_out))
        & set(image_names(EMOJI / "openmoji-color", exclude=held_out))
    )[:count]
    for role, style in (("source", "openmoji-black"), ("target", "openmoji-color")):
        (folder / role).mkdir(parents=True)
        for name in names:
            shutil.copy(EMOJI / style / f"{name}.png", folder / role / f"{name}.png")
    return {"source": folder / "source", "target": folder / "target"}


def colour(generator, sketches):
    return [sketch_to_image(generator, s, device=CPU, size=128, fit_to_ink=False)[1] for s in sketches]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--pairs", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    entry = Registry().get("emoji-sketch")
    base = (CHECKPOINTS_DIR / entry.weights["generator"].bundled).parent
    with tempfile.TemporaryDirectory() as work:
        folders = training_pairs(Path(work) / "data", args.pairs)
        spec = FineTuneSpec(
            family="pix2pix",
            folders=folders,
            out=Path(work) / "runs" / "openmoji-sketch",
            steps=100_000,
            base=base,
            minutes=args.minutes,
            overrides={"batch_size": 4},
            preview_every=10**9,
        )
        started = time.perf_counter()
        run = run_finetune(spec, device=CPU)
        seconds = time.perf_counter() - started
        tuned = load_network(entry, "generator", device=CPU, explicit=run / "generator")
        steps = json.loads((run / "run.json").read_text())["steps"]
    names = validation_names("openmoji-black", also_in="openmoji-color")
    sketches, truth = load("openmoji-black", names), load("openmoji-color", names)
    base_net = load_network(entry, "generator", device=CPU)
    outputs = {
        "base: emoji-sketch (Fluent line art)": colour(base_net, sketches),
        "fine-tuned": colour(tuned, sketches),
    }
    rows = {
        **{k: l1_and_ssim(v, truth) for k, v in outputs.items()},
        "the line art unchanged": l1_and_ssim(sketches, truth),
    }
    picks = list(range(0, len(names), max(1, len(names) // 10)))[:10]
    images = [sketches[i] for i in picks] + [o[i] for o in outputs.values() for i in picks] + [truth[i] for i in picks]
    OUT.mkdir(parents=True, exist_ok=True)
    make_grid(images, columns=len(picks)).save(OUT / "finetune_openmoji.png")
    print(
        f"fine-tune: {args.pairs} OpenMoji pairs, {steps} steps of batch 4 in {seconds:.0f} s ({args.threads} thread)"
    )
    print(f"validation pairs: {len(names)} (openmoji-black → openmoji-color, 128 px)\n")
    print("| model | mean L1 ↓ | SSIM ↑ |\n|---|---|---|")
    for name, (l1, score) in rows.items():
        print(f"| {name} | {l1:.4f} | {score:.4f} |")


if __name__ == "__main__":
    main()
