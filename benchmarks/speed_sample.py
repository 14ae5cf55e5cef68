"""Sampling speed of the bundled unconditional generators, side by side in one run.

    python -m benchmarks.speed_sample [--repeats 10] [--threads 2] [--device cpu]

For each generator (faces-dcgan, emoji-fluent), 64 images in batches of 16, as the Sample tab draws them:
  - reference: the same network in plain eager fp32 PyTorch (NCHW, batch norm as a layer, under no_grad);
  - ours, default: what the app runs (`prepare_for_inference`: batch norm folded into the convolutions,
    channels-last weights, inference_mode);
  - ours, --compile: the same plus torch.compile, timed after its warm-up (the compile time is printed).
Reports images per second and the ratio to the reference. On a GPU (--device cuda) every timing synchronises.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch

from gan_demo.hub import load_network
from gan_demo.optimise import prepare_for_inference
from gan_demo.registry import Registry

BATCH, IMAGES = 16, 64


def images_per_second(fn, z: torch.Tensor, repeats: int, device: torch.device) -> float:
    """Median throughput over `repeats` runs of all the batches, after one warm-up run."""

    def run() -> None:
        for start in range(0, len(z), BATCH):
            fn(z[start : start + BATCH])
        if device.type == "cuda":
            torch.cuda.synchronize()

    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return len(z) / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    registry = Registry()
    print(f"device: {device}; threads: {args.threads}; {IMAGES} images in batches of {BATCH}\n")
    print("| generator | path | images / s | × vs reference |")
    print("|---|---|---|---|")
    for key in ("faces-dcgan", "emoji-fluent"):
        entry = registry.get(key)
        original = load_network(entry, "generator", device=device)
        z = torch.randn(IMAGES, original.latent_dim, generator=torch.Generator().manual_seed(0)).to(device)
        reference_net = copy.deepcopy(original).eval()
        ours = prepare_for_inference(copy.deepcopy(original), channels_last=True)
        start = time.perf_counter()
        compiled = prepare_for_inference(copy.deepcopy(original), channels_last=True, compile=True)
        with torch.inference_mode():
            for size in (BATCH, IMAGES % BATCH or BATCH):
                compiled(z[:size])
        compile_s = time.perf_counter() - start

        def reference(batch, net=reference_net):
            with torch.no_grad():
                return net(batch)

        def default(batch, net=ours):
            with torch.inference_mode():
                return net(batch)

        def with_compile(batch, net=compiled):
            with torch.inference_mode():
                return net(batch)

        with torch.inference_mode():
            torch.testing.assert_close(ours(z[:BATCH]), reference_net(z[:BATCH]), atol=1e-4, rtol=1e-3)
        paths = {"reference: eager fp32": reference, "ours, default": default, "ours, --compile": with_compile}
        rates = {label: images_per_second(fn, z, args.repeats, device) for label, fn in paths.items()}
        base = rates["reference: eager fp32"]
        for label, rate in rates.items():
            note = f" (compiled in {compile_s:.0f} s)" if "compile" in label else ""
            print(f"| {entry.title} | {label}{note} | {rate:.0f} | {rate / base:.2f} |")


if __name__ == "__main__":
    main()
