"""Every tab driven in headless Chromium as a person would: pick, give an input, run, see the result.

Marked `browser`: the quick default `pytest` skips it; `.ci/run` runs it (`pytest -m browser`) with Debian's
Chromium. Each tab leaves a screenshot in test-artifacts/browser/ (git-ignored). A test fails on an error
toast, a console error or a missing result.
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from benchmarks.common import CHROMIUM, browser_page
from tests.conftest import tiny_stargan_run

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "test-artifacts" / "browser"
RESULT_TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def page(app):
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium (the CI script does)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    demo, _ = app
    with browser_page(demo.test_url, height=1400) as page:
        yield page


def open_tab(page, name: str):
    page.get_by_role("tab", name=name).click()
    page.wait_for_timeout(500)
    return page.locator("[role=tabpanel]:visible").first


def image_block(panel, label: str):
    """The component block labelled `label` (the last, where a label repeats)."""
    return panel.locator(".block", has=panel.page.locator(f"[data-testid='block-label']:has-text('{label}')")).last


def wait_for_image(panel, label: str) -> None:
    """Wait until the image component labelled `label` shows a served file."""
    panel.locator(f"[data-testid='block-label']:has-text('{label}')").first.wait_for()
    image_block(panel, label).locator("img[src*='/gradio_api/file=']").first.wait_for(timeout=RESULT_TIMEOUT_MS)


def finish(page, name: str) -> None:
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    toasts = page.locator(".toast-body").all_inner_texts()
    assert not toasts, f"error toast on {name}: {toasts}"
    assert not page.errors, f"console errors on {name}: {page.errors}"


def set_number(panel, label: str, value: int):
    """Type a value into a slider's number box and commit it; returns the box."""
    box = panel.get_by_label(f"number input for {label}")
    box.fill(str(value))
    box.press("Enter")
    return box


def assert_loss_lines(panel) -> None:
    """The loss plot draws one coloured line per term of the sampler's run (G_gan, D_recon, D_real, D_fake)."""
    strokes = panel.locator(".mark-line path")  # the tab's one plot
    strokes.nth(3).wait_for(timeout=10_000)
    colours = [path.get_attribute("stroke") for path in strokes.all()]
    assert len(colours) == 4 and all(colours) and len(set(colours)) == 4, colours
    block = panel.locator(".block:has(.mark-line)").last.bounding_box()
    names = panel.locator(".role-legend-label text")
    assert sorted(name.text_content() for name in names.all()) == ["D_fake", "D_real", "D_recon", "G_gan"]
    for name in names.all():  # inside the block, not cut off by its bottom edge
        box = name.bounding_box()
        assert block["y"] <= box["y"] and box["y"] + box["height"] <= block["y"] + block["height"], (box, block)


def test_sample_tab_generates_a_grid_and_runs_an_example_row(page):
    panel = open_tab(page, "Sample")
    panel.get_by_role("button", name="Generate").click()
    wait_for_image(panel, "Grid")
    panel.locator("tr.tr-body").first.click()  # an example row runs at once
    page.wait_for_timeout(1500)
    wait_for_image(panel, "Grid")
    finish(page, "sample")


def test_cyclegan_tab_translates_an_upload_and_offers_a_download(page):
    panel = open_tab(page, "CycleGAN")
    panel.locator("input[type=file]").first.set_input_files(str(ROOT / "examples" / "cat.jpg"))
    page.wait_for_timeout(1000)
    panel.get_by_role("button", name="Translate").click()
    wait_for_image(panel, "Result")
    with page.expect_download() as download:
        panel.get_by_label("Download").first.click()
    assert download.value.suggested_filename.endswith(".png")
    finish(page, "cyclegan")


