"""Tab 3: pix2pix sketch → image. Draw, upload a sketch, or turn a photo into one."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
from PIL import Image

from gan_demo.edges import EDGE_METHODS, photo_to_sketch
from gan_demo.registry import UnknownModel
from gan_demo.specs import SIBLINGS_ROLE, SketchOptions
from gan_demo.store import ModelStore
from gan_demo.tasks.sketch import borrowed_colours, colour_hint, sketch_options, sketch_to_image
from gan_demo.ui.common import (
    EXAMPLES_DIR,
    SafeImage,
    SafeSketchpad,
    SafeSlider,
    model_card_markdown,
    model_event,
    model_picker,
    named,
    on_model_change,
    runnable_examples,
)
from gan_demo.ui.tabs import model_tab

DISPLAY_SIDE = 256
NEAR_COPY_SHARE = 0.5  # a sibling that takes half of some pixel or more is drawn almost like the drawing


def colour(store: ModelStore, key, sketch, progress):
    """(what the model saw, the result), enlarged to at least DISPLAY_SIDE for the page and the download,
    the colour hint of a model with an exemplar bank (None for the others), and the training emoji whose
    colours a sibling bank blended in (shown only when it did)."""
    progress(0.2, desc="Loading the generator…")
    entry, generator = store.get(key, task="sketch")
    progress(0.6, desc="Colouring…")
    options = entry.options if isinstance(entry.options, SketchOptions) else SketchOptions()
    siblings = store.optional(entry, SIBLINGS_ROLE)
    seen, result = sketch_to_image(
        generator, sketch, device=store.device, size=entry.image_size, siblings=siblings, **sketch_options(options)
    )
    hint = colour_hint(generator, seen, device=store.device)
    side = max(DISPLAY_SIDE, entry.image_size)  # small models: enlarge for the page and the download
    return (
        seen.resize((side, side), Image.Resampling.LANCZOS),
        result.resize((side, side), Image.Resampling.BICUBIC),
        hint,
        _borrowed_view(borrowed_colours(siblings, seen, device=store.device)),
    )


def _borrowed_view(borrowed: tuple | None):
    """The "borrowed colours" image: the sibling and how much of it the result took, or hidden."""
    if borrowed is None:
        return gr.Image(value=None, visible=False)
    image, peak = borrowed
    return gr.Image(value=image, label=borrowed_label(peak), visible=True)


def borrowed_label(peak: float) -> str:
    """The caption of the borrowed sibling: how alike the two drawings are follows from how much was taken (the
    bank's weight falls with the drawings' difference), so a small share does not claim an almost-equal drawing."""
    if peak >= NEAR_COPY_SHARE:
        return f"Colours borrowed from a training emoji drawn almost like yours: up to {peak:.0%} of the result"
    return f"A few colours borrowed from this training emoji: up to {peak:.0%} of the result"


def has_exemplar_bank(store: ModelStore, key: str | None) -> bool:
    """Whether the model `key` colours with hints from an exemplar bank (its config says so; nothing loads)."""
    try:
        return bool(key) and int(store.registry.get(key).config.get("exemplar_side", 0)) > 0
    except UnknownModel:
        return False


def _model_changed(store: ModelStore, key: str | None):
    """The new model's card, the colour hint shown only for a model that has one, and no borrowed colours."""
    hint = gr.Image(value=None, visible=has_exemplar_bank(store, key))
    return model_card_markdown(store.registry, key), hint, _borrowed_view(None)


