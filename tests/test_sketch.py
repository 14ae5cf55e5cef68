"""pix2pix pieces: U-Net layouts, sketch framing, line extraction, sketchpad flattening."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from gan_demo.edges import canny_sketch, photo_to_sketch, xdog_sketch
from gan_demo.hub import load_network
from gan_demo.imaging import load_image
from gan_demo.models import HugganUnetGenerator, UnetGenerator
from gan_demo.registry import Registry
from gan_demo.store import ModelStore
from gan_demo.tasks.sketch import BlankSketch, frame_sketch, ink_box, sketch_to_image
from gan_demo.ui.sketch_tab import has_exemplar_bank
from tests.conftest import tiny_entry

CPU = torch.device("cpu")


@pytest.mark.parametrize(("num_downs", "side"), [(7, 128), (8, 256)])
def test_unet_keeps_the_size_it_was_built_for(num_downs, side):
    generator = UnetGenerator(num_downs=num_downs, base_channels=2).eval()
    assert generator(torch.zeros(1, 3, side, side)).shape == (1, 3, side, side)
    assert generator.size_multiple == side


def test_unet_256_has_the_reference_parameter_count_and_keys():
    keys = UnetGenerator(num_downs=8, base_channels=64).state_dict()
    assert "model.model.1.model.3.model.3.model.3.model.3.model.3.model.1.weight" in keys  # the innermost conv
    assert "model.model.0.weight" in keys and "model.model.0.bias" not in keys  # outermost down: no bias
    assert sum(v.numel() for k, v in keys.items() if "running" not in k and "num_batches" not in k) == 54_413_955


def test_unet_reference_checkpoint_round_trip(tmp_path):
    """A junyanz latest_net_G.pth made here (batch norm, with running stats) loads strictly and runs the same."""
    source = UnetGenerator(num_downs=5, base_channels=4, norm="batch")
    torch.save({f"module.{k}": v for k, v in source.state_dict().items()}, tmp_path / "latest_net_G.pth")
    entry = tiny_entry(task="sketch", layout="junyanz")
    entry = type(entry)(
        **{
            **entry.__dict__,
            "architecture": "unet_generator",
            "config": {"num_downs": 5, "base_channels": 4, "norm": "batch"},
        }
    )
    loaded = load_network(entry, "generator", device=CPU, explicit=tmp_path / "latest_net_G.pth")
    x = torch.rand(2, 3, 64, 96) * 2 - 1  # non-square, multiples of 32
    torch.testing.assert_close(loaded(x), source.eval()(x))


def test_huggan_unet_has_the_hub_layout():
    generator = HugganUnetGenerator()
    keys = generator.state_dict()
    assert len(keys) == 17 and "down8.model.0.weight" in keys and "final.2.bias" in keys
    assert sum(p.numel() for p in generator.parameters()) == 54_404_099


def test_ink_box_finds_the_drawing_and_blank_canvases_are_refused():
    canvas = Image.new("RGB", (200, 100), "white")
    ImageDraw.Draw(canvas).rectangle((50, 20, 80, 60), outline="black", width=3)
    assert ink_box(canvas) == (50, 20, 81, 61)
    with pytest.raises(BlankSketch, match="draw something"):
        frame_sketch(Image.new("RGB", (64, 64), "white"), 128)


def test_framing_centres_a_small_drawing_on_a_white_square():
    canvas = Image.new("RGB", (400, 300), "white")
    ImageDraw.Draw(canvas).ellipse((10, 10, 60, 40), outline="black", width=4)  # small, in a corner
    framed = np.asarray(frame_sketch(canvas, 128).convert("L"))
    dark = np.argwhere(framed < 128)
    assert framed.shape == (128, 128)
    assert dark[:, 1].min() < 16 and dark[:, 1].max() > 112  # the ellipse now spans the frame's width
    assert abs((dark[:, 0].min() + dark[:, 0].max()) / 2 - 64) < 6  # vertically centred


def test_a_drawing_that_fills_its_square_canvas_is_only_resized():
    """Line art framed like the training pairs stays where it is, so the output lines up with the input."""
    canvas = Image.new("RGB", (256, 256), "white")
    ImageDraw.Draw(canvas).ellipse((8, 40, 243, 200), outline="black", width=8)  # 0.92 of the side, off-centre
    framed = frame_sketch(canvas, 128)
    expected = canvas.resize((128, 128), Image.Resampling.LANCZOS)
    assert np.array_equal(np.asarray(framed), np.asarray(expected))
    smaller = Image.new("RGB", (256, 256), "white")
    ImageDraw.Draw(smaller).ellipse((40, 60, 200, 180), outline="black", width=8)  # 0.63 of the side: framed
    dark = np.argwhere(np.asarray(frame_sketch(smaller, 128).convert("L")) < 128)
    assert dark[:, 1].min() < 12 and dark[:, 1].max() > 116
    crowded = Image.new("RGB", (256, 256), "white")
    ImageDraw.Draw(crowded).ellipse((0, 20, 232, 240), outline="black", width=8)  # touches the left border: framed
    dark = np.argwhere(np.asarray(frame_sketch(crowded, 128).convert("L")) < 128)
    assert dark[:, 1].min() > 3 and dark[:, 1].max() < 124


def test_line_art_at_the_model_size_goes_in_as_it_is():
    """An image at the model's own size is taken as prepared like the training pairs, even where its ink touches
    the border or leaves a wide margin (Fluent line art does both); the same drawing larger is framed."""
    for box in ((0, 20, 127, 110), (40, 40, 88, 88)):  # touches both side borders; small and centred
        art = Image.new("RGB", (128, 128), "white")
        ImageDraw.Draw(art).ellipse(box, outline="black", width=6)
        assert np.array_equal(np.asarray(frame_sketch(art, 128)), np.asarray(art))
        larger = art.resize((256, 256), Image.Resampling.NEAREST)
        framed = np.asarray(frame_sketch(larger, 128))
        assert not np.array_equal(framed, np.asarray(art))
        dark = np.argwhere(framed.mean(-1) < 128)
        assert dark[:, 1].min() > 3 and dark[:, 1].max() < 124  # re-framed: clear of the border, filling it


def test_transparent_sketchpad_composite_is_flattened_onto_white():
    composite = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    ImageDraw.Draw(composite).line((5, 5, 60, 60), fill=(0, 0, 0, 255), width=4)
    flat = load_image(composite)
    assert flat.mode == "RGB" and flat.getpixel((60, 5)) == (255, 255, 255) and flat.getpixel((30, 30)) == (0, 0, 0)
    assert ink_box(flat) is not None


def synthetic_photo() -> Image.Image:
    image = Image.new("RGB", (120, 90), (200, 200, 200))
    ImageDraw.Draw(image).rectangle((30, 20, 90, 70), fill=(40, 60, 160))
    return image


@pytest.mark.parametrize("extract", [canny_sketch, xdog_sketch])
def test_edges_of_a_rectangle_lie_on_its_border(extract):
    lines = np.asarray(extract(synthetic_photo()).convert("L")) < 128
    assert lines.any()
    rows, cols = np.nonzero(lines)
    assert rows.min() >= 15 and rows.max() <= 75 and cols.min() >= 25 and cols.max() <= 95
    assert not lines[35:55, 45:75].any()  # nothing inside the flat interior


def test_higher_threshold_keeps_fewer_lines():
    photo = Image.effect_noise((80, 80), 60).convert("RGB")
    counts = [
        (np.asarray(photo_to_sketch(photo, method="xdog", threshold=t).convert("L")) < 128).sum() for t in (0.1, 0.9)
    ]
    assert counts[0] > counts[1]


def test_bad_edge_settings_are_refused():
    with pytest.raises(ValueError, match="canny, xdog"):
        photo_to_sketch(synthetic_photo(), method="sobel")
    with pytest.raises(ValueError, match="threshold"):
        photo_to_sketch(synthetic_photo(), threshold=2)


def test_sketch_to_image_returns_model_sized_pair():
    generator = UnetGenerator(num_downs=5, base_channels=2, norm="instance").eval()
    sketch = Image.new("RGB", (300, 200), "white")
    ImageDraw.Draw(sketch).ellipse((50, 50, 150, 150), outline="black", width=5)
    seen, result = sketch_to_image(generator, sketch, device=CPU, size=48)  # 48 is not a multiple of 32: padded
    assert seen.size == result.size == (48, 48)


@pytest.mark.parametrize("width", [3, 5, 9])
def test_stroke_width_is_measured_within_a_pixel(width):
    from gan_demo.edges import stroke_width

    image = Image.new("RGB", (128, 128), "white")
    ImageDraw.Draw(image).line((10, 64, 118, 64), fill="black", width=width)
    assert abs(stroke_width(image) - width) < 1


def test_thin_pen_lines_are_widened_and_bold_ones_left_alone():
    from gan_demo.edges import match_stroke_width, stroke_width

    thin = Image.new("RGB", (128, 128), "white")
    ImageDraw.Draw(thin).ellipse((20, 20, 108, 108), outline="black", width=2)
    assert stroke_width(match_stroke_width(thin, 6)) > 4.5
    bold = Image.new("RGB", (128, 128), "white")
    ImageDraw.Draw(bold).ellipse((20, 20, 108, 108), outline="black", width=8)
    assert match_stroke_width(bold, 6) is bold


def test_mirror_average_is_the_mean_of_the_sketch_and_its_mirror_image():
    torch.manual_seed(0)
    generator = UnetGenerator(num_downs=5, base_channels=2, norm="instance").eval()
    sketch = Image.new("RGB", (64, 64), "white")
    ImageDraw.Draw(sketch).ellipse((4, 10, 40, 50), outline="black", width=4)  # not symmetric: the mirror differs
    options = {"device": CPU, "size": 48, "fit_to_ink": False}  # 48: padded to the U-Net's multiple of 32
    _, plain = sketch_to_image(generator, sketch, **options)
    _, mirrored = sketch_to_image(generator, sketch.transpose(Image.Transpose.FLIP_LEFT_RIGHT), **options)
    _, averaged = sketch_to_image(generator, sketch, mirror_average=True, **options)
    both = (np.asarray(plain, float) + np.asarray(mirrored, float)[:, ::-1]) / 2
    assert np.abs(np.asarray(averaged, float) - both).max() <= 1.0  # up to rounding to 8 bits
    assert np.abs(np.asarray(averaged, float) - np.asarray(plain, float)).max() > 1.0


def test_the_colour_hint_is_offered_for_models_with_an_exemplar_bank_only():
    store = ModelStore(Registry(), torch.device("cpu"))
    assert has_exemplar_bank(store, "emoji-sketch")  # bundled: exemplar-guided
    assert not has_exemplar_bank(store, "pix2pix-maps")  # a plain pix2pix U-Net
    assert not has_exemplar_bank(store, "no-such-model") and not has_exemplar_bank(store, None)