def test_sketch_tab_colours_a_drawing_made_with_the_mouse(page):
    panel = open_tab(page, "Sketch → image")
    page.get_by_role("button", name="Brush", exact=True).click()  # as a person must, before drawing
    canvas = panel.locator("canvas:visible").first
    canvas.wait_for()
    box = canvas.bounding_box()
    side = min(box["width"], box["height"])
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx + side * 0.35, cy)
    page.mouse.down()
    for degrees in range(0, 361, 10):  # a circle, as a person draws a face
        angle = math.radians(degrees)
        page.mouse.move(cx + side * 0.35 * math.cos(angle), cy + side * 0.35 * math.sin(angle), steps=2)
    page.mouse.up()
    page.keyboard.press("Escape")
    panel.get_by_role("button", name="Colour my drawing").click()
    wait_for_image(panel, "Result")
    finish(page, "sketch")


def test_sketch_tab_takes_line_art_at_the_model_size_as_it_is(page, tmp_path):
    """An uploaded 128 px line art whose ink touches the border (as Fluent line art may) is coloured where it is
    drawn: what the model saw is the upload itself, enlarged for the page, not a re-framed, shrunken copy."""
    art = Image.new("RGB", (128, 128), "white")
    ImageDraw.Draw(art).ellipse((0, 24, 127, 104), outline="black", width=6)
    path = tmp_path / "line-art-128.png"
    art.save(path)
    panel = open_tab(page, "Sketch → image")
    panel.get_by_role("tab", name="Upload a sketch").click()
    upload = image_block(panel, "Sketch (dark lines")
    upload.locator("input[type=file]").set_input_files(str(path))
    upload.locator("img").first.wait_for()
    shown = image_block(panel, "What the model sees").locator("img[src*='/gradio_api/file=']").first
    before = shown.get_attribute("src") if shown.count() else None  # an earlier test's drawing
    panel.get_by_role("button", name="Colour this sketch").click()
    wait_for_image(panel, "Result")
    if before:  # wait for this upload's picture, not the earlier one
        expect(shown).not_to_have_attribute("src", before, timeout=RESULT_TIMEOUT_MS)
    source = shown.get_attribute("src")
    seen = Image.open(io.BytesIO(page.request.get(source).body())).convert("L")
    expected = art.resize(seen.size, Image.Resampling.LANCZOS).convert("L")
    difference = np.abs(np.asarray(seen, float) - np.asarray(expected, float)).mean()
    assert difference < 2, f"the line art was moved or rescaled (mean difference {difference:.1f} grey levels)"
    finish(page, "sketch-line-art")


def test_stargan_tab_follows_a_dragged_slider_and_offers_the_result_strip_and_gif(page, app, tmp_path_factory):
    registry = app[0].test_store.registry
    key = "emoji-styles"
    if key not in {entry.key for entry in registry.entries("attributes")}:  # not bundled here: a tiny run stands in
        key = "tiny-styles"
        registry.add_run(tiny_stargan_run(tmp_path_factory.mktemp("stargan") / key), replace=True)
    panel = open_tab(page, "StarGAN")  # the tab lists its models afresh when opened
    panel.get_by_label("Model").first.click()
    page.get_by_role("option", name=registry.get(key).title).click()
    panel.locator("input[type=file]").first.set_input_files(
        str(ROOT / "examples" / "emoji" / "flat-astonished-face.png")
    )
    panel.get_by_text("Estimated from the picture").wait_for(timeout=RESULT_TIMEOUT_MS)
    wait_for_image(panel, "Result")
    note = panel.get_by_text("Made with:")
    before = note.inner_text()
    start = [float(number.input_value()) for number in panel.locator("input[type=number]:visible").all()[:3]]
    moved = next(index for index, value in enumerate(start) if value < 0.5)  # raise a style the picture lacks
    box = panel.locator("input[type=range]:visible").nth(moved).bounding_box()
    page.mouse.move(box["x"] + 3, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 9):  # a person's drag, in small moves
        page.mouse.move(box["x"] + box["width"] * 0.1 * step, box["y"] + box["height"] / 2, steps=3)
    page.mouse.up()
    for _ in range(150):  # the result follows the slider, and says which values made it
        values = [float(box.input_value()) for box in panel.locator("input[type=number]:visible").all()[:3]]
        shown = [float(number) for number in re.findall(r"-?\d+\.\d\d", note.inner_text())]
        if note.inner_text() != before and shown == pytest.approx(values, abs=0.006):
            break
        page.wait_for_timeout(200)
    assert note.inner_text() != before and shown == pytest.approx(values, abs=0.006), (note.inner_text(), values)
    assert 0.6 < values[moved] < 0.9 and sum(values) == pytest.approx(1, abs=0.01)  # the others gave way
    with page.expect_download() as download:
        panel.get_by_label("Download").first.click()
    assert download.value.suggested_filename.endswith(".png")
    panel.get_by_text("Interpolation strip and looping GIF").click()
    panel.get_by_role("button", name="Make the strip and GIF").click()
    wait_for_image(panel, "Strip")
    wait_for_image(panel, "Looping GIF")
    finish(page, "stargan")


