"""The Style transfer tab through the running app, as a user's script would call it."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
CAT = str(ROOT / "examples" / "cat.jpg")
SWIRLS = str(ROOT / "examples" / "styles" / "swirls.png")


def arguments(*, weight_1: float = 1.0, steps: int = 4, size: int = 64) -> list:
    """The /stylize inputs: network, content, three (style, weight) slots, log weights, layers, options."""
    slots = [handle_file(SWIRLS), weight_1, None, 0.5, None, 0.5]
    return [
        "effnet-lite0",
        handle_file(CAT),
        *slots,
        0,
        2,
        1,
        1,
        1,
        1,
        1,
        1,
        "none",
        steps,
        size,
        "lbfgs",
        "content",
        False,
    ]


def test_stylize_endpoint_returns_the_painted_image_and_its_loss_curves(app):
    _, client = app
    live, curves, (before, after), result, note = client.predict(*arguments(), api_name="/stylize")
    image = np.asarray(Image.open(result).convert("RGB"))
    assert image.shape == (43, 64, 3)  # the photo's 451×300 aspect at a 64 px long side
    assert np.asarray(Image.open(before)).shape == image.shape
    assert np.array_equal(np.asarray(Image.open(after).convert("RGB")), image)  # the slider's "after" is the result
    assert np.array_equal(np.asarray(Image.open(live).convert("RGB")), image)  # the live view ends on it too
    assert "Done: 4 steps" in note and "EfficientNet-Lite0" in note
    rows = curves["data"]  # [step, log₁₀ loss, term]
    assert {term for _, _, term in rows} == {"content", "style", "tv", "total"}
    totals = [value for _, value, term in rows if term == "total"]
    assert len(totals) == 4 and totals[-1] < totals[0]


def test_stop_ends_the_run_early_with_the_best_picture_so_far(app):
    _, client = app
    job = client.submit(*arguments(steps=2000), api_name="/stylize")
    deadline = time.monotonic() + 30
    while not job.status().progress_data and len(job.outputs()) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    client.predict(api_name="/style_stop")
    *_, result, note = job.result(timeout=60)
    assert "you pressed Stop" in note and "best picture so far" in note
    assert np.asarray(Image.open(result)).shape == (43, 64, 3)


@pytest.mark.slow
def test_an_example_row_paints_offline(app):
    _, client = app
    *_, result, note = client.predict(
        handle_file(CAT), handle_file(SWIRLS), api_name="/paint_example"
    )  # the row event is named after its function
    assert np.asarray(Image.open(result)).shape == (170, 256, 3) and "steps" in note
