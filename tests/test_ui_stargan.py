"""The StarGAN tab's handlers, with a fake store whose generator paints the label vector as a colour (so each
result shows which values made it) and whose discriminator always gives the same estimate."""

from __future__ import annotations

import dataclasses
import math

import gradio as gr
import pytest
import torch
from PIL import Image

from gan_demo.entries import ModelEntry, WeightSource
from gan_demo.hub import WeightsNotFound
from gan_demo.registry import Registry
from gan_demo.specs import AttributeOptions
from gan_demo.tasks.attribute_sliders import parse_values, slider_label, slider_values
from gan_demo.tasks.attributes import AttributeSpace
from gan_demo.tasks.sample import WalkFolder
from gan_demo.ui import stargan_handlers as tab
from tests.conftest import tiny_stargan_run

STYLES = ("modern", "flat", "high-contrast")
CELEBA = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young")
HAIR = AttributeOptions(
    exclusive=False, groups=("Black_Hair|Blond_Hair|Brown_Hair",), frame_faces=True, low=-0.5, high=1.5
)


class PaintLabels(torch.nn.Module):
    """A "generator" whose output is flat colour: red, green, blue = the first three labels (0 → 0, 1 → 255)."""

    size_multiple = 4

    def forward(self, image: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        colour = (labels[:, :3].clamp(0, 1) * 2 - 1)[:, :, None, None]
        return colour.expand(-1, -1, *image.shape[2:])


class FixedGuess(torch.nn.Module):
    """A "discriminator" whose classifier always gives `logits`."""

    image_size = 16

    def __init__(self, logits: list[float]) -> None:
        super().__init__()
        self.logits = torch.tensor([logits])

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.zeros(len(image), 1, 2, 2), self.logits.expand(len(image), -1)


def attribute_entry(key: str, names=STYLES, options=AttributeOptions(), *, discriminator: bool = True) -> ModelEntry:
    roles = ("generator", "discriminator") if discriminator else ("generator",)
    return ModelEntry(
        key=key,
        task="attributes",
        title=f"Test {key}",
        description="d",
        architecture="stargan_generator",
        config={},
        weights={role: WeightSource(bundled=f"/nowhere/{key}/{role}") for role in roles},
        image_size=16,
        licence="MIT",
        credit="tests",
        attributes=names,
        options=options,
    )


class FakeStore:
    """The store's interface: PaintLabels for every generator, FixedGuess(guesses[key]) for discriminators
    (a key without a guess: its discriminator's weights are missing)."""

    def __init__(self, *entries: ModelEntry, guesses: dict[str, list[float]] | None = None) -> None:
        self.registry = Registry(entries)
        self.device = torch.device("cpu")
        self.guesses = guesses or {}
        self.loaded: list[tuple[str, str]] = []

    def get(self, key, role=None):
        entry = self.registry.get(key)
        self.loaded.append((key, role))
        if role == "discriminator":
            if key not in self.guesses:
                raise WeightsNotFound(f"no discriminator weights for {key}")
            return entry, FixedGuess(self.guesses[key])
        return entry, PaintLabels()


def no_progress(*args, **kwargs) -> None:
    return None


def emoji_store() -> FakeStore:
    return FakeStore(
        attribute_entry("styles"),
        attribute_entry("faces", CELEBA, HAIR),
        attribute_entry("plain", discriminator=False),
        guesses={"styles": [0.0, 3.0, 0.0], "faces": [3.0, -3.0, -3.0, 0.0, 3.0]},
    )


PICTURE = Image.new("RGB", (40, 40), (128, 128, 128))


def colour(image: Image.Image) -> tuple[int, int, int]:
    return image.getpixel((image.width // 2, image.height // 2))


def test_each_model_shows_one_slider_per_domain_or_attribute_with_its_range_and_hides_the_rest():
    store = emoji_store()
    _, frame, estimate, reset, *sliders, start, status, result, note = tab.model_changed(store, "styles")
    assert [s["visible"] for s in sliders] == [True] * 3 + [False] * (tab.MAX_SLIDERS - 3)
    assert [s["label"] for s in sliders[:3]] == ["Modern", "Flat", "High-contrast"]
    assert (sliders[0]["minimum"], sliders[0]["maximum"], sliders[0]["value"]) == (0.0, 1.0, 0.0)
    assert "raising one lowers the others" in sliders[1]["info"] and frame["visible"] is False
    assert (start, status, result, note) == (None, "", None, "")  # the last model's result goes
    assert estimate["visible"] is True and reset["value"] == tab.RESET_TO[True]
    _, frame, _, _, *sliders, _, _, _, _ = tab.model_changed(store, "faces")
    assert sum(s["visible"] for s in sliders) == 5 and (sliders[3]["minimum"], sliders[3]["maximum"]) == (-0.5, 1.5)
    assert sliders[0]["label"] == "Black hair" and "lowers blond hair and brown hair" in sliders[0]["info"]
    assert "lowers" not in sliders[3]["info"] and sliders[3]["info"] == "0 = no, 1 = yes, beyond them exaggerates."
    assert frame["visible"] is True
    _, _, estimate, reset, *_ = tab.model_changed(store, "plain")
    assert estimate["visible"] is False and reset["value"] == tab.RESET_TO[False]


def test_a_new_picture_is_estimated_and_the_sliders_start_at_its_most_likely_style():
    start, status, result, note = tab.prepare(emoji_store(), "styles", PICTURE, True, no_progress)
    assert start == [0.0, 1.0, 0.0] and "flat 0.91 · high-contrast 0.0" in status and "**flat**" in status
    assert colour(result) == (0, 255, 0) and result.size == (tab.DISPLAY_SIDE, tab.DISPLAY_SIDE)
    assert note == "Made with: modern 0.00 · flat 1.00 · high-contrast 0.00"
    assert [u.get("value") for u in tab.value_updates(start)][:3] == [0.0, 1.0, 0.0]


def test_attributes_start_at_the_estimate_and_without_a_discriminator_at_zero():
    store = emoji_store()
    start, *_ = tab.estimate(store, "faces", PICTURE, False, no_progress)
    assert start == pytest.approx([0.953, 0.047, 0.047, 0.5, 0.953], abs=1e-3)  # sigmoids, not one-hot
    start, status, result, _ = tab.estimate(store, "plain", PICTURE, False, no_progress)
    assert start == [0.0, 0.0, 0.0] and "start at 0" in status and colour(result) == (0, 0, 0)


def test_moving_one_style_lowers_the_others_and_the_result_follows_without_touching_the_dragged_slider():
    *updates, result, note = tab.slide(emoji_store(), 1, "styles", PICTURE, False, (1.0, 0.7, 0.0, 0, 0, 0, 0, 0))
    assert updates[0]["value"] == pytest.approx(0.3) and updates[1] == gr.update() and updates[2]["value"] == 0
    assert (
        colour(result) == pytest.approx((76.5, 178.5, 0), abs=1)
        and note == "Made with: modern 0.30 · flat 0.70 · high-contrast 0.00"
    )


def test_raising_one_hair_colour_lowers_the_others_but_not_sex_or_age():
    values = (0.6, 0.0, 0.4, 1.0, 1.0, 0, 0, 0)
    *updates, _, note = tab.slide(emoji_store(), 1, "faces", PICTURE, False, (0.6, 0.8, *values[2:]))
    assert [updates[0]["value"], updates[2]["value"]] == pytest.approx([0.12, 0.08])
    assert updates[3]["value"] == updates[4]["value"] == 1.0 and "Blond_Hair 0.80" in note


def test_values_typed_by_name_leave_other_styles_at_zero_and_other_attributes_at_the_estimate():
    store = emoji_store()
    vector, result, _ = tab.edit_by_name(store, "styles", PICTURE, False, "modern = 0.7, flat=0.3", no_progress)
    assert vector == [0.7, 0.3, 0.0] and colour(result) == pytest.approx((178.5, 76.5, 0), abs=1)
    vector, _, _ = tab.edit_by_name(store, "faces", PICTURE, False, "Male=1.5", no_progress)
    assert vector[3] == 1.5 and vector[0] == pytest.approx(0.953, abs=1e-3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("purple=1", "unknown attribute 'purple'; this model has: modern, flat, high-contrast"),
        ("flat=1.2", r"flat=1.2 is outside the allowed range 0 … 1"),
        ("flat=nan", "flat: expected a finite number, got nan"),
        ("flat=-inf", "flat: expected a finite number"),
        ("flat", "expected NAME=VALUE"),
        ("flat=much", "'much' is not a number"),
        ("flat=1 flat=0", "flat is given twice"),
        ("  ", "type at least one NAME=VALUE; this model has: modern, flat"),
    ],
)
def test_bad_values_by_name_are_refused_with_the_valid_names_or_the_range(text, message):
    with pytest.raises(ValueError, match=message):
        tab.edit_by_name(emoji_store(), "styles", PICTURE, False, text, no_progress)


def test_slider_values_are_checked_against_the_models_own_range_and_names():
    space = AttributeSpace.of(STYLES, AttributeOptions())
    with pytest.raises(ValueError, match=r"flat=1.5 is outside the allowed range 0 … 1"):
        slider_values(space, [0, 1.5, 0, 0])
    with pytest.raises(ValueError, match="expected a finite number"):
        slider_values(space, [0, math.nan, 0])
    with pytest.raises(ValueError, match="slider 5 is not used: this model has modern, flat, high-contrast"):
        slider_values(space, [0, 0, 0, 0, 1], moved=4)
    assert slider_values(space, [0.2, 0.3, 0.5, 9, 9]) == [0.2, 0.3, 0.5]  # hidden sliders are ignored
    assert parse_values("a=1;b=-0.5 c = 2") == {"a": 1.0, "b": -0.5, "c": 2.0}
    assert slider_label("Black_Hair") == "Black hair" and slider_label("high-contrast") == "High-contrast"


def test_no_picture_is_asked_for_and_a_missing_face_is_said_plainly_with_the_whole_image_one_click_away():
    store = emoji_store()
    assert tab.prepare(store, "styles", None, True, no_progress) == (None, "", None, "")
    with pytest.raises(gr.Error, match="Upload a picture first"):
        tab.estimate(store, "styles", None, True, no_progress)
    start, status, result, _ = tab.prepare(store, "faces", PICTURE, True, no_progress)  # no face in grey
    assert start is None and result is None and "No face found" in status and "Untick “Frame the face”" in status
    with pytest.raises(tab.NoFace, match="No face found"):
        tab.slide(store, 0, "faces", PICTURE, True, (1, 0, 0, 0, 0, 0, 0, 0))
    start, status, result, _ = tab.prepare(store, "faces", PICTURE, False, no_progress)  # the whole image
    assert start is not None and result.size == (tab.DISPLAY_SIDE, tab.DISPLAY_SIDE) and "Face found" not in status


def test_reset_goes_back_to_the_estimate_or_to_zero_without_one():
    store = emoji_store()
    assert [u["value"] for u in tab.reset(store, "styles", [0.0, 1.0, 0.0])[:3]] == [0.0, 1.0, 0.0]
    assert [u["value"] for u in tab.reset(store, "styles", None)[:3]] == [0.0, 0.0, 0.0]
    assert [u["value"] for u in tab.reset(store, "styles", [1.0, 0.0])[:3]] == [0.0, 0.0, 0.0]  # another model's
    vector_result, note = tab.render(store, "styles", PICTURE, False, (0.0, 0.0, 1.0, 0, 0, 0, 0, 0))
    assert colour(vector_result) == (0, 0, 255) and "high-contrast 1.00" in note


def test_the_strip_runs_from_the_start_to_the_sliders_and_loops_as_a_gif():
    steps = []
    row, path, same = tab.strip(
        emoji_store(),
        WalkFolder(),
        "styles",
        PICTURE,
        False,
        5,
        10,
        None,  # no estimate in this session yet: the discriminator's is used
        (1.0, 0.0, 0.0, 0, 0, 0, 0, 0),
        lambda fraction, desc="": steps.append(fraction),
    )
    assert path == same and path.endswith("styles-strip-5f.gif") and steps[-1] == (5, 5)
    assert row.size == (5 * 40 + 6 * 2, 40 + 2 * 2)  # five 40 px frames in a row, 2 px apart
    assert colour(row.crop((2, 2, 42, 42))) == (0, 255, 0) and colour(row.crop((170, 2, 210, 42))) == (255, 0, 0)
    gif = Image.open(path)
    assert gif.n_frames == 8 and gif.info["loop"] == 0  # forward and back


def test_a_missing_discriminator_means_no_estimate_and_a_hub_model_offline_says_it_is_unavailable():
    store = FakeStore(attribute_entry("styles"))  # no guess: its discriminator's weights are not here
    start, status, _, _ = tab.estimate(store, "styles", PICTURE, False, no_progress)
    assert start == [0.0, 0.0, 0.0] and "No discriminator here" in status
    hub = dataclasses.replace(attribute_entry("hub"), weights={"generator": WeightSource(hub_repo="someone/stargan")})
    assert "Not available here: unavailable offline" in tab.card_markdown(FakeStore(hub), "hub")
    offline = FakeStore(hub)
    offline.get = lambda key, role=None: (_ for _ in ()).throw(WeightsNotFound("weights not found; tried: Hub"))
    start, status, result, _ = tab.prepare(offline, "hub", PICTURE, False, no_progress)  # on upload: no toast
    assert start is None and result is None and status == "⚠️ This model cannot run here: weights not found; tried: Hub."
    with pytest.raises(WeightsNotFound):  # asked for: an error message
        tab.estimate(offline, "hub", PICTURE, False, no_progress)
    with pytest.raises(KeyError, match="no attributes model called 'sample'"):
        tab.slide(store, 0, "sample", PICTURE, False, (1, 0, 0, 0, 0, 0, 0, 0))


def test_the_first_model_that_can_run_here_is_selected(tmp_path):
    from gan_demo.registry import Registry as RealRegistry
    from gan_demo.store import ModelStore
    from gan_demo.ui.common import model_picker

    registry = RealRegistry(())
    registry.add(dataclasses.replace(attribute_entry("hub"), weights={"generator": WeightSource(hub_repo="x/y")}))
    registry.add_run(tiny_stargan_run(tmp_path / "tiny-styles"))
    with gr.Blocks():
        picker = model_picker(ModelStore(registry, torch.device("cpu")), "attributes", info="", prefer_usable=True)
        plain = model_picker(ModelStore(registry, torch.device("cpu")), "attributes", info="")
    assert picker.first == "tiny-styles" and plain.first == "hub" and picker.keys == ("hub", "tiny-styles")


def test_a_face_is_framed_edited_and_pasted_back_into_the_whole_photo(face_photo):
    start, status, result, _ = tab.prepare(emoji_store(), "faces", face_photo, True, no_progress)
    assert status.startswith("Face found: editing the ") and start[0] == pytest.approx(0.953, abs=1e-3)
    assert result.size == face_photo.size
    assert result.getpixel((5, 5)) == face_photo.getpixel((5, 5))  # outside the face: the photo as it was
    assert result.getpixel((228, 188)) != face_photo.getpixel((228, 188))  # the face: painted by the generator