def test_style_tab_paints_a_photo_streams_the_loss_curves_and_offers_a_download(page):
    panel = open_tab(page, "Style transfer")
    page.locator("#content input[type=file]").set_input_files(str(ROOT / "examples" / "cat.jpg"))
    page.locator("#style-1 input[type=file]").set_input_files(str(ROOT / "examples" / "styles" / "swirls.png"))
    page.wait_for_timeout(1000)
    for label, value in (("Steps", "8"), ("Output size (px)", "64")):
        box = panel.get_by_label(f"number input for {label}")
        box.fill(value)
        box.press("Enter")
    panel.get_by_label("strong").check()
    panel.get_by_role("button", name="Paint").click()
    panel.get_by_text("Done: 8 steps").wait_for(timeout=RESULT_TIMEOUT_MS)
    wait_for_image(panel, "Result")
    with page.expect_download() as download:
        panel.get_by_label("Download").last.click()
    assert download.value.suggested_filename.endswith(".png")
    finish(page, "style")


def random_pngs(folder: Path, prefix: str, *, seed: int, side: int, count: int = 8) -> list[str]:
    """`count` noise images of `side` px written as FOLDER/PREFIXn.png; their paths."""
    rng = np.random.default_rng(seed)
    paths = [folder / f"{prefix}{index}.png" for index in range(count)]
    for path in paths:
        Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(path)
    return [str(path) for path in paths]


def test_fine_tune_tab_runs_a_job_that_survives_a_reload_and_becomes_a_model(page, tmp_path):
    files = random_pngs(tmp_path, "emoji", seed=0, side=48)
    panel = open_tab(page, "Fine-tune")
    panel.locator("input[type=file]").first.set_input_files(files)
    page.wait_for_timeout(1500)
    panel.get_by_role("button", name="Check the data").click()
    panel.get_by_text("8 images accepted").wait_for(timeout=RESULT_TIMEOUT_MS)
    panel.get_by_label("Name of the new model").fill("browser-run")
    set_number(panel, "Steps", 3)
    panel.get_by_role("button", name="Estimate time").click()
    panel.get_by_text("3 steps take about").wait_for(timeout=RESULT_TIMEOUT_MS)
    page.screenshot(path=str(SHOTS / "finetune-estimate.png"), full_page=True)
    panel.get_by_role("button", name="Start").click()
    panel.get_by_text("saved as browser-run").wait_for(timeout=RESULT_TIMEOUT_MS)
    assert_loss_lines(panel)
    page.reload(wait_until="load")  # the job id lives in the browser: the page reattaches
    page.get_by_role("tab").first.wait_for()
    panel = open_tab(page, "Fine-tune")
    panel.get_by_text("step 3 of 3").wait_for(timeout=30_000)  # the reattaching refresh; slow under load
    assert_loss_lines(panel)
    finish(page, "finetune")
    panel = open_tab(page, "Sample")
    panel.get_by_label("Model").first.click()
    page.get_by_role("option", name="browser-run (fine-tuned)").wait_for()
    finish(page, "finetune-run-in-sample-tab")


