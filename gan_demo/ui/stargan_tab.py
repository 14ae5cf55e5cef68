"""Tab 4: StarGAN. One continuous slider per attribute or domain over one multi-domain generator, the
picture's own values estimated by the discriminator, and an interpolation strip and looping GIF."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from gan_demo.store import ModelStore
from gan_demo.tasks.attribute_sliders import slider_help, slider_label
from gan_demo.tasks.attributes import MAX_STRIP_FRAMES
from gan_demo.tasks.sample import WalkFolder
from gan_demo.ui.common import (
    EXAMPLES_DIR,
    ModelPicker,
    SafeImage,
    SafeSlider,
    model_event,
    model_picker,
    named,
    on_model_change,
)
from gan_demo.ui.stargan_handlers import (
    MAX_SLIDERS,
    RESET_TO,
    SLIDER_NAMES,
    card_markdown,
    edit_by_name,
    estimate,
    model_changed,
    ordered_sliders,
    prepare,
    render,
    reset,
    slide,
    slider_ranges,
    space_of,
    strip,
    value_updates,
)
from gan_demo.ui.tabs import model_tab

EXAMPLE_MODEL = "emoji-styles"
QUEUED = {"concurrency_id": "model", "trigger_mode": "always_last"}  # one model worker; the newest setting wins


def _layout(store: ModelStore) -> SimpleNamespace:
    """The tab's components, by name."""
    gr.Markdown(
        "One StarGAN generator translates a picture into any mix of the domains or attributes it was trained "
        "on. Give it a picture, then move the sliders: the result follows."
    )
    with gr.Row():
        with gr.Column(scale=1):
            picker = model_picker(
                store,
                "attributes",
                info="Which multi-domain generator to use.",
                card=lambda key: card_markdown(store, key),
                prefer_usable=True,
            )
            inputs = _input_panel(store, picker)
        with gr.Column(scale=1):
            controls = _slider_panel(store, picker.first)
        with gr.Column(scale=1):
            result = gr.Image(
                label="Result",
                type="pil",
                format="png",
                interactive=False,
                buttons=["download", "fullscreen"],
                height=300,
            )
            note = gr.Markdown()
    strip_panel = _strip_panel()
    start = gr.State(None)  # where the picture stands (the estimate), per browser session
    typed = gr.State(None)  # the label vector of the values typed by name, for the sliders
    parts = (named(locals(), "picker result note start typed"), inputs, controls, strip_panel)
    return SimpleNamespace(**{k: v for part in parts for k, v in vars(part).items()})


def _input_panel(store: ModelStore, picker: ModelPicker) -> SimpleNamespace:
    """The picture, face framing (for models trained on face crops), what was found in it, and examples."""
    frames_faces = bool(picker.first) and space_of(store, picker.first)[1].frame_faces
    image = SafeImage(type="pil", label="Your picture", sources=["upload", "clipboard", "webcam"], height=300)
    frame = gr.Checkbox(
        True,
        label="Frame the face",
        info="Find the face, edit it as the training faces were cropped, and paste it back.",
        visible=frames_faces,
    )
    status = gr.Markdown()
    pictures = sorted((EXAMPLES_DIR / "emoji").glob("*.png"))
    if EXAMPLE_MODEL in picker.keys and pictures:  # the emoji model's own examples
        gr.Examples([[str(path)] for path in pictures], inputs=[image], label="Example emoji (click one)")
    return named(locals(), "image frame status")


def _slider_panel(store: ModelStore, first: str | None) -> SimpleNamespace:
    """MAX_SLIDERS sliders (built for the widest range of any model, so that API calls are checked by the
    model's own range), the estimate and reset buttons, and values typed by name."""
    spaces = [space_of(store, entry.key)[2] for entry in store.registry.entries("attributes") if entry.attributes]
    low, high = min([s.low for s in spaces], default=0.0), max([s.high for s in spaces], default=1.0)
    space = space_of(store, first)[2] if first else None
    names = space.names if space else ()
    sliders = []
    for index in range(MAX_SLIDERS):
        name = names[index] if index < len(names) else None
        sliders.append(
            SafeSlider(
                low,
                high,
                value=0.0,
                step=0.01,
                label=slider_label(name) if name else f"Attribute {index + 1}",
                info=slider_help(space, name) if name else None,
                visible=name is not None,
                buttons=[],  # the tab's own reset goes back to the estimate, not to 0
            )
        )
    estimates = bool(first) and "discriminator" in store.registry.get(first).weights
    with gr.Row():
        estimate = gr.Button("Estimate from the picture", visible=estimates, size="sm")
        reset = gr.Button(RESET_TO[estimates], size="sm")
    with gr.Accordion("Type exact values", open=False):
        values = gr.Textbox(
            label="Values by name",
            placeholder="flat=0.3, modern=0.7",
            info="Names not given: 0 for styles; the picture's estimate for attributes.",
        )
        apply = gr.Button("Apply")
    return named(locals(), "sliders estimate reset values apply")


