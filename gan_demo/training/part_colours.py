"""Fit the learned part colours of a flat-parts generator on paired images.

    python -m gan_demo.training.part_colours --model RUN --role b2a --source DIR [DIR ...] --target DIR \\
        [--split val_split.txt] [--edge 10] [--steps 3000] --out NEW_RUN

A generator into a flat style whose output stage paints flat parts (`gan_demo/models/colour_regions.py`)
paints each part its median colour, which for a shaded part is darker and greyer than the flat drawing's. This
step keeps the generator's weights and fits only the stage's `PartColourHead`: for every part of the
generator's (unpainted) output on each training image, the head learns to move the part's median towards the
median of the true image under that part (paired by file name, as the emoji sets are), weighting each part by its
size. A CycleGAN trained unpaired thus uses the pairing in this step only; the model card says so.

NEW_RUN is RUN copied, with ROLE's generator re-saved (fp16, as bundled) with `part_colour: "learned"`, the given
edge, one-pixel edges and the fitted head. Its run.json records this command (`part_colours`) and says the same in
the training config, so that a fine-tune from NEW_RUN builds the generator with its head (which then trains along
with it). CycleGAN runs (role a2b or b2a) and StarGAN runs (role generator: its flat label, one-hot, is the
translation fitted, from every --source folder) have such stages; the other families do not.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

from gan_demo.entries import RUN_RECORD
from gan_demo.models import ARCHITECTURES, StarGANGenerator
from gan_demo.models.colour_regions import FlatParts, PartColourHead, part_statistics, region_medians
from gan_demo.training.data import load_folder, paired_names, read_split
from gan_demo.training.record import command_line, save_fitted_run

# per family: the record config's keys of the flat-parts stage of a role's generator (None: it has none)
STAGE_SUFFIXES = {"cyclegan": {"b2a": "_a", "a2b": "_b"}, "stargan": {"generator": ""}}


def into_flat(generator: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    """The generator's translation of [-1, 1] images into its flat style (a StarGAN: its flat label, one-hot)."""
    if isinstance(generator, StarGANGenerator):
        labels = torch.zeros(len(images), generator.c_dim)
        labels[:, generator.flat_domain] = 1
        return generator(images, labels)
    return generator(images)


def unpainted(generator: torch.nn.Module, images: torch.Tensor, batch_size: int = 16) -> torch.Tensor:
    """The generator's output on [N, 3, H, W] images in [0, 1], before its paint stage, in [0, 1]."""
    stage, generator.paint = generator.paint, None
    try:
        with torch.no_grad():
            outputs = [into_flat(generator, batch * 2 - 1) for batch in images.split(batch_size)]
    finally:
        generator.paint = stage
    return ((torch.cat(outputs) + 1) / 2).clamp(0, 1)