def _layout(store: ModelStore) -> SimpleNamespace:
    """The tab's components, by name."""
    gr.Markdown(
        "Draw in black on the white canvas, upload a sketch, or let the app trace a photo; "
        "pix2pix fills in colour and shading."
    )
    with gr.Row():
        with gr.Column(scale=1):
            picker = model_picker(store, "sketch", info="Which sketch → image generator to use.")
            with gr.Tabs():
                with gr.Tab("Draw", id="draw"):
                    pad = SafeSketchpad(
                        label="Sketchpad",
                        type="pil",
                        image_mode="RGBA",
                        canvas_size=(512, 512),
                        brush=gr.Brush(colors=["#000000"], color_mode="fixed", default_size=14),
                        placeholder="Pick the brush (✎, on the left), then draw",
                        layers=False,
                    )
                    draw_run = gr.Button("Colour my drawing", variant="primary")
                with gr.Tab("Upload a sketch", id="upload"):
                    upload = SafeImage(
                        type="pil", label="Sketch (dark lines on white)", sources=["upload", "clipboard"]
                    )
                    upload_run = gr.Button("Colour this sketch", variant="primary")
                with gr.Tab("Photo → sketch", id="photo"):
                    tracing = _photo_inputs()
        with gr.Column(scale=2):
            with gr.Row():
                seen = gr.Image(label="What the model sees", type="pil", format="png", interactive=False, height=300)
                result = gr.Image(
                    label="Result",
                    type="pil",
                    format="png",
                    interactive=False,
                    buttons=["download", "fullscreen"],
                    height=300,
                )
            hint = gr.Image(
                label="Colour hint: the training emoji whose drawing is nearest to yours, as the model sees it",
                type="pil",
                format="png",
                interactive=False,
                visible=has_exemplar_bank(store, picker.first),
                height=220,
            )
            borrowed = gr.Image(
                label="Colours borrowed", type="pil", format="png", interactive=False, visible=False, height=220
            )

    components = named(locals(), "picker pad draw_run upload upload_run seen result hint borrowed")
    return SimpleNamespace(**vars(components), **vars(tracing))


def _photo_inputs() -> SimpleNamespace:
    """The "Photo → sketch" input tab: a photo and the line extractor's settings."""
    photo = SafeImage(type="pil", label="Photo", sources=["upload", "clipboard", "webcam"])
    method = gr.Radio(
        list(EDGE_METHODS),
        value="xdog",
        label="Line extractor",
        info="xdog: pen-like strokes; canny: thin, crisp contours.",
    )
    threshold = SafeSlider(0, 1, value=0.5, step=0.05, label="Threshold", info="Higher keeps only the strongest lines.")
    stroke = SafeSlider(
        1,
        9,
        value=3,
        step=1,
        label="Line width (px)",
        info="Thicker lines look more like the training sketches.",
    )
    photo_run = gr.Button("Trace and colour", variant="primary")
    return named(locals(), "photo method threshold stroke photo_run")


def _wire(store: ModelStore, ui: SimpleNamespace) -> None:
    model, first = ui.picker.dropdown, ui.picker.first

    @model_event
    def from_drawing(key, drawing, progress=gr.Progress()):
        if drawing is None:
            raise gr.Error("Draw something on the sketchpad first.", title="Empty sketch")
        return colour(store, key, drawing, progress)

    @model_event
    def from_upload(key, sketch, progress=gr.Progress()):
        if sketch is None:
            raise gr.Error("Upload a sketch first.", title="No image")
        return colour(store, key, sketch, progress)

    @model_event
    def from_photo(key, photo, method, threshold, stroke, progress=gr.Progress()):
        if photo is None:
            raise gr.Error("Upload a photo first.", title="No image")
        progress(0.1, desc="Extracting lines…")
        sketch = photo_to_sketch(photo, method=method, threshold=float(threshold), stroke=int(stroke))
        return colour(store, key, sketch, progress)

    outputs = [ui.seen, ui.result, ui.hint, ui.borrowed]
    photo_inputs = [model, ui.photo, ui.method, ui.threshold, ui.stroke]
    ui.draw_run.click(from_drawing, [model, ui.pad], outputs, api_name="sketch", concurrency_id="model")
    ui.upload_run.click(from_upload, [model, ui.upload], outputs, api_name="sketch_upload", concurrency_id="model")
    ui.photo_run.click(from_photo, photo_inputs, outputs, api_name="sketch_photo", concurrency_id="model")
    changed = [ui.picker.card, ui.hint, ui.borrowed]
    on_model_change(ui.picker, lambda key: _model_changed(store, key), changed, api_name="sketch_model_card")
    sketches = sorted((EXAMPLES_DIR / "sketches").glob("*.png"))
    if first and sketches:
        runnable_examples(
            [[first, str(path)] for path in sketches],
            inputs=[model, ui.upload],
            outputs=outputs,
            fn=from_upload,
            api_name="sketch_example",
            label="Example sketches (click one; it opens in “Upload”)",
        )
    photos = sorted(EXAMPLES_DIR.glob("*.jpg"))
    if first and photos:
        runnable_examples(
            [[first, str(path), "xdog", 0.5, 3] for path in photos[:2]],
            inputs=photo_inputs,
            outputs=outputs,
            fn=from_photo,
            api_name="sketch_photo_example",
            label="Example photos (traced, then coloured)",
        )


build_sketch_tab = model_tab(_layout, _wire)
