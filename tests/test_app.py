"""End to end: launch the app in-process and call its endpoints with gradio_client, as a user's script would."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from gradio_client import handle_file
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]


def read(path: str) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_all_six_tabs_are_present(app):
    demo, _ = app
    labels = {block.label for block in demo.blocks.values() if type(block).__name__ == "Tab"}
    assert {"Sample", "CycleGAN", "Sketch → image", "StarGAN", "Style transfer", "Fine-tune"} <= labels


def test_every_event_has_an_api_name_and_the_queue_is_bounded(app):
    demo, client = app
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/sample", "/latent_walk", "/translate", "/random_seed"} <= set(endpoints)
    assert demo._queue.max_size == 16


def test_sample_endpoint_same_seed_same_png_images(app):
    _, client = app
    grid_a, gallery_a = client.predict("faces-dcgan", 11, 4, 1.0, 0.0, 64, api_name="/sample")
    grid_b, _ = client.predict("faces-dcgan", 11, 4, 1.0, 0.0, 64, api_name="/sample")
    grid_c, _ = client.predict("faces-dcgan", 12, 4, 1.0, 0.0, 64, api_name="/sample")
    assert grid_a.endswith(".png") and len(gallery_a) == 4
    assert np.array_equal(read(grid_a), read(grid_b)) and not np.array_equal(read(grid_a), read(grid_c))
    assert read(gallery_a[0]["image"]).shape == (64, 64, 3)


def test_truncation_changes_the_images(app):
    _, client = app
    plain, _ = client.predict("faces-dcgan", 11, 2, 1.0, 0.0, 64, api_name="/sample")
    truncated, _ = client.predict("faces-dcgan", 11, 2, 1.0, 0.5, 64, api_name="/sample")
    assert not np.array_equal(read(plain), read(truncated))


def test_latent_walk_endpoint_returns_a_looping_gif_from_seed_to_seed(app):
    _, client = app
    shown, download = client.predict("faces-dcgan", 11, 12, 6, 10, "slerp", 1.0, 0.0, 64, api_name="/latent_walk")
    gif = Image.open(download)
    assert gif.format == "GIF" and gif.n_frames == 10 and gif.size == (64, 64)  # 6 forward + 4 back
    _, gallery = client.predict("faces-dcgan", 11, 1, 1.0, 0.0, 64, api_name="/sample")
    first_frame = np.asarray(gif.convert("RGB"), dtype=float)
    assert np.abs(first_frame - read(gallery[0]["image"])).mean() < 8  # the same face, up to GIF palette loss
    assert Image.open(shown).format == "GIF"


def test_translate_endpoint_keeps_aspect_and_returns_before_after(app):
    _, client = app
    (before, after), result, back, note = client.predict(
        "vintage", "a2b", handle_file(str(ROOT / "examples" / "cat.jpg")), 128, False, api_name="/translate"
    )
    assert result.endswith(".png")
    assert read(result).shape == (85, 128, 3) == read(before).shape  # 451×300 scaled to a 128 px long side
    assert not np.array_equal(read(before), read(after))
    assert back is None and note == ""  # no cycle asked for


def test_cycle_request_on_a_one_way_model_explains_instead_of_failing(app):
    _, client = app
    _, result, back, note = client.predict(
        "vintage", "a2b", handle_file(str(ROOT / "examples" / "cat.jpg")), 64, True, api_name="/translate"
    )
    assert result.endswith(".png") and back is None and "only translates one way" in note


def test_every_labelled_component_reaches_the_browser_with_its_props(app):
    """A component whose props do not reach the page renders as an endless spinner (seen with a subclass)."""
    demo, _ = app
    labelled = {block._id: block.label for block in demo.blocks.values() if getattr(block, "label", None)}
    config = {component["id"]: component for component in demo.get_config_file()["components"]}
    for block_id, label in labelled.items():
        assert config[block_id]["props"].get("label") == label, config[block_id]["type"]


def test_our_input_components_render_with_the_stock_front_end(app):
    """A subclass must name its parent's front-end, or the page shows nothing in its place (seen with the
    sketchpad, itself a template of the image editor)."""
    demo, _ = app
    config = {component["id"]: component for component in demo.get_config_file()["components"]}
    ours = [block for block in demo.blocks.values() if type(block).__module__.startswith("gan_demo")]
    assert {type(block).__name__ for block in ours} >= {"SafeImage", "SafeSketchpad", "SafeNumber", "SafeSlider"}
    for block in ours:
        stock = next(base for base in type(block).__mro__ if base.__module__.startswith("gradio."))
        assert config[block._id]["type"] == stock().get_block_name(), type(block).__name__


def test_sketch_endpoints_colour_an_upload_a_drawing_and_a_traced_photo(app, tmp_path):
    _, client = app
    sketch = handle_file(str(ROOT / "examples" / "sketches" / "heart.png"))
    seen, result, hint, borrowed = client.predict("emoji-sketch", sketch, api_name="/sketch_upload")
    assert read(seen).shape == read(result).shape == (256, 256, 3)
    assert read(hint).shape == (128, 128, 3)  # the bundled model borrows colours from its exemplar bank
    assert borrowed["value"] is None and not borrowed["visible"]  # a freehand heart repeats no training drawing
    drawing = Image.new("RGBA", (200, 200), (0, 0, 0, 0))  # transparent canvas, as the sketchpad sends it
    ImageDraw.Draw(drawing).ellipse((30, 30, 170, 170), outline=(0, 0, 0, 255), width=8)
    drawing.save(tmp_path / "drawing.png")
    value = {"background": None, "layers": [], "composite": handle_file(str(tmp_path / "drawing.png"))}
    seen, result, *_ = client.predict("emoji-sketch", value, api_name="/sketch")
    assert read(seen)[5, 5].tolist() == [255, 255, 255]  # flattened onto white, not black
    photo = handle_file(str(ROOT / "examples" / "coffee.jpg"))
    seen, *_ = client.predict("emoji-sketch", photo, "canny", 0.5, 3, api_name="/sketch_photo")
    assert (read(seen) < 128).any()


def test_two_way_model_translates_both_ways_and_reconstructs_the_cycle(app):
    _, client = app
    emoji = handle_file(str(ROOT / "examples" / "emoji" / "flat-astonished-face.png"))
    _, result, back, note = client.predict("emoji-flat-modern", "a2b", emoji, 128, True, api_name="/translate")
    assert read(result).shape == read(back).shape == (128, 128, 3)
    assert "Cycle error" in note
    _, reverse, _, _ = client.predict("emoji-flat-modern", "b2a", emoji, 128, False, api_name="/translate")
    assert not np.array_equal(read(result), read(reverse))
    # the bundled way back paints each part one flat colour (at its 128 px working size: 128 px in, 128 px out);
    # only part boundaries keep their own: a dozen colours cover most of the picture, unlike the way there
    assert _share_of_top_colours(read(reverse), 12) > 0.8 > 0.6 > _share_of_top_colours(read(result), 12)


def _share_of_top_colours(image: np.ndarray, n: int) -> float:
    """The share of the pixels that the n most frequent colours cover."""
    _, counts = np.unique(image.reshape(-1, 3), axis=0, return_counts=True)
    return float(np.sort(counts)[::-1][:n].sum() / counts.sum())


def test_a_model_added_at_run_time_appears_when_the_sample_tab_is_opened(tmp_path):
    from app import create_app
    from tests.conftest import tiny_entry

    demo, store = create_app(runs_dir=tmp_path)  # not launched: the handler is called directly
    refresh = next(fn for fn in demo.fns.values() if fn.api_name == "sample_models")
    before = {key for _, key in refresh.fn()["choices"]}
    store.registry.add(tiny_entry("my-finetune", task="sample", bundled="nowhere"))
    after = {key for _, key in refresh.fn()["choices"]}
    assert after - before == {"my-finetune"}


def test_an_example_row_sets_the_direction_labels_of_its_own_model(app):
    demo, client = app
    emoji = Image.open(ROOT / "examples" / "emoji" / "flat-astonished-face.png").convert("RGB")
    (example,) = [f for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "run_example"]
    _, result, back, note, radio, card = example.fn("emoji-flat-modern", emoji, 128, True)
    assert result.size == back.size == (128, 128) and "Cycle error" in note and "flat" in card
    assert radio.value == "a2b"
    labels = [label for label, _ in radio.choices]
    assert labels == ["flat → modern", "modern → flat"]  # not the labels of the app's first model
    # the same row through the running app (inside an event, the radio update behaves differently)
    emoji_file = handle_file(str(ROOT / "examples" / "emoji" / "flat-astonished-face.png"))
    _, result, back, note, direction, _ = client.predict(
        "emoji-flat-modern", emoji_file, 128, True, api_name="/run_example"
    )
    assert read(result).shape == read(back).shape == (128, 128, 3) and "Cycle error" in note
    assert direction["value"] == "a2b" and [label for label, _ in direction["choices"]] == labels
