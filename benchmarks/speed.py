"""Inference speed of the image-to-image generators on this machine, side by side in one run.

    python -m benchmarks.speed [--repeats 10] [--threads 2]

For the CycleGAN ResNet-9 generator and the pix2pix unet_256 generator at 256×256, batch 1:
  - reference: plain eager fp32 PyTorch, NCHW, under no_grad;
  - ours, default: what the app runs (`prepare_for_inference`, inference_mode);
  - ours, --compile: `prepare_for_inference(compile=True)` (torch.compile, dynamic shapes), after warm-up;
  - channels-last, an alternative that was tried and measured.
Also the machine's measured fp32 matmul peak (2048² GEMM) and each network's GFLOP/s against it.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from gan_demo.models import ResnetGenerator, UnetGenerator
from gan_demo.tasks.optimise import prepare_for_inference


def timed(fn, x, repeats: int) -> float:
    """Median wall-clock milliseconds of fn(x) after two warm-up calls."""
    for _ in range(2):
        fn(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(x)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def matmul_peak_gflops(size: int = 2048, repeats: int = 10) -> float:
    a, b = torch.randn(size, size), torch.randn(size, size)
    ms = timed(lambda _: a @ b, None, repeats)
    return 2 * size**3 / (ms / 1e3) / 1e9


def flops(module: torch.nn.Module, x: torch.Tensor) -> float:
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module(x)
    return counter.get_total_flops()


def variants(module: torch.nn.Module) -> dict[str, callable]:
    def eager(x):
        with torch.no_grad():
            return module(x)

    ours = prepare_for_inference(copy.deepcopy(module))  # it works in place; the reference stays untouched
    compiled = prepare_for_inference(copy.deepcopy(module), compile=True)

    def our_path(x):
        with torch.inference_mode():
            return ours(x)

    def our_compiled(x):
        with torch.inference_mode():
            return compiled(x)

    channels_last = copy.deepcopy(module).to(memory_format=torch.channels_last)

    def cl(x):
        with torch.inference_mode():
            return channels_last(x.contiguous(memory_format=torch.channels_last))

    return {
        "reference: eager fp32": eager,
        "ours, default": our_path,
        "ours, --compile": our_compiled,
        "channels-last": cl,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    peak = matmul_peak_gflops()
    print(f"threads: {args.threads}; fp32 matmul peak (2048² GEMM): {peak:.0f} GFLOP/s\n")
    print("| network (256×256, batch 1) | path | ms / image | × vs reference | GFLOP/s | % of matmul peak |")
    print("|---|---|---|---|---|---|")
    networks = {
        "CycleGAN ResNet-9 (11.4 M params)": ResnetGenerator(n_blocks=9),
        "pix2pix unet_256 (54.4 M params)": UnetGenerator(num_downs=8, norm="instance"),
    }
    x = torch.rand(1, 3, 256, 256) * 2 - 1
    for name, module in networks.items():
        module.eval()
        work = flops(module, x)
        times = {label: timed(fn, x, args.repeats) for label, fn in variants(module).items()}
        reference = times["reference: eager fp32"]
        for label, ms in times.items():
            gflops = work / (ms / 1e3) / 1e9
            print(f"| {name} | {label} | {ms:.0f} | {reference / ms:.2f} | {gflops:.0f} | {100 * gflops / peak:.0f}% |")


if __name__ == "__main__":
    main()
