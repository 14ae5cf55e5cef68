"""The StarGAN tab's endpoints through gradio_client, on a tiny untrained StarGAN run listed at run time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from tests.conftest import tiny_stargan_run

ROOT = Path(__file__).resolve().parents[1]
EMOJI = str(ROOT / "examples" / "emoji" / "flat-astonished-face.png")
HIDDEN = [0.0] * 5  # sliders 4 to 8: hidden for a three-domain model


@pytest.fixture(scope="module")
def styles(app, tmp_path_factory):
    """The key of a tiny three-domain run, listed in the running app (as a fine-tuned run would be)."""
    demo, _ = app
    folder = tiny_stargan_run(tmp_path_factory.mktemp("stargan") / "tiny-styles")
    demo.test_store.registry.add_run(folder, replace=True)
    return "tiny-styles"


def read(path: str) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_the_estimate_sets_the_start_and_an_edit_by_name_says_which_values_made_it(app, styles):
    _, client = app
    status, result, note = client.predict(styles, handle_file(EMOJI), False, api_name="/estimate")
    assert status.startswith("Estimated from the picture: red ") and "The sliders start at" in status
    assert result.endswith(".png") and read(result).shape == (256, 256, 3)  # 128 px emoji, enlarged
    first, note = client.predict(styles, handle_file(EMOJI), False, "green=1", api_name="/edit")
    again, _ = client.predict(styles, handle_file(EMOJI), False, "green = 1", api_name="/edit")
    other, other_note = client.predict(styles, handle_file(EMOJI), False, "blue=0.4, red=0.6", api_name="/edit")
    assert note == "Made with: red 0.00 · green 1.00 · blue 0.00" and other_note.endswith(
        "red 0.60 · green 0.00 · blue 0.40"
    )
    assert np.array_equal(read(first), read(again)) and not np.array_equal(read(first), read(other))


def test_the_sliders_endpoint_takes_one_value_per_slider_and_the_strip_loops(app, styles):
    _, client = app
    result, note = client.predict(styles, handle_file(EMOJI), False, 0.3, 0.7, 0.0, *HIDDEN, api_name="/edit_sliders")
    assert note == "Made with: red 0.30 · green 0.70 · blue 0.00" and read(result).shape == (256, 256, 3)
    strip, shown, gif = client.predict(
        styles, handle_file(EMOJI), False, 4, 10, 0.0, 0.0, 1.0, *HIDDEN, api_name="/strip"
    )
    assert read(strip).shape == (128 + 4, 4 * 128 + 5 * 2, 3)  # four 128 px frames in a row
    animation = Image.open(gif)
    assert animation.format == "GIF" and animation.n_frames == 6 and animation.size == (128, 128)
    assert Path(shown).name == Path(gif).name
    # the API names the sliders (slider_1 … in the model's order), so a script may give only those it moves
    parameters = client.view_api(return_format="dict", print_info=False)["named_endpoints"]["/edit_sliders"]
    assert [p["parameter_name"] for p in parameters["parameters"]][3:6] == ["slider_1", "slider_2", "slider_3"]
    _, note = client.predict(styles, handle_file(EMOJI), False, slider_2=1.0, api_name="/edit_sliders")
    assert note == "Made with: red 0.00 · green 1.00 · blue 0.00"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("purple=1", "unknown attribute 'purple'; this model has: red, green, blue"),
        ("green=3", r"green=3 is outside the allowed range 0 … 1"),
        ("green=nan", "green: expected a finite number, got nan"),
        ("green", "expected NAME=VALUE"),
    ],
)
def test_bad_values_by_name_get_a_clear_message(app, styles, text, message):
    _, client = app
    with pytest.raises(Exception, match=message):
        client.predict(styles, handle_file(EMOJI), False, text, api_name="/edit")


def test_out_of_range_slider_values_no_picture_and_unknown_or_unavailable_models_are_explained(app, styles):
    _, client = app
    with pytest.raises(Exception, match=r"red=1.2 is outside the allowed range 0 … 1"):
        client.predict(styles, handle_file(EMOJI), False, 1.2, 0.0, 0.0, *HIDDEN, api_name="/edit_sliders")
    with pytest.raises(Exception, match="Upload a picture first"):
        client.predict(styles, None, False, "green=1", api_name="/edit")
    with pytest.raises(Exception, match="no attributes model called 'vintage'"):
        client.predict("vintage", handle_file(EMOJI), False, "green=1", api_name="/edit")
    with pytest.raises(Exception, match="not in the local cache, and HF_HUB_OFFLINE is set"):
        client.predict("stargan-celeba", handle_file(EMOJI), True, "Male=1", api_name="/edit")
