"""Add a sibling-colour bank to a sketch model and fit its blend on the training pairs.

    python -m gan_demo.training.siblings --model RUN --source LINE_ART_DIR --target COLOUR_DIR \\
        [--split val_split.txt] [--quality 95] --out NEW_RUN

The bank (`gan_demo/models/sibling_colours.py`) holds every training pair: the line art as a 32 × 32 grey key
and the colour image as JPEG bytes. A new drawing that nearly repeats a training drawing gets that emoji's
colours blended into the generator's output where the two drawings agree. The blend's numbers (reach,
strength, local scale, window) are chosen on the training pairs themselves by leave-one-out: each training
drawing is coloured by the generator, shown its nearest *other* training drawing, and the setting with the
lowest mean L1 to the true colour image over all pairs wins (a grid; the figures are recorded). The
generator has seen these drawings, so its outputs on them are better than on new ones and the fit trusts the
siblings less than it could: a conservative choice.

NEW_RUN is RUN copied, with a `siblings/` network (config.json + model.safetensors) and run.json's model block
listing it (`roles`, `role_architectures`); its `siblings` block records this command and the fit.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import sys
import time
from pathlib import Path

import torch
from PIL import Image

from gan_demo.entries import entry_from_run
from gan_demo.hub import load_network
from gan_demo.metrics import ssim
from gan_demo.models.sibling_colours import SiblingColours
from gan_demo.specs import SIBLINGS_ROLE
from gan_demo.tensors import uint8_to_signed
from gan_demo.training.data import load_folder, paired_names, read_split
from gan_demo.training.record import command_line, save_added_stage, stage_base_record

GRID = {  # the blend settings tried (cutoff stays at the module's default)
    "reach": (0.02, 0.04, 0.06, 0.1, 0.15),
    "strength": (0.5, 0.7, 0.8, 0.9, 1.0),
    "local_scale": (0.03, 0.05, 0.1),
    "window": (3, 7, 15),
}


@torch.inference_mode()
def generated(run: Path, line_art: torch.Tensor, *, batch_size: int = 16) -> torch.Tensor:
    """The run's generator on uint8 line art [N, 3, H, W] already framed like the training pairs (as the
    validation benchmark feeds it), with the model's mirror averaging if its options ask for it; the outputs
    are quantised to 8 bits as the app shows them, and returned in [-1, 1]."""
    entry = entry_from_run(run)
    generator = load_network(entry, "generator", device=torch.device("cpu"), explicit=run / "generator").float()
    mirror = getattr(entry.options, "mirror_average", False)
    outputs = []
    for batch in line_art.split(batch_size):
        batch = uint8_to_signed(batch)
        output = generator(batch)
        if mirror:
            output = (output + generator(batch.flip(-1)).flip(-1)) / 2
        outputs.append(((output.clamp(-1, 1) + 1) * 127.5).round() / 127.5 - 1)
    return torch.cat(outputs)


def jpeg_bytes(images: torch.Tensor, quality: int) -> list[torch.Tensor]:
    """uint8 images [N, 3, H, W] → their JPEG encodings (1-D uint8 tensors)."""
    encoded = []
    for image in images:
        buffer = io.BytesIO()
        Image.fromarray(image.permute(1, 2, 0).numpy()).save(buffer, format="JPEG", quality=quality)
        encoded.append(torch.frombuffer(bytearray(buffer.getvalue()), dtype=torch.uint8))
    return encoded


def fit_blend(
    bank: SiblingColours, line_art: torch.Tensor, outputs: torch.Tensor, truth: torch.Tensor
) -> tuple[dict, list[dict]]:
    """Leave-one-out over the bank's own pairs: (the best setting, every setting's mean L1), all in [-1, 1]
    tensors except the L1, which is in [0, 1] like the benchmarks'."""
    distance, index = bank.nearest(line_art, exclude=torch.arange(len(line_art)))
    near = torch.nonzero(distance < bank.cutoff).flatten()
    siblings = torch.cat([bank.colour_image(int(index[n]), tuple(line_art.shape[-2:])) for n in near])

    def blended(reach, strength, local_scale, window) -> torch.Tensor:
        bank.reach, bank.strength, bank.local_scale, bank.window = reach, strength, local_scale, window
        weight = bank.weights(line_art[near], distance[near], index[near])
        result = outputs.clone()
        result[near] = weight * siblings + (1 - weight) * outputs[near]
        return result

    scores = []
    for setting in itertools.product(*GRID.values()):
        l1 = ((blended(*setting) - truth).abs().mean() / 2).item()
        scores.append({**dict(zip(GRID, setting, strict=True)), "l1": l1})
    best = min(scores, key=lambda row: row["l1"])
    best["ssim"] = ssim((blended(*(best[k] for k in GRID)) + 1) / 2, (truth + 1) / 2).mean().item()
    return best, scores


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gan_demo.training.siblings", description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="a sketch run folder holding generator/")
    parser.add_argument("--source", type=Path, required=True, help="the training line art (e.g. fluent-high-contrast)")
    parser.add_argument("--target", type=Path, required=True, help="their colour images, same file names")
    parser.add_argument("--split", type=Path, default=None, help="held-out STYLE/NAME list (val_split.txt)")
    parser.add_argument("--size", type=int, default=128, help="resolution of the bank's colour images (px)")
    parser.add_argument("--quality", type=int, default=95, help="JPEG quality of the colour images")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's choice)")
    parser.add_argument("--out", type=Path, required=True, help="new run folder (must not exist)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(argv if argv is not None else sys.argv[1:])
    args = _parser().parse_args(argv)
    prog = "python -m gan_demo.training.siblings"
    try:
        record = stage_base_record(args.model, args.out, task="sketch", what="a sketch model")
    except ValueError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 2
    if not 1 <= args.quality <= 100:
        print(f"{prog}: --quality must be 1 … 100", file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    held_out = read_split(args.split)
    names = paired_names(args.source, args.target, exclude=held_out)
    if len(names) < 2:
        where = f"{args.source} and {args.target}"
        print(f"{prog}: fewer than two training pairs (same file names) in {where}", file=sys.stderr)
        return 2
    began = time.perf_counter()
    line_art = load_folder(args.source, names, args.size)
    colour = load_folder(args.target, names, args.size)
    art, truth, jpegs = uint8_to_signed(line_art), uint8_to_signed(colour), jpeg_bytes(colour, args.quality)
    bank = SiblingColours()
    bank.fill(art, jpegs)
    outputs = generated(args.model, line_art)
    best, scores = fit_blend(bank, art, outputs, truth)
    bank = SiblingColours(**{k: best[k] for k in GRID})
    bank.fill(art, jpegs)
    with_siblings = bank(art, outputs)  # in-sample (each pair finds itself): a check
    figures = {
        "pairs": len(names),
        "quality": args.quality,
        "bank_bytes": int(bank.jpeg_bytes.numel() + bank.keys.numel()),
        "leave_one_out_l1_without": round(((outputs - truth).abs().mean() / 2).item(), 5),
        "leave_one_out_l1_with": round(best["l1"], 5),
        "leave_one_out_ssim_without": round(ssim((outputs + 1) / 2, (truth + 1) / 2).mean().item(), 5),
        "leave_one_out_ssim_with": round(best["ssim"], 5),
        "in_sample_l1": round(((with_siblings - truth).abs().mean() / 2).item(), 5),
        "chosen": {k: best[k] for k in GRID},
        "grid": scores,
        "seconds": round(time.perf_counter() - began, 1),
    }
    block = {"command": command_line(prog, argv), **figures}
    save_added_stage(args.model, args.out, SIBLINGS_ROLE, bank, record, architecture="sibling_colours", block=block)
    print(json.dumps({k: v for k, v in figures.items() if k != "grid"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
