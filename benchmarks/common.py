"""Helpers shared by the benchmark scripts: the emoji validation split, image tensors, tables."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
EMOJI = Path(os.environ.get("EMOJI_DATA", ROOT.parent / "shared" / "data" / "emoji-128"))
OUT = ROOT / "benchmarks" / "results"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def validation_names(style: str, *, also_in: str | None = None) -> list[str]:
    """Names of the validation images of one style (optionally only those that exist in another style too)."""
    lines = (EMOJI / "val_split.txt").read_text().splitlines()
    names = sorted(line.split("/", 1)[1] for line in lines if line.startswith(f"{style}/"))
    if also_in:
        names = [n for n in names if (EMOJI / also_in / f"{n}.png").is_file()]
    return names


def load(style: str, names: list[str], size: int = 128) -> list[Image.Image]:
    images = [Image.open(EMOJI / style / f"{name}.png").convert("RGB") for name in names]
    return [im if im.size == (size, size) else im.resize((size, size), Image.Resampling.BICUBIC) for im in images]


def training_names(*styles: str) -> list[str]:
    """Names present in every one of `styles` and held out in none (val_split.txt lists STYLE/NAME)."""
    lines = set((EMOJI / "val_split.txt").read_text().splitlines())
    per_style = [{p.stem for p in (EMOJI / s).glob("*.png") if f"{s}/{p.stem}" not in lines} for s in styles]
    return sorted(set.intersection(*per_style))


def spread(names: list[str], count: int) -> list[str]:
    """`count` names evenly spaced over `names` (sorted names cluster by kind: keycaps, flags, …)."""
    if count >= len(names):
        return list(names)
    return [names[index * len(names) // count] for index in range(count)]


def copy_images(style: str, names: list[str], folder: Path) -> Path:
    """Copy the named images of `style` into `folder` (made), e.g. to hand them to a fine-tune as uploads."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(EMOJI / style / f"{name}.png", folder / f"{name}.png")
    return folder


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """KEY=VALUE strings → a dict, each value read as JSON where it can be (1e-3, true, 0) and kept a string else."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set {pair!r}: expected KEY=VALUE")
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value
    return overrides


@dataclass
class TimedRun:
    """A finished fine-tune: its run folder, steps and seconds, and every step's losses (for the curves)."""

    run: Path
    steps: int
    seconds: float  # the whole call, loading and saving included
    losses: list[tuple[int, dict[str, float]]] = field(default_factory=list)
    train_seconds: float = 0.0  # the steps alone


def planned_steps(spec: Any, *, probe_seconds: float = 30.0) -> int:
    """How many steps fit in `spec.minutes`, from a short probe run of the same spec (thrown away).

    A fine-tune bounded only by time never reaches its learning-rate decay (the trainers decay over the
    last part of `steps`); planning the steps from the measured speed, as a user of the Fine-tune tab sets
    its Steps for the time they have, lets the decay happen. The plan is the probe's steps per second of
    training (its start-up left out) times the budget; on a shared machine the real run may end early or
    be cut by the budget before its decay ends.
    """
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        probe = dataclasses.replace(spec, steps=10**6, minutes=probe_seconds / 60, out=Path(work) / "probe")
        result = timed_finetune(probe)
    return max(1, int(result.steps / max(result.train_seconds, 1e-9) * spec.minutes * 60))


def timed_finetune(spec: Any, *, plan_steps: bool = False) -> TimedRun:
    """Run `gan_demo.training.finetune.run_finetune(spec)` on the CPU, keeping the loss of every step.

    plan_steps: first set `spec.steps` to what fits in `spec.minutes` (see `planned_steps`).
    """
    from gan_demo.training.finetune import run_finetune

    if plan_steps:
        spec = dataclasses.replace(spec, steps=planned_steps(spec))

    losses: list[tuple[int, dict[str, float]]] = []
    clock = [0.0]

    def keep(update: Any) -> None:
        if update.step and update.losses:
            losses.append((update.step, dict(update.losses)))
            clock[0] = update.seconds

    started = time.perf_counter()
    run = run_finetune(spec, device=torch.device("cpu"), on_update=keep)
    seconds = time.perf_counter() - started
    steps = json.loads((run / "run.json").read_text())["steps"]
    return TimedRun(run, steps, seconds, losses, clock[0])