def test_fine_tune_tab_tunes_a_style_model_on_a_zip_of_domains_resumes_it_and_lists_it_in_the_stargan_tab(
    page, tmp_path
):
    import zipfile

    rng = np.random.default_rng(1)
    archive = tmp_path / "my-styles.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for domain in ("modern", "flat", "high-contrast"):
            for index in range(8):
                path = tmp_path / f"{domain}{index}.png"
                Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(path)
                zipped.write(path, f"{domain}/e{index}.png")
    page.reload(wait_until="load")  # a fresh page: no job of an earlier test attached
    page.get_by_role("tab").first.wait_for()
    panel = open_tab(page, "Fine-tune")
    panel.get_by_label("Style sliders (StarGAN)").check()
    panel.get_by_text("one .zip with a folder per domain: modern, flat, high-contrast").wait_for()
    panel.locator("input[type=file]").first.set_input_files([str(archive)])
    page.wait_for_timeout(1500)
    panel.get_by_role("button", name="Check the data").click()
    panel.get_by_text("accepted: 8 images in modern, 8 images in flat, 8 images in high-contrast").wait_for(
        timeout=RESULT_TIMEOUT_MS
    )
    panel.get_by_label("Name of the new model").fill("browser-styles")
    set_number(panel, "Steps", 2)
    panel.get_by_role("button", name="Start").click()
    panel.get_by_text("saved as browser-styles").wait_for(timeout=RESULT_TIMEOUT_MS)
    wait_for_image(panel, "Preview")
    panel.get_by_role("button", name="Your runs").click()
    runs = panel.get_by_label("Saved runs")
    runs.click()
    page.get_by_role("option", name="browser-styles").click()
    set_number(panel, "Steps", 4)
    panel.get_by_role("button", name="Resume this run").click()
    panel.get_by_text("step 4 of 4").wait_for(timeout=RESULT_TIMEOUT_MS)
    panel.get_by_text("saved as browser-styles").wait_for(timeout=RESULT_TIMEOUT_MS)
    finish(page, "finetune-stargan")
    panel = open_tab(page, "StarGAN")
    panel.get_by_label("Model").first.click()
    page.get_by_role("option", name="browser-styles (fine-tuned)").wait_for()
    finish(page, "finetune-stargan-run-in-stargan-tab")


def test_fine_tune_tab_tunes_a_two_way_model_that_keeps_its_direction_names_and_its_licence_in_the_cyclegan_tab(
    page, tmp_path
):
    sets = {side: random_pngs(tmp_path, side, seed=seed, side=64) for seed, side in enumerate(("a", "b"), 2)}
    page.reload(wait_until="load")
    page.get_by_role("tab").first.wait_for()
    panel = open_tab(page, "Fine-tune")
    panel.get_by_label("Two-way style (CycleGAN)").check()
    page.wait_for_timeout(1000)
    panel.get_by_label("Start from").first.click()
    page.get_by_role("option", name="Emoji: flat ↔ modern (CycleGAN, 128 px)").click()
    inputs = panel.locator("input[type=file]")
    inputs.nth(0).set_input_files(sets["a"])
    inputs.nth(1).set_input_files(sets["b"])
    page.wait_for_timeout(1500)
    panel.get_by_role("button", name="Check the data").click()
    panel.get_by_text("8 images in A and 8 in B accepted").wait_for(timeout=RESULT_TIMEOUT_MS)
    panel.get_by_label("Name of the new model").fill("browser-flat")
    panel.get_by_label("Licence").first.click()
    page.get_by_role("option", name="CC-BY-4.0").click()
    panel.get_by_label("Credit").fill("Drawings by the browser test")
    set_number(panel, "Steps", 2)
    panel.get_by_role("button", name="Start").click()
    panel.get_by_text("saved as browser-flat").wait_for(timeout=RESULT_TIMEOUT_MS)
    finish(page, "finetune-cyclegan")
    panel = open_tab(page, "CycleGAN")
    panel.get_by_label("Model").first.click()
    page.get_by_role("option", name="browser-flat (fine-tuned)").click()
    panel.get_by_text("Fine-tuned in the Fine-tune tab from emoji-flat-modern on 8 images in A and 8 in B.").wait_for()
    assert panel.get_by_label("modern → flat").count() == 1  # the base's direction names, not "A → B"
    panel.get_by_text("Licence: CC-BY-4.0. Credit: Drawings by the browser test; fine-tuned in the gan-demo").wait_for()
    finish(page, "finetune-cyclegan-run-in-cyclegan-tab")