def fit_part_colours(
    stage: FlatParts, outputs: torch.Tensor, truth: torch.Tensor, *, steps: int, lr: float = 3e-3, seed: int = 0
) -> dict:
    """Fit a new `stage.head`, seeded, so that each part of `outputs` ([N, 3, H, W], [0, 1]) is painted the median
    of `truth` under it; full-batch Adam on the size-weighted L1 (summed over channels). Returns the figures."""
    if stage.head is None:
        raise ValueError('the stage paints no learned colour (part_colour is not "learned")')
    labels = stage.labels(outputs * 2 - 1).flatten(1)
    n_parts = int(labels.max()) + 1
    statistics, medians = part_statistics(outputs.flatten(2).transpose(1, 2), labels, n_parts)
    targets = region_medians(truth.flatten(2).transpose(1, 2), labels, n_parts)
    ones = torch.ones_like(labels, dtype=torch.float)
    counts = torch.zeros(labels.shape[0], n_parts, device=labels.device).scatter_add_(1, labels, ones)
    counts[:, 0] = 0  # boundary pixels are not a part
    kept = counts > 0
    statistics, medians, targets, weights = statistics[kept], medians[kept], targets[kept], counts[kept]
    with torch.random.fork_rng(devices=[]):  # a fresh head from the seed, so that a fit repeats exactly
        torch.manual_seed(seed)
        head = stage.head = PartColourHead(stage.head.net[0].out_features).to(outputs.device).train()
    optimiser = torch.optim.Adam(head.parameters(), lr=lr)

    def loss_now() -> torch.Tensor:
        error = (head.part_colours(statistics, medians) - targets).abs().sum(dim=-1)
        return (error * weights).sum() / weights.sum()

    with torch.no_grad():
        start = loss_now().item()
    for _ in range(steps):
        loss = loss_now()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
    head.eval()
    with torch.no_grad():
        end = loss_now().item()
    return {"parts": int(kept.sum()), "loss_median": round(start, 5), "loss_fitted": round(end, 5)}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gan_demo.training.part_colours", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--model", type=Path, required=True, help="run folder holding ROLE/ (a flat-parts generator)")
    parser.add_argument("--role", required=True, help="the generator to fit (e.g. b2a)")
    parser.add_argument(
        "--source", type=Path, nargs="+", required=True, help="folders of the generator's inputs (e.g. fluent-modern)"
    )
    parser.add_argument("--target", type=Path, required=True, help="their true counterparts, same file names")
    parser.add_argument("--split", type=Path, default=None, help="held-out STYLE/NAME list (val_split.txt)")
    parser.add_argument("--size", type=int, default=128, help="resolution the parts are cut at (px)")
    parser.add_argument("--edge", type=float, default=None, help="ΔE part edge (default: the generator's own)")
    parser.add_argument("--steps", type=int, default=3000, help="full-batch Adam steps")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's choice)")
    parser.add_argument("--out", type=Path, required=True, help="new run folder (must not exist)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(argv if argv is not None else sys.argv[1:])
    args = _parser().parse_args(argv)
    prog = "python -m gan_demo.training.part_colours"
    role_dir = args.model / args.role
    config_path = role_dir / "config.json"
    if not config_path.is_file():
        print(f"{prog}: {config_path} not found", file=sys.stderr)
        return 2
    if args.out.exists():
        print(f"{prog}: {args.out} exists; choose a new folder", file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    record = json.loads((args.model / RUN_RECORD).read_text())
    suffix = STAGE_SUFFIXES.get(record.get("family"), {}).get(args.role)
    if suffix is None:
        print(f"{prog}: only the a2b / b2a generators of a CycleGAN run and a StarGAN generator", file=sys.stderr)
        return 2
    other = args.model / {"b2a": "a2b", "a2b": "b2a"}.get(args.role, "-") / "config.json"
    if other.is_file() and json.loads(other.read_text()).get("flat_parts"):
        print(f"{prog}: {other.parent.name} paints flat parts too; one part colour serves both", file=sys.stderr)
        return 2
    architecture = record["model"].get("role_architectures", {}).get(args.role, record["model"]["architecture"])
    cls = ARCHITECTURES[architecture]
    config = json.loads(config_path.read_text())
    edge = args.edge if args.edge is not None else float(config.get("flat_parts") or 0)
    if not edge:
        print(f"{prog}: {args.role} has no flat-parts stage; give --edge", file=sys.stderr)
        return 2
    config.update(flat_colours=0, flat_parts=edge, part_colour="learned", thin_edges=True)
    generator = cls(**config)
    weights = role_dir / "model.safetensors"
    if not weights.is_file():
        print(f"{prog}: {weights} not found", file=sys.stderr)
        return 2
    missing, unexpected = generator.load_state_dict(load_file(weights), strict=False)  # all but the new head
    if unexpected or any(not key.startswith("paint.head.") for key in missing):
        print(f"{prog}: {role_dir} does not fit {architecture}: {unexpected or missing}", file=sys.stderr)
        return 2
    generator.eval()
    held_out = read_split(args.split)
    pairs = {source: paired_names(source, args.target, exclude=held_out) for source in args.source}
    if not all(pairs.values()):
        empty = next(source for source, names in pairs.items() if not names)
        print(f"{prog}: no training pairs (same file names) in {empty} and {args.target}", file=sys.stderr)
        return 2
    began = time.perf_counter()
    outputs, truth = [], []
    for source, names in pairs.items():
        outputs.append(unpainted(generator, load_folder(source, names, args.size).float() / 255))
        truth.append(load_folder(args.target, names, args.size).float() / 255)
    outputs, truth = torch.cat(outputs), torch.cat(truth)
    figures = fit_part_colours(generator.paint, outputs, truth, steps=args.steps, lr=args.lr, seed=args.seed)
    figures.update(
        pairs={source.name: len(names) for source, names in pairs.items()},
        edge=edge,
        steps=args.steps,
        seconds=round(time.perf_counter() - began, 1),
    )
    stage = {f"flat_colours{suffix}": 0, f"flat_parts{suffix}": edge, "part_colour": "learned", "thin_edges": True}
    record.setdefault("config", {}).update(stage)
    command = command_line(prog, argv)
    record["part_colours"] = {"role": args.role, "command": command, "config": stage, **figures}
    save_fitted_run(args.model, args.out, args.role, copy.deepcopy(generator).half(), record)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
