"""Add a learned ×2 upscaler to a sampler model that draws small, trained on its own training images.

    python -m gan_demo.training.upscaler --model RUN --images IMAGE_DIR [--split val_split.txt] \\
        [--steps 4000] [--blur 1.0] [--noise 0.03] [--seed 0] --out NEW_RUN

Each training image, reduced to the generator's size with a box filter (how the sampler's own training images
were made), is the input and the image at twice that size the target (`gan_demo/models/upscaler.py`). Inputs
are degraded first, a Gaussian blur of random width (σ up to --blur px) and a little Gaussian noise (σ up to
--noise), so the upscaler learns to clean up as it enlarges rather than to sharpen a sample's speckles.
Training: random 24 × 24 windows of the small images, batch 32, left-right flips, L1 to the target,
Adam(10⁻³) decaying linearly to 0 over the second half of the steps. The held-out images (--split) are not
read. A few minutes on a CPU.

NEW_RUN is RUN copied, with an `upscaler/` network (config.json + model.safetensors) and run.json's model block
listing it (`roles`, `role_architectures`); its `upscaler` block records this command and the fit's figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from gan_demo.models.upscaler import Upscaler
from gan_demo.specs import UPSCALER_ROLE
from gan_demo.tensors import uint8_to_signed
from gan_demo.training.data import image_names, load_folder, read_split
from gan_demo.training.record import command_line, save_added_stage, stage_base_record

PROG = "python -m gan_demo.training.upscaler"
WINDOW = 24  # side of the training windows, in small-image pixels
BATCH = 32
LR = 1e-3


def degrade(small: torch.Tensor, *, blur: float, noise: float, generator: torch.Generator) -> torch.Tensor:
    """Each image [N, 3, H, W] in [-1, 1] blurred by a Gaussian of random σ in [0, blur] px, plus Gaussian noise
    of random σ in [0, noise]."""
    n = len(small)
    if blur > 0:
        sigma = torch.rand(n, 1, generator=generator) * blur
        taps = torch.arange(-2, 3, dtype=small.dtype)
        kernel = torch.exp(-(taps**2) / (2 * sigma**2 + 1e-6))  # σ = 0: a delta
        kernel = (kernel / kernel.sum(1, keepdim=True)).repeat_interleave(3, dim=0)  # one per channel: [3N, 5]
        flat = F.pad(small.reshape(1, 3 * n, *small.shape[-2:]), (2, 2, 2, 2), mode="replicate")
        flat = F.conv2d(flat, kernel[:, None, :, None], groups=3 * n)
        small = F.conv2d(flat, kernel[:, None, None, :], groups=3 * n).reshape(small.shape)
    if noise > 0:
        small = (
            small + torch.randn(small.shape, generator=generator) * torch.rand(n, 1, 1, 1, generator=generator) * noise
        )
    return small


def fit(large: torch.Tensor, *, steps: int, blur: float, noise: float, seed: int, upscaler: Upscaler) -> list[float]:
    """Train `upscaler` on images [N, 3, 2S, 2S] in [-1, 1] (their box reductions are the inputs); the loss of
    every 100th step."""
    generator = torch.Generator().manual_seed(seed)
    small = F.avg_pool2d(large, 2)  # the box filter, exactly
    optimiser = torch.optim.Adam(upscaler.parameters(), lr=LR)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: min(1.0, 2 * (1 - step / steps)))
    side, losses = small.shape[-1], []
    upscaler.train()
    for step in range(steps):
        index = torch.randint(len(small), (BATCH,), generator=generator)
        y, x = torch.randint(0, side - WINDOW + 1, (2,), generator=generator).tolist()
        inputs = small[index, :, y : y + WINDOW, x : x + WINDOW]
        target = large[index, :, 2 * y : 2 * (y + WINDOW), 2 * x : 2 * (x + WINDOW)]
        if torch.rand(1, generator=generator).item() < 0.5:
            inputs, target = inputs.flip(-1), target.flip(-1)
        inputs = degrade(inputs, blur=blur, noise=noise, generator=generator)
        loss = (upscaler(inputs) - target).abs().mean()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 100 == 0:
            losses.append(round(loss.item() / 2, 5))  # L1 in [0, 1], as the benchmarks report it
    upscaler.eval()
    return losses


@torch.inference_mode()
def reduced_and_enlarged(upscaler: Upscaler, large: torch.Tensor) -> torch.Tensor:
    """Images [N, 3, 2S, 2S] in [-1, 1] reduced by the box filter (as the sampler's training images were) and
    enlarged again by `upscaler`, in batches: the best a generator of size S with this upscaler can show."""
    return torch.cat([upscaler(batch) for batch in F.avg_pool2d(large, 2).split(64)])


@torch.inference_mode()
def l1_against_bicubic(upscaler: Upscaler, large: torch.Tensor) -> tuple[float, float]:
    """Mean L1 in [0, 1] of bicubic enlargement and of the upscaler, on clean box reductions of `large`."""
    bicubic = F.interpolate(F.avg_pool2d(large, 2), scale_factor=2, mode="bicubic", align_corners=False).clamp(-1, 1)
    learned = reduced_and_enlarged(upscaler, large)
    return (bicubic - large).abs().mean().item() / 2, (learned - large).abs().mean().item() / 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="a sample run folder holding generator/")
    parser.add_argument("--images", type=Path, required=True, help="the sampler's training images")
    parser.add_argument("--split", type=Path, default=None, help="held-out STYLE/NAME list (val_split.txt)")
    parser.add_argument("--steps", type=int, default=4000, help="optimisation steps (batch 32)")
    parser.add_argument("--blur", type=float, default=1.0, help="largest σ (px) of the input blur; 0: none")
    parser.add_argument("--noise", type=float, default=0.03, help="largest σ of the input noise (in [-1, 1]); 0: none")
    parser.add_argument("--channels", type=int, default=48, help="the upscaler's feature width")
    parser.add_argument("--blocks", type=int, default=4, help="the upscaler's inner convolution layers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's choice)")
    parser.add_argument("--out", type=Path, required=True, help="new run folder (must not exist)")
    return parser


def _base_record(args: argparse.Namespace) -> dict:
    """The sampler's run.json; ValueError (the message to print) when these arguments cannot run."""
    record = stage_base_record(args.model, args.out, task="sample", what="a sampler (task 'sample')")
    if not args.images.is_dir():
        raise ValueError(f"{args.images} is not a folder of images")
    if args.steps < 1 or args.blur < 0 or args.noise < 0:
        raise ValueError("--steps must be ≥ 1 and --blur, --noise ≥ 0")
    return record


def main(argv: list[str] | None = None) -> int:
    argv = list(argv if argv is not None else sys.argv[1:])
    args = _parser().parse_args(argv)
    try:
        record = _base_record(args)
    except ValueError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    size = int(record["model"]["image_size"])
    names = image_names(args.images, exclude=read_split(args.split))
    if not names:
        print(f"{PROG}: no training images in {args.images}", file=sys.stderr)
        return 2
    began = time.perf_counter()
    torch.manual_seed(args.seed)  # the layers' initialisation
    upscaler = Upscaler(channels=args.channels, blocks=args.blocks)
    large = uint8_to_signed(load_folder(args.images, names, 2 * size))
    losses = fit(large, steps=args.steps, blur=args.blur, noise=args.noise, seed=args.seed, upscaler=upscaler)
    bicubic, learned = l1_against_bicubic(upscaler, large)
    figures = {
        "images": len(names),
        "size": [size, 2 * size],
        "training_l1_bicubic": round(bicubic, 5),
        "training_l1_upscaler": round(learned, 5),
        "losses_every_100_steps": losses,
        "seconds": round(time.perf_counter() - began, 1),
    }
    block = {"command": command_line(PROG, argv), **figures}
    save_added_stage(args.model, args.out, UPSCALER_ROLE, upscaler, record, architecture="upscaler", block=block)
    print(json.dumps({k: v for k, v in figures.items() if k != "losses_every_100_steps"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
