"""What a `gan-demo` call costs as a whole process: start-up, and a folder translation against a plain script.

    python -m benchmarks.cli_startup [--repeats 3] [--threads 2] [--base DIR]

- start-up: `python -m gan_demo --help` and `python -m gan_demo models`, wall-clock per process;
- translation: `python -m gan_demo translate --model vintage` on 12 example-like photos at 256×256 (crops
  of examples/*.jpg), against a plain eager fp32 PyTorch script with the same network and weights (NCHW,
  `no_grad`, PIL in and out) run as its own process. Both processes get the same thread count.
Each measurement is the median of `--repeats` runs, the two sides alternating. `--base DIR` also times the
CLI of another checkout (e.g. `git archive` of an older commit) in the same run, for a before/after.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageOps

from benchmarks.common import ROOT

# The plain script: what someone would write by hand around the same network (our class, its saved weights).
PLAIN = """
import json, sys
from pathlib import Path
import numpy as np, torch
from PIL import Image
from safetensors.torch import load_file
from gan_demo.models.resnet import ResnetGenerator

folder, inputs, out = (Path(a) for a in sys.argv[1:4])
torch.set_num_threads(int(sys.argv[4]))
net = ResnetGenerator(**json.loads((folder / "config.json").read_text()))
net.load_state_dict(load_file(folder / "model.safetensors"))
net.eval()
out.mkdir(exist_ok=True)
for path in sorted(inputs.glob("*.jpg")):
    x = torch.from_numpy(np.asarray(Image.open(path).convert("RGB"))).permute(2, 0, 1)[None].float() / 127.5 - 1
    with torch.no_grad():
        y = net(x)
    pixels = ((y[0].clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
    Image.fromarray(pixels).save(out / (path.stem + ".png"))
"""


def photos(folder: Path, side: int = 256) -> Path:
    """12 photos like the Translate tab's examples: four square crops of each example photo, at side px."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "examples").glob("*.jpg"))[:3]:
        image = Image.open(path).convert("RGB")
        for index, centring in enumerate(((0.5, 0.5), (0.0, 0.0), (1.0, 1.0), (0.5, 0.0))):
            crop = ImageOps.fit(image, (side, side), Image.Resampling.LANCZOS, centering=centring)
            crop.save(folder / f"{path.stem}-{index}.jpg", quality=92)
    return folder


def save_plain_weights(folder: Path) -> Path:
    """The vintage generator as fp32 config.json + model.safetensors, for the plain script to read."""
    import torch

    from gan_demo.hub import load_network
    from gan_demo.registry import Registry

    load_network(Registry().get("vintage"), "a2b", device=torch.device("cpu")).save_pretrained(folder)
    return folder


def wall(command: list[str], *, cwd: Path, threads: int) -> float:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--base", type=Path, default=None, help="another checkout to time the same way")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cli-startup-"))
    inputs, weights = photos(work / "photos"), save_plain_weights(work / "vintage")
    checkouts = {"this": ROOT, **({"base": args.base.resolve()} if args.base else {})}
    commands = {
        "plain script": (
            [sys.executable, "-c", PLAIN, str(weights), str(inputs), str(work / "plain"), str(args.threads)],
            ROOT,
        )
    }
    for name, root in checkouts.items():
        gan_demo = [sys.executable, "-m", "gan_demo"]
        commands[f"{name}: --help"] = ([*gan_demo, "--help"], root)
        commands[f"{name}: models"] = ([*gan_demo, "models"], root)
        translate = ["translate", "--model", "vintage", "--input", str(inputs), "--out", str(work / name)]
        commands[f"{name}: translate 12 × 256 px"] = ([*gan_demo, *translate], root)
    times: dict[str, list[float]] = {name: [] for name in commands}
    try:
        for _ in range(args.repeats):
            for name, (command, cwd) in commands.items():
                times[name].append(wall(command, cwd=cwd, threads=args.threads))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    plain = statistics.median(times["plain script"])
    print(f"| process ({args.threads} threads, median of {args.repeats}) | seconds | × plain script |")
    print("|---|---|---|")
    for name, values in times.items():
        seconds = statistics.median(values)
        ratio = f"{seconds / plain:.2f}" if "translate" in name or name == "plain script" else ""
        print(f"| {name} | {seconds:.2f} | {ratio} |")


if __name__ == "__main__":
    main()
