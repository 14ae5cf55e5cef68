"""Tab 5: neural style transfer (Gatys et al.), streamed while it paints, with a Stop that keeps the best."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from types import SimpleNamespace

import gradio as gr

from gan_demo.limits import Deadline
from gan_demo.registry import UnknownModel
from gan_demo.store import ModelStore
from gan_demo.tasks.style_losses import FeatureLayers
from gan_demo.tasks.stylize import INITS, MAX_SIZE, MAX_STEPS, MIN_SIZE, StyleRun
from gan_demo.ui.common import (
    EXAMPLES_DIR,
    REQUEST_TIME_LIMIT_S,
    SafeImage,
    SafeSlider,
    model_card_markdown,
    model_picker,
    on_model_change,
)
from gan_demo.ui.common import runnable_examples as examples
from gan_demo.ui.style_support import (
    PRESETS,
    StopFlags,
    finish_note,
    loss_curves,
    model_stream,
    preset_values,
    session_of,
    settings_from_controls,
)
from gan_demo.ui.tabs import model_tab

MAX_STYLES = 3
STREAM_EVERY = 4  # steps between live updates of the picture and the curves
LAYER_NAMES = ("finest texture", "fine", "medium", "large", "largest strokes")  # the five style layers
COLOUR_LABELS = [
    ("keep the style's colours", "none"),
    ("keep the photo's colours: transfer luminance only", "luminance"),
    ("keep the photo's colours: recolour the style first", "histogram"),
]
TERM_COLOURS = {"content": "#2b6cb0", "style": "#c53030", "tv": "#2f855a", "total": "#4a5568"}
EXAMPLE_PAIRS = (("cat", "swirls"), ("coffee", "mosaic"), ("rocket", "dots"))


def _slider(low: float, high: float, value: float, step: float, label: str, info: str) -> SafeSlider:
    return SafeSlider(low, high, value=value, step=step, label=label, info=info)


def _style_slots() -> tuple[list, list]:
    """Up to MAX_STYLES style images, each with its weight in the blend."""
    images, weights = [], []
    with gr.Row():
        for index in range(1, MAX_STYLES + 1):
            with gr.Column(min_width=110):
                images.append(
                    SafeImage(
                        type="pil",
                        label=f"Style {index}",
                        sources=["upload", "clipboard"],
                        height=140,
                        elem_id=f"style-{index}",
                    )
                )
                weight = 1.0 if index == 1 else 0.5
                weights.append(_slider(0, 1, weight, 0.05, f"Style {index} weight", "Its share of the blended style."))
    return images, weights


def _weight_sliders() -> list:
    return [
        _slider(-2, 2, 0, 0.1, "Content weight (log₁₀)", "Higher keeps more of the photo's shapes."),
        _slider(-1, 5, 1, 0.1, "Style weight (log₁₀)", "Higher paints more of the style's texture."),
        _slider(-2, 4, 1, 0.1, "Smoothness weight (log₁₀)", "Total variation: higher removes speckle, too high blurs."),
    ]


def _advanced_controls() -> tuple[list, list]:
    """Per-layer style weights, optimiser, start image and coarse-to-fine, folded away."""
    with gr.Accordion("Layers, optimiser, start", open=False):
        layers = [
            _slider(0, 1, 1.0, 0.05, f"Style layer {i}: {name}", "Weight of the textures this layer sees.")
            for i, name in enumerate(LAYER_NAMES, start=1)
        ]
        optimiser = gr.Radio(
            ["lbfgs", "adam"],
            value="lbfgs",
            label="Optimiser",
            info="L-BFGS converges in fewer steps; Adam is gentler.",
        )
        init = gr.Radio(list(INITS), value="content", label="Start from", info="The photo, the first style, or noise.")
        coarse = gr.Checkbox(
            True, label="Coarse to fine", info="Half the steps at half the size: larger strokes, faster."
        )
    return layers, [optimiser, init, coarse]


def _output_column() -> list:
    live = gr.Image(label="Being painted", type="pil", format="png", interactive=False, height=360)
    curves = gr.LinePlot(
        x="step",
        y="log₁₀ loss",
        color="term",
        label="Loss terms (blue: content, red: style, green: smoothness, grey: total)",
        height=280,
        color_map=TERM_COLOURS,
    )
    compare = gr.ImageSlider(label="Before / after", type="pil", format="png")
    result = gr.Image(label="Result", type="pil", format="png", interactive=False, buttons=["download", "fullscreen"])
    return [live, curves, compare, result, gr.Markdown()]


def painting(store: ModelStore, stops: StopFlags, key, content, styles, settings, session) -> Iterator[tuple]:
    """Stream (live picture, curves, before/after, result, note) while the picture is painted; Stop keeps it."""
    entry, network = store.get(key, task="stylize")
    layers = FeatureLayers.from_options(entry.options)
    run = StyleRun(network, content, styles, settings, layers=layers, device=store.device)
    flag, deadline = stops.start(session), Deadline(REQUEST_TIME_LIMIT_S)
    try:
        for step in run.steps(stop=lambda: flag.is_set() or deadline.remaining() < 0):
            if step.step % STREAM_EVERY == 0:
                note = f"Painting: step {step.step} of {step.total} at {step.size[0]}×{step.size[1]} px…"
                yield run.preview(), loss_curves(run), gr.skip(), gr.skip(), note
        result = run.result()
        before = content.convert("RGB").resize(result.size)
        yield result, loss_curves(run), (before, result), result, finish_note(run, entry.title, flag.is_set())
    finally:
        stops.finish(session, flag)


def _layout(store: ModelStore) -> SimpleNamespace:
    """The tab's components, by name."""
    gr.Markdown(
        "Repaint a photo in the style of one or more images (Gatys, Ecker & Bethge, CVPR 2016): the picture is "
        "optimised step by step until its features match the photo and its textures match the styles. "
        "Watch it being painted; **Stop** keeps the best picture so far."
    )
    with gr.Row():
        with gr.Column(scale=1):
            picker = model_picker(
                store,
                "stylize",
                label="Feature network",
                info="Whose eyes judge content and style.",
                card=functools.partial(_network_note, store),
            )
            content = SafeImage(
                type="pil",
                label="Content photo",
                sources=["upload", "clipboard", "webcam"],
                height=220,
                elem_id="content",
            )
            styles, style_weights = _style_slots()
            preset = gr.Radio(list(PRESETS), value="balanced", label="Preset", info="Sets the weights below.")
            with gr.Row():
                run = gr.Button("Paint", variant="primary")
                halt = gr.Button("Stop", variant="stop")
            weights = _weight_sliders()
            colour = gr.Radio(COLOUR_LABELS, value="none", label="Colours", info="Take only the style's strokes?")
            with gr.Row():
                steps = _slider(1, MAX_STEPS, 100, 1, "Steps", "Loss evaluations: more is slower and finer.")
                size = _slider(
                    MIN_SIZE, MAX_SIZE, 256, 32, "Output size (px)", "Long side; 512 is ~4× slower per step."
                )
            layers, advanced = _advanced_controls()
        with gr.Column(scale=2):
            outputs = _output_column()
    slots = [item for pair in zip(styles, style_weights, strict=True) for item in pair]
    settings = [*weights, *layers, colour, steps, size, *advanced]
    return SimpleNamespace(
        picker=picker,
        content=content,
        styles=styles,
        slots=slots,
        settings=settings,
        preset=preset,
        presets=[*weights, *layers],
        run=run,
        halt=halt,
        outputs=outputs,
    )


