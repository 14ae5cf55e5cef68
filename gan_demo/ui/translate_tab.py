"""Tab 2: CycleGAN image-to-image translation."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from gan_demo.specs import TranslateOptions
from gan_demo.store import ModelStore
from gan_demo.tasks.translate import Translation, other_direction, translate_there_and_back
from gan_demo.ui.common import (
    EXAMPLES_DIR,
    SafeImage,
    SafeSlider,
    model_card_markdown,
    model_event,
    model_picker,
    named,
    on_model_change,
    runnable_examples,
)
from gan_demo.ui.tabs import model_tab


def direction_choices(store: ModelStore, key: str | None) -> list[tuple[str, str]]:
    if not key:
        return []
    entry = store.registry.get(key)
    choices = [(label, role) for role, label in entry.directions.items()]
    # Both roles are always valid choices, so API callers can ask for either without first changing the
    # model in a browser session; a one-way model answers "b2a" with a clear message.
    missing = [role for role in ("a2b", "b2a") if role not in entry.directions]
    return choices + [("reverse (two-way models only)", role) for role in missing]


def first_role(choices: list[tuple[str, str]]) -> str | None:
    """The role of the first direction choice: what a model runs unless asked otherwise."""
    return choices[0][1] if choices else None


def translate(store: ModelStore, key, direction, source, max_side, show_cycle, progress):
    """(before/after pair, result, reconstruction, note) for the tab's outputs."""
    if source is None:
        raise gr.Error("Upload a picture first.", title="No image")
    progress(0.1, desc="Loading the generator…")
    entry, generator = store.get(key, direction or None, task="translate")
    back_role = other_direction(direction or next(iter(entry.weights)))
    backward = None
    if show_cycle and back_role in entry.weights:
        progress(0.3, desc="Loading the way back…")
        _, backward = store.get(key, back_role)
    progress(0.5, desc="Translating there and back…" if backward else "Translating…")
    options = entry.options if isinstance(entry.options, TranslateOptions) else TranslateOptions()
    done = translate_there_and_back(
        generator, source, device=store.device, backward=backward, max_side=int(max_side), work_side=options.work_side
    )
    return (done.source, done.result), done.result, done.reconstruction, cycle_note(entry.title, show_cycle, done)


def cycle_note(title: str, asked: bool, done: Translation) -> str:
    if done.cycle_error is not None:
        return (
            f"Cycle error ‖F(G(x)) − x‖₁: **{done.cycle_error:.3f}** per pixel "
            "(0 = perfect round trip, 1 = black ↔ white)."
        )
    return f"{title} only translates one way, so there is no way back to reconstruct." if asked else ""


def model_changed(store: ModelStore, key):
    """The direction radio of the model (first direction selected) and its card."""
    directions = direction_choices(store, key)
    return gr.Radio(choices=directions, value=first_role(directions)), model_card_markdown(store.registry, key)


def _layout(store: ModelStore) -> SimpleNamespace:
    """The tab's components, by name."""
    gr.Markdown("Upload a photo and translate it into another style. Drag the slider to compare.")
    with gr.Row():
        with gr.Column(scale=1):
            picker = model_picker(store, "translate", info="Which translation to apply.")
            directions = direction_choices(store, picker.first)
            direction = gr.Radio(
                directions, value=first_role(directions), label="Direction", info="Two-way models translate either way."
            )
            image = SafeImage(type="pil", label="Your picture", sources=["upload", "clipboard", "webcam"])
            max_side = SafeSlider(
                64,
                1024,
                value=512,
                step=32,
                label="Max side (px)",
                info="Larger pictures are scaled down to this first; bigger is slower.",
            )
            show_cycle = gr.Checkbox(
                False,
                label="Show the cycle reconstruction (A → B → A)",
                info="Translate back with the other generator and measure how much of the picture survives.",
            )
            run = gr.Button("Translate", variant="primary")
        with gr.Column(scale=2):
            compare = gr.ImageSlider(label="Before / after", type="pil", format="png")
            result = gr.Image(
                label="Result", type="pil", format="png", interactive=False, buttons=["download", "fullscreen"]
            )
            with gr.Row():
                reconstruction = gr.Image(label="Cycle reconstruction", type="pil", format="png", interactive=False)
                cycle_note = gr.Markdown()
    return named(locals(), "picker direction image max_side show_cycle run compare result reconstruction cycle_note")


def _wire(store: ModelStore, ui: SimpleNamespace) -> None:
    model, first = ui.picker.dropdown, ui.picker.first
    outputs = [ui.compare, ui.result, ui.reconstruction, ui.cycle_note]

    @model_event
    def on_translate(key, direction, source, max_side, show_cycle, progress=gr.Progress()):
        return translate(store, key, direction, source, max_side, show_cycle, progress)

    ui.run.click(
        on_translate,
        [model, ui.direction, ui.image, ui.max_side, ui.show_cycle],
        outputs,
        api_name="translate",
        concurrency_id="model",
    )

    def run_example(key, source, max_side, show_cycle, progress=gr.Progress()):
        """An example row: the model's first direction, and the direction radio and card set to match."""
        radio, card = model_changed(store, key)  # a component built inside an event is an update: it has no .value
        role = first_role(direction_choices(store, key))
        return (*on_translate(key, role, source, max_side, show_cycle, progress), radio, card)

    # Rows carry no direction: an Examples table shows a Radio value with the labels of the model that was
    # selected when the app started, and loading a row puts those labels back; the rows run the first
    # direction and run_example sets the radio from the row's own model.
    rows = [[first, str(path), 384, False] for path in sorted(EXAMPLES_DIR.glob("*.jpg"))]
    if "emoji-flat-modern" in ui.picker.keys:
        flat = sorted((EXAMPLES_DIR / "emoji").glob("flat-*.png"))  # the pair translates flat ↔ modern
        rows += [["emoji-flat-modern", str(path), 256, True] for path in flat]
    if first and rows:
        runnable_examples(
            rows,
            inputs=[model, ui.image, ui.max_side, ui.show_cycle],
            outputs=[*outputs, ui.direction, ui.picker.card],
            fn=run_example,
            api_name="translate_example",
            label="Try these (click a row to run it)",
        )
    on_model_change(
        ui.picker,
        lambda key: model_changed(store, key),
        [ui.direction, ui.picker.card],
        api_name="translate_model_card",
    )


build_translate_tab = model_tab(_layout, _wire)