def finetune_parser(doc: str) -> argparse.ArgumentParser:
    """The options every fine-tune benchmark takes (budget, steps, threads, overrides, output); scripts add theirs."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0, help="the run's time budget")
    parser.add_argument("--steps", type=int, default=0, help="steps (default: as many as a 30 s probe says fit)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads, training and scoring")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a tunable field")
    parser.add_argument("--freeze-d", type=int, default=0, help="FreezeD: the discriminators' first N convolutions")
    parser.add_argument("--tag", default="", help="suffix of the result files")
    parser.add_argument("--keep", type=Path, default=None, help="keep the run folder here")
    return parser


def finetune_bundled(
    key: str,  # the bundled model to start from
    family: str,  # its training family
    folders: dict[str, Path],  # the family's data folders
    args: argparse.Namespace,  # finetune_parser's options
    *,
    work: Path,  # scratch folder for the run (unless --keep)
    overrides: dict[str, Any] | None = None,  # config fields, before --set's
) -> TimedRun:
    """Fine-tune the bundled model `key` on `folders` as the command line says, on the CPU."""
    from gan_demo.registry import Registry
    from gan_demo.training.families import get_family
    from gan_demo.training.finetune import FineTuneSpec, base_run_folder

    torch.set_num_threads(args.threads)
    spec = FineTuneSpec(
        family=family,
        folders=folders,
        out=args.keep or work / "run",
        steps=args.steps or 10**6,
        base=base_run_folder(Registry(), key, get_family(family).task),
        minutes=args.minutes,
        overrides={**(overrides or {}), **parse_overrides(args.set)},
        preview_every=10**9,
        freeze_d=args.freeze_d,
    )
    return timed_finetune(spec, plan_steps=not args.steps)


def tuned_label(result: TimedRun) -> str:
    return f"fine-tuned ({result.steps} steps, {result.train_seconds:.0f} s)"


def save_finetune_pictures(
    stem: str, args: argparse.Namespace, grid: Image.Image, result: TimedRun, title: str
) -> None:
    """results/STEM[-TAG].jpg (the before/after grid) and STEM[-TAG]_losses.jpg (the loss curves)."""
    stem += f"-{args.tag}" if args.tag else ""
    save_jpeg(grid, OUT / f"{stem}.jpg")
    save_loss_curves(result.losses, OUT / f"{stem}_losses.jpg", title=title)


def save_loss_curves(losses: list[tuple[int, dict[str, float]]], path: Path, *, title: str) -> None:
    """One line per loss term (a running mean over about 1/50 of the run) against the step, as a small JPEG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    window = max(5, len(losses) // 50)
    figure, axes = plt.subplots(figsize=(6, 3.2), dpi=100)
    for name in sorted({name for _, terms in losses for name in terms}):
        points = [(step, terms[name]) for step, terms in losses if name in terms]
        width = min(window, len(points))  # a short run still gets its curves
        values = np.convolve([v for _, v in points], np.ones(width) / width, mode="valid")
        axes.plot([s for s, _ in points][width - 1 :], values, label=name, linewidth=1)
    axes.set(title=title, xlabel="step", ylabel=f"loss (mean of {window} steps)")
    axes.legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="jpeg", pil_kwargs={"quality": 85})
    plt.close(figure)


def save_jpeg(image: Image.Image, path: Path, *, quality: int = 85, max_width: int = 1300) -> None:
    """Save a results picture as a JPEG, shrunk to `max_width` px wide if it is wider (files stay small)."""
    if image.width > max_width:
        image = image.resize((max_width, round(image.height * max_width / image.width)), Image.Resampling.LANCZOS)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.convert("RGB").save(path, format="JPEG", quality=quality)


def to_unit(images: list[Image.Image]) -> torch.Tensor:
    """PIL images → [N, 3, H, W] float in [0, 1]."""
    return torch.from_numpy(np.stack([np.asarray(im, dtype=np.float32) / 255.0 for im in images])).permute(0, 3, 1, 2)


def l1_and_ssim(outputs: list[Image.Image], truth: list[Image.Image]) -> tuple[float, float]:
    from gan_demo.metrics import ssim

    a, b = to_unit(outputs), to_unit(truth)
    return float((a - b).abs().mean()), float(ssim(a, b).mean())


@contextmanager
def browser_page(url: str, *, height: int = 1400) -> Iterator[Any]:
    """A headless Chromium page (Debian's /usr/bin/chromium) opened on `url` once the page has settled.

    The page's console errors and uncaught exceptions are collected in `page.errors` (a list of strings).
    For the browser test (tests/test_browser.py) and the *_in_browser scripts; needs the `playwright`
    package (requirements-test.txt) but no browser download: it drives Debian's Chromium.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": height}, accept_downloads=True)
            page.errors = []
            page.on("console", lambda message: page.errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: page.errors.append(str(error)))
            page.goto(url, wait_until="load")
            page.get_by_role("tab").first.wait_for()  # the app has rendered
            page.wait_for_timeout(1000)
            yield page
        finally:
            browser.close()
