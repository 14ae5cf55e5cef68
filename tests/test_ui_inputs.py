"""The app's input components: every image and number that reaches a handler went through our checks."""

from __future__ import annotations

import base64
import io

import gradio as gr
import pytest
from gradio.components.image_editor import EditorData, EditorDataBlobs
from gradio.data_classes import FileData
from PIL import Image, ImageDraw

from gan_demo.imaging import MAX_FILE_BYTES
from gan_demo.ui.common import MAX_SKETCH_LAYERS, SafeImage, SafeNumber, SafeSketchpad, SafeSlider, model_event


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def stroke(size: int, line: tuple[int, int, int, int]) -> Image.Image:
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(layer).line(line, fill=(0, 0, 0, 255), width=3)
    return layer


def saved(tmp_path, name: str, image: Image.Image) -> FileData:
    path = tmp_path / name
    image.save(path)
    return FileData(path=str(path), orig_name=name)


def test_sketchpad_layers_are_combined_on_white_when_no_composite_is_sent(tmp_path):
    pad = SafeSketchpad()
    layers = [
        saved(tmp_path, "a.png", stroke(32, (0, 0, 31, 31))),
        saved(tmp_path, "b.png", stroke(32, (0, 31, 31, 0))),
    ]
    drawing = pad.preprocess(EditorData(background=None, layers=layers, composite=None))
    assert drawing.mode == "RGB"
    assert drawing.getpixel((2, 2)) == (0, 0, 0) and drawing.getpixel((2, 29)) == (0, 0, 0)  # both strokes kept
    assert drawing.getpixel((16, 2)) == (255, 255, 255)
    assert pad.preprocess(EditorData(background=None, layers=[], composite=None)) is None


def test_sketchpad_blobs_go_through_the_same_loader():
    pad = SafeSketchpad()
    pad.blob_storage["x"] = EditorDataBlobs(background=None, layers=[], composite=png_bytes(stroke(32, (0, 0, 31, 0))))
    drawing = pad.preprocess(EditorData(id="x"))
    assert drawing.getpixel((16, 0)) == (0, 0, 0) and "x" not in pad.blob_storage
    pad.blob_storage["y"] = EditorDataBlobs(background=None, layers=[], composite=b"not a picture")
    with pytest.raises(gr.Error, match="the drawing: not a supported image"):
        pad.preprocess(EditorData(id="y"))


def test_sketchpad_refuses_too_many_layers_before_decoding_any(tmp_path):
    layer = saved(tmp_path, "a.png", stroke(16, (0, 0, 15, 15)))
    with pytest.raises(gr.Error, match=f"at most {MAX_SKETCH_LAYERS}"):
        SafeSketchpad().preprocess(EditorData(layers=[layer] * (MAX_SKETCH_LAYERS + 1), composite=layer))


def test_sketchpad_layers_have_the_upload_path_limits(tmp_path):
    huge = tmp_path / "huge.png"
    huge.write_bytes(b"\0" * (MAX_FILE_BYTES + 1))
    with pytest.raises(gr.Error, match=r"layer 1 of the drawing: the file is larger than 20 MB"):
        SafeSketchpad().preprocess(EditorData(layers=[FileData(path=str(huge))], composite=None))


def test_a_data_url_has_the_upload_size_limit_and_is_not_decoded_when_too_big():
    small = "data:image/png;base64," + base64.b64encode(png_bytes(stroke(16, (0, 0, 15, 15)))).decode()
    assert SafeImage().preprocess(FileData(path="", url=small)).size == (16, 16)
    too_big = "data:image/png;base64," + "A" * (MAX_FILE_BYTES * 4 // 3 + 8)
    with pytest.raises(gr.Error, match="larger than 20 MB"):
        SafeImage().preprocess(FileData(path="", url=too_big))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_numbers_that_are_not_numbers_are_explained(value):
    with pytest.raises(gr.Error, match="Seed: expected a number"):
        SafeNumber(label="Seed", precision=0).preprocess(value)
    with pytest.raises(gr.Error, match="Frames: expected a number"):
        SafeSlider(2, 10, label="Frames").preprocess(value)
    assert SafeSlider(2, 10, label="Frames").preprocess(4.0) == 4.0


def test_a_model_event_stops_at_its_time_limit(monkeypatch):
    import gan_demo.ui.common as common

    monkeypatch.setattr(common, "REQUEST_TIME_LIMIT_S", -1)  # already past: the first progress update stops it
    steps = []

    @model_event
    def slow(n, progress=gr.Progress()):
        for step in range(n):
            progress((step, n))
            steps.append(step)
        return "done"

    with pytest.raises(gr.Error, match="time limit for one request"):
        slow(5, gr.Progress())  # Gradio passes the tracker by position
    assert steps == []
    monkeypatch.setattr(common, "REQUEST_TIME_LIMIT_S", 60)
    assert slow(3) == "done" and steps == [0, 1, 2]