def _strip_panel() -> SimpleNamespace:
    with gr.Accordion("Interpolation strip and looping GIF", open=False):
        gr.Markdown("From where the picture stands (the estimate, or 0) to the sliders' setting.")
        with gr.Row():
            frames = SafeSlider(2, MAX_STRIP_FRAMES, value=8, step=1, label="Frames", info="Both ends included.")
            fps = SafeSlider(1, 30, value=8, step=1, label="GIF frames per second")
        make_strip = gr.Button("Make the strip and GIF", variant="secondary")
        strip_image = gr.Image(
            label="Strip", type="pil", format="png", interactive=False, buttons=["download", "fullscreen"]
        )
        with gr.Row():
            animation = gr.Image(label="Looping GIF", type="filepath", interactive=False, buttons=["fullscreen"])
            animation_file = gr.File(label="Download the GIF", interactive=False)
    return named(locals(), "frames fps make_strip strip_image animation animation_file")


def _wire(store: ModelStore, ui: SimpleNamespace) -> tuple:
    model, sliders = ui.picker.dropdown, ui.sliders
    source = [model, ui.image, ui.frame]

    @model_event
    def on_render(key, image, frame, progress=gr.Progress(), **values):
        return render(store, key, image, frame, ordered_sliders(values))

    @model_event
    def on_edit(key, image, frame, text, progress=gr.Progress()):
        return edit_by_name(store, key, image, frame, text, progress)

    reset_event = ui.reset.click(
        lambda key, start: reset(store, key, start),
        [model, ui.start],
        sliders,
        api_name="reset_sliders",
        api_visibility="undocumented",
        queue=False,
    )
    named_sliders = dict(zip(SLIDER_NAMES, sliders, strict=True))  # the API names them slider_1 …, not param_N
    reset_event.then(
        on_render, source, [ui.result, ui.note], inputs_kwargs=named_sliders, api_name="edit_sliders", **QUEUED
    )
    edited = ui.apply.click(on_edit, [*source, ui.values], [ui.typed, ui.result, ui.note], api_name="edit", **QUEUED)
    edited.success(value_updates, ui.typed, sliders, api_visibility="private", queue=False)
    for index, slider in enumerate(sliders):
        slider.input(
            _slide_handler(store, index),
            [*source, *sliders],
            [*sliders, ui.result, ui.note],
            api_name=f"slide_{index}",
            api_visibility="undocumented",
            show_progress="hidden",  # results follow the drag; no overlay on every step
            **QUEUED,
        )
    _wire_start(store, ui)
    _wire_strip(store, ui)
    return lambda key: slider_ranges(store, key), [model], sliders


def _wire_start(store: ModelStore, ui: SimpleNamespace) -> None:
    """A new picture, framing or model: estimate where the picture stands, set the sliders there, show it."""
    model, sliders = ui.picker.dropdown, ui.sliders
    source, outputs = [model, ui.image, ui.frame], [ui.start, ui.status, ui.result, ui.note]

    @model_event
    def on_prepare(key, image, frame, progress=gr.Progress()):
        return prepare(store, key, image, frame, progress)

    @model_event
    def on_estimate(key, image, frame, progress=gr.Progress()):
        return estimate(store, key, image, frame, progress)

    events = [
        ui.image.change(on_prepare, source, outputs, api_name="prepare", api_visibility="undocumented", **QUEUED),
        ui.frame.input(on_prepare, source, outputs, api_visibility="private", **QUEUED),
        ui.estimate.click(on_estimate, source, outputs, api_name="estimate", **QUEUED),
    ]
    changed = on_model_change(
        ui.picker,
        lambda key: model_changed(store, key),
        [ui.picker.card, ui.frame, ui.estimate, ui.reset, *sliders, *outputs],
        api_name="attributes_model_card",
    )
    events.append(changed.then(on_prepare, source, outputs, api_visibility="private", **QUEUED))
    for event in events:
        event.success(value_updates, ui.start, sliders, api_visibility="private", queue=False)


def _wire_strip(store: ModelStore, ui: SimpleNamespace) -> None:
    walks = WalkFolder()

    @model_event
    def on_strip(key, image, frame, frames, fps, start, progress=gr.Progress(), **values):
        return strip(store, walks, key, image, frame, frames, fps, start, ordered_sliders(values), progress)

    ui.make_strip.click(
        on_strip,
        [ui.picker.dropdown, ui.image, ui.frame, ui.frames, ui.fps, ui.start],
        [ui.strip_image, ui.animation, ui.animation_file],
        inputs_kwargs=dict(zip(SLIDER_NAMES, ui.sliders, strict=True)),
        api_name="strip",
        **QUEUED,
    )


def _slide_handler(store: ModelStore, index: int):
    @model_event
    def on_slide(key, image, frame, progress=gr.Progress(), *values):
        return slide(store, index, key, image, frame, values)

    return on_slide


build_stargan_tab = model_tab(_layout, _wire)
