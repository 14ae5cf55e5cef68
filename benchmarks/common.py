"""Helpers shared by the benchmark scripts: the emoji validation split, image tensors, tables."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
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
