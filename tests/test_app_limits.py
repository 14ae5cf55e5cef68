"""Issue 11: what a hostile but ordinary client can send the running app, and the CLI, is bounded and explained."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image, ImageDraw

from gan_demo.cli import main

ROOT = Path(__file__).resolve().parents[1]


def call(app, api_name: str, body: bytes | str) -> tuple[int, str]:
    """POST raw JSON to /gradio_api/call/<api_name> and read the event stream: (HTTP status, final SSE text)."""
    demo, _ = app
    base = demo.test_url.rstrip("/")
    with httpx.Client(timeout=60) as http:
        posted = http.post(
            f"{base}/gradio_api/call/{api_name}", content=body, headers={"content-type": "application/json"}
        )
        if posted.status_code != 200:
            return posted.status_code, posted.text
        event = posted.json()["event_id"]
        return 200, http.get(f"{base}/gradio_api/call/{api_name}/{event}").text


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(data: bytes) -> dict:
    return {
        "path": "",
        "url": "data:image/png;base64," + base64.b64encode(data).decode(),
        "meta": {"_type": "gradio.FileData"},
    }


def test_a_tiny_truncation_is_answered_at_once_and_the_next_user_is_served(app):
    """No wall-clock bound of its own (the machine may be loaded): a truncation of 1e-300, which a naive
    resampling truncated normal never satisfies, costs about what an ordinary grid of the same size costs."""
    _, client = app

    def seconds(truncation: float) -> float:
        started = time.perf_counter()
        _, gallery = client.predict("faces-dcgan", 5, 64, 1.0, truncation, 64, api_name="/sample")
        assert len(gallery) == 64
        return time.perf_counter() - started

    ordinary = seconds(0.0)
    assert seconds(1e-300) < 3 * ordinary + 5
    started = time.perf_counter()
    client.predict("faces-dcgan", 6, 4, 1.0, 0.0, 64, api_name="/sample")
    assert time.perf_counter() - started < 3 * ordinary + 5  # the next user: a smaller grid, served as quickly


def test_a_drawing_sent_as_layers_without_a_composite_is_coloured(app, tmp_path):
    """(Too many layers and an unreadable composite are rows of the bad-input table, tests/bad_input_cases.py.)"""
    _, client = app
    stroke = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    ImageDraw.Draw(stroke).line((0, 0, 63, 63), fill=(0, 0, 0, 255), width=4)
    stroke.save(tmp_path / "layer.png")
    layer = handle_file(str(tmp_path / "layer.png"))
    seen, *_ = client.predict(
        "emoji-sketch", {"background": None, "layers": [layer], "composite": None}, api_name="/sketch"
    )
    assert Path(seen).is_file()


def test_a_request_body_over_the_limit_is_refused_before_it_is_read(app):
    """An image inline as a `data:` URL is held to the upload limit too (SafeImage checks the decoded size,
    tests/test_ui_inputs.py); a body too large for any legal image is refused with 413 on every route."""
    huge = data_url(os.urandom(27 * 2**20))  # the size the upload route refuses, sent inline
    status, _ = call(app, "translate", json.dumps({"data": ["vintage", "a2b", huge, 64, False]}))
    assert status == 413
    status, text = call(app, "sample", json.dumps({"data": ["faces-dcgan", 1, 1, 1.0, 0.0, 64]}))
    assert status == 200 and "event: complete" in text  # ordinary bodies pass


@pytest.mark.parametrize(
    ("key", "direction"), [("vintage", "a2b"), ("emoji-flat-modern", "a2b"), ("emoji-flat-modern", "b2a")]
)
@pytest.mark.parametrize("size", [(4000, 10), (300, 8), (8, 300)])
def test_extreme_aspect_ratios_translate(app, tmp_path, key, direction, size):
    _, client = app
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (*size[::-1], 3), dtype=np.uint8)).save(
        tmp_path / "thin.png"
    )
    _, result, _, _ = client.predict(
        key, direction, handle_file(str(tmp_path / "thin.png")), 512, True, api_name="/translate"
    )
    width, height = Image.open(result).size
    assert abs(width / height - size[0] / size[1]) / (size[0] / size[1]) < 0.7 or min(width, height) == 1


def test_a_thin_sketch_is_coloured(app, tmp_path):
    _, client = app
    thin = Image.new("RGB", (4000, 10), "white")
    ImageDraw.Draw(thin).line((0, 5, 3999, 5), fill="black", width=3)
    thin.save(tmp_path / "thin.png")
    _, result, *_ = client.predict("emoji-sketch", handle_file(str(tmp_path / "thin.png")), api_name="/sketch_upload")
    assert Image.open(result).size == (256, 256)


def test_a_24_megapixel_photo_is_scaled_not_refused(app, tmp_path):
    _, client = app
    photo = Image.new("RGB", (6000, 4000), (90, 140, 200))
    ImageDraw.Draw(photo).ellipse((1000, 1000, 5000, 3000), fill=(200, 120, 40))
    photo.save(tmp_path / "big.jpg", quality=80)
    _, result, _, _ = client.predict(
        "vintage", "a2b", handle_file(str(tmp_path / "big.jpg")), 96, False, api_name="/translate"
    )
    assert Image.open(result).size == (96, 64)


def test_a_damaged_model_is_listed_as_broken_and_the_others_keep_working(tmp_path):
    from gan_demo.hub import availability
    from gan_demo.registry import Registry
    from gan_demo.store import ModelStore
    from gan_demo.ui.common import model_choices

    checkpoints = tmp_path / "checkpoints"
    shutil.copytree(ROOT / "checkpoints", checkpoints)
    weights = checkpoints / "emoji-fluent" / "generator" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1000])
    registry = Registry()
    assert availability(registry.get("emoji-fluent"), checkpoints_dir=checkpoints)[1].startswith("broken")
    import torch

    store = ModelStore(registry, torch.device("cpu"), checkpoints_dir=checkpoints)
    with pytest.raises(ValueError, match="emoji-fluent"):
        store.get("emoji-fluent")
    labels = dict((key, label) for label, key in model_choices(store, "sample"))
    assert "broken" in labels["emoji-fluent"] and "broken" not in labels["faces-dcgan"]
    store.get("faces-dcgan")  # other models are unaffected
    weights.write_bytes((ROOT / "checkpoints" / "emoji-fluent" / "generator" / "model.safetensors").read_bytes())
    store.get("emoji-fluent")  # nothing broken was cached: the next request retries
    assert store.broken("emoji-fluent") is None


def run_cli(*argv: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gan_demo", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def test_the_cli_names_a_damaged_checkpoint_with_its_own_exit_code(tmp_path):
    checkpoints = tmp_path / "checkpoints"
    shutil.copytree(ROOT / "checkpoints", checkpoints)
    weights = checkpoints / "emoji-fluent" / "generator" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1000])
    listed = run_cli("models", "--task", "sample", GAN_DEMO_CHECKPOINTS=str(checkpoints))
    assert listed.returncode == 0 and "broken" in next(
        line for line in listed.stdout.splitlines() if "emoji-fluent" in line
    )
    sampled = run_cli(
        "sample",
        "--model",
        "emoji-fluent",
        "--n",
        "1",
        "--out",
        str(tmp_path / "out"),
        GAN_DEMO_CHECKPOINTS=str(checkpoints),
    )
    assert sampled.returncode == 3 and "Traceback" not in sampled.stderr and sampled.stderr.count("\n") == 1


def test_the_cli_samples_with_a_tiny_truncation_at_once(tmp_path):
    started = time.perf_counter()
    assert (
        main(["sample", "--model", "emoji-fluent", "--n", "2", "--truncation", "1e-300", "--out", str(tmp_path)]) == 0
    )
    assert time.perf_counter() - started < 20 and len(list(tmp_path.glob("*.png"))) == 2


def test_a_cli_folder_run_goes_on_after_a_file_that_fails(tmp_path, capsys, monkeypatch):
    import gan_demo.tasks as tasks

    folder = tmp_path / "in"
    folder.mkdir()
    for name, size in [("a.png", (40, 40)), ("b.png", (300, 8)), ("c.png", (40, 40))]:
        Image.new("RGB", size, "gray").save(folder / name)
    real = tasks.translate_image

    def failing_on_b(generator, image, **kwargs):
        if image.size[1] < 10:
            raise RuntimeError("Padding size should be less than the corresponding input dimension")
        return real(generator, image, **kwargs)

    monkeypatch.setattr(tasks, "translate_image", failing_on_b)
    assert (
        main(
            [
                "translate",
                "--model",
                "vintage",
                "--input",
                str(folder),
                "--out",
                str(tmp_path / "out"),
                "--max-side",
                "64",
            ]
        )
        == 1
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "c.png"]
    assert "b.png" in capsys.readouterr().err


def test_a_thin_photo_translates_from_the_cli(tmp_path):
    Image.new("RGB", (300, 8), "gray").save(tmp_path / "thin.png")
    out = tmp_path / "out"
    assert (
        main(["translate", "--model", "emoji-flat-modern", "--input", str(tmp_path / "thin.png"), "--out", str(out)])
        == 0
    )
    assert Image.open(out / "thin.png").size == (300, 8)


def test_a_read_only_temp_folder_is_one_line_at_start_up(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py")],
        capture_output=True,
        text=True,
        env={**os.environ, "GRADIO_TEMP_DIR": str(blocker / "gradio")},
        timeout=120,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("gan-demo: GRADIO_TEMP_DIR=") and result.stderr.strip().count("\n") == 0


def test_starting_the_app_leaves_no_temporary_folder(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    from app import create_app

    create_app(runs_dir=tmp_path / "runs")
    assert list(tmp_path.iterdir()) == []


def test_one_pixel_limit_for_pillow_and_for_our_loader():
    from gan_demo.imaging import MAX_PIXELS, InvalidImage, load_image

    assert Image.MAX_IMAGE_PIXELS == MAX_PIXELS  # set once, on import, for every code path in the process
    assert "MAX_IMAGE_PIXELS" not in (ROOT / "app.py").read_text()
    big = io.BytesIO()
    Image.new("L", (6000, 4000)).save(big, format="PNG")
    assert load_image(big.getvalue()).size == (6000, 4000)
    with pytest.raises(InvalidImage, match="at most 40 megapixels"):
        load_image(Image.new("L", (8000, 5001)))


def test_a_run_copied_from_a_bundled_model_is_listed_under_its_own_label(tmp_path):
    from gan_demo.registry import Registry
    from gan_demo.store import ModelStore
    from gan_demo.ui.common import model_choices

    copy = tmp_path / "flat-modern-copy"
    shutil.copytree(ROOT / "checkpoints" / "emoji-flat-modern", copy)  # as training.part_colours writes one
    registry = Registry()
    registry.add_run(copy)
    import torch

    labels = dict((key, label) for label, key in model_choices(ModelStore(registry, torch.device("cpu")), "translate"))
    title = registry.get("emoji-flat-modern").title
    assert labels["emoji-flat-modern"] == title and labels["flat-modern-copy"] == f"{title} · flat-modern-copy"
    assert len(set(labels.values())) == len(labels)
