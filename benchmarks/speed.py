"""Inference speed of the image-to-image generators on this machine, side by side in one run.

    python -m benchmarks.speed [--repeats 10] [--threads 2]

For the CycleGAN ResNet-9 generator and the pix2pix unet_256 generator at 256×256, batch 1:
  - reference: plain eager fp32 PyTorch, NCHW, under no_grad;
  - ours, fp32: `prepare_for_inference` under inference_mode (the app's path with --precision fp32);
  - ours, bf16: the same under bf16 autocast (the app's default for translation on CPUs with native bf16);
  - ours, --compile (fp32 and bf16): torch.compile with dynamic shapes, after warm-up;
  - channels-last, an alternative that was tried and measured.
Also the machine's measured fp32 matmul peak (2048² GEMM) and each network's GFLOP/s against it (the
FLOPs are the same in bf16; the peak is the fp32 one), and what bf16 costs in output quality: the bundled
photo → vintage ResNet-9 on the example photos at 256 px, bf16 against fp32, in 8-bit grey levels.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import numpy as np
import torch
from PIL import Image
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.common import ROOT
from gan_demo.hub import load_network
from gan_demo.models import ResnetGenerator, UnetGenerator
from gan_demo.optimise import cpu_has_native_bf16, prepare_for_inference
from gan_demo.registry import Registry
from gan_demo.tasks import translate_image


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

    def ours(**options):  # prepare_for_inference works in place; the reference stays untouched
        prepared = prepare_for_inference(copy.deepcopy(module), **options)

        def run(x):
            with torch.inference_mode():
                return prepared(x)

        return run

    channels_last = copy.deepcopy(module).to(memory_format=torch.channels_last)

    def cl(x):
        with torch.inference_mode():
            return channels_last(x.contiguous(memory_format=torch.channels_last))

    return {
        "reference: eager fp32": eager,
        "ours, fp32": ours(),
        "ours, bf16": ours(bf16=True),
        "ours, fp32 --compile": ours(compile=True),
        "ours, bf16 --compile": ours(compile=True, bf16=True),
        "channels-last (tried)": cl,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    peak = matmul_peak_gflops()
    print(f"threads: {args.threads}; fp32 matmul peak (2048² GEMM): {peak:.0f} GFLOP/s")
    print(f"native bf16 on this CPU: {cpu_has_native_bf16()}\n")
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
    bf16_cost()


def bf16_cost() -> None:
    """Mean and largest difference between the bf16 and fp32 outputs of the bundled vintage generator."""
    generator = load_network(Registry().get("vintage"), "a2b", device=torch.device("cpu"))
    fp32 = prepare_for_inference(copy.deepcopy(generator))
    bf16 = prepare_for_inference(copy.deepcopy(generator), bf16=True)
    print("\n| example photo (256 px) | mean abs difference, grey levels | largest | PSNR bf16 vs fp32 |")
    print("|---|---|---|---|")
    for path in sorted((ROOT / "examples").glob("*.jpg")):
        image = Image.open(path).convert("RGB")
        a, b = (
            np.asarray(translate_image(m, image, device=torch.device("cpu"), max_side=256), dtype=np.float64)
            for m in (fp32, bf16)
        )
        diff = np.abs(a - b)
        psnr = 10 * np.log10(255**2 / max(float((diff**2).mean()), 1e-12))
        print(f"| {path.name} | {diff.mean():.2f} | {diff.max():.0f} | {psnr:.1f} dB |")


if __name__ == "__main__":
    main()