def _wire(store: ModelStore, ui: SimpleNamespace) -> None:
    stops, first = StopFlags(), ui.picker.first

    @model_stream
    def paint(key, content, style_1, weight_1, style_2, weight_2, style_3, weight_3, log_content, log_style, log_tv,
              layer_1, layer_2, layer_3, layer_4, layer_5, colour, steps, size, optimiser, init, coarse,
              request: gr.Request):  # fmt: skip
        if content is None:
            raise gr.Error("Upload a content photo first.", title="No image")
        options = {
            "steps": steps,
            "size": size,
            "optimiser": optimiser,
            "init": init,
            "colour": colour,
            "coarse": coarse,
        }
        layer_weights = [layer_1, layer_2, layer_3, layer_4, layer_5]
        settings = settings_from_controls([log_content, log_style, log_tv], layer_weights, options)
        styles = [(style_1, weight_1), (style_2, weight_2), (style_3, weight_3)]
        yield from painting(store, stops, key, content, styles, settings, session_of(request))

    inputs = [ui.picker.dropdown, ui.content, *ui.slots, *ui.settings]
    ui.run.click(paint, inputs, ui.outputs, api_name="stylize", concurrency_id="model")

    def stop(request: gr.Request) -> None:
        stops.stop(session_of(request))

    ui.halt.click(stop, None, None, api_name="style_stop", queue=False)
    ui.preset.input(preset_values, ui.preset, ui.presets, api_name="style_preset", queue=False)
    note = functools.partial(_network_note, store)
    on_model_change(ui.picker, note, ui.picker.card, api_name="style_network_card")

    def paint_example(photo, style, request: gr.Request):
        content_w, style_w, tv_w, layer_w = PRESETS["balanced"]
        yield from paint(first, photo, style, 1.0, None, 0.0, None, 0.0, content_w, style_w, tv_w, *layer_w,
                         "none", 80, 256, "lbfgs", "content", True, request)  # fmt: skip

    photos = {path.stem: path for path in EXAMPLES_DIR.glob("*.jpg")}
    rows = [[str(photos[p]), str(EXAMPLES_DIR / "styles" / f"{s}.png")] for p, s in EXAMPLE_PAIRS if p in photos]
    if first and rows:
        label = "Try these (balanced preset, 80 steps at 256 px)"
        examples(
            rows,
            inputs=[ui.content, ui.styles[0]],
            outputs=ui.outputs,
            fn=paint_example,
            api_name="style_example",
            label=label,
        )


def _network_note(store: ModelStore, key: str | None) -> str:
    try:
        entry = store.registry.get(key) if key else None
    except UnknownModel:  # a value typed by an API caller: the request itself will say so
        entry = None
    if entry is None:
        return ""
    return f"**Network in use:** {entry.title}.  \n" + model_card_markdown(store.registry, key)


build_style_tab = model_tab(_layout, _wire)
