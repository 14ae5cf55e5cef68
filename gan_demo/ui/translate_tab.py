"""Tab 2: CycleGAN image-to-image translation."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from gan_demo.imaging import fit_within
from gan_demo.store import ModelStore
from gan_demo.tasks import translate_image
from gan_demo.tasks.translate import cycle_reconstruction, other_direction
from gan_demo.ui.common import (
    SafeImage,
    SafeSlider,
    model_card_markdown,
    model_choices,
    model_event,
    runnable_examples,
)

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"


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


def build_translate_tab(store: ModelStore) -> gr.Dropdown:
    """Build the tab; returns its model dropdown so the app can refresh the choices."""
    choices = model_choices(store, "translate")
    first = choices[0][1] if choices else None

    @model_event
    def translate(key, direction, source, max_side, show_cycle, progress=gr.Progress()):
        if source is None:
            raise gr.Error("Upload a picture first.", title="No image")
        progress(0.1, desc="Loading the generator…")
        entry, generator = store.get(key, direction or None)
        before = fit_within(source, int(max_side))
        role = direction or next(iter(entry.weights))
        work_side = entry.task_options.get("work_side")
        if not show_cycle or other_direction(role) not in entry.weights:
            progress(0.4, desc="Translating…")
            after = translate_image(generator, before, device=store.device, max_side=None, work_side=work_side)
            note = (
                f"{entry.title} only translates one way, so there is no way back to reconstruct." if show_cycle else ""
            )
            return (before, after), after, None, note
        progress(0.3, desc="Loading the way back…")
        _, backward = store.get(key, other_direction(role))
        progress(0.5, desc="Translating there and back…")
        after, back, error = cycle_reconstruction(
            generator, backward, before, device=store.device, max_side=None, work_side=work_side
        )
        note = f"Cycle error ‖F(G(x)) − x‖₁: **{error:.3f}** per pixel (0 = perfect round trip, 1 = black ↔ white)."
        return (before, after), after, back, note

    def on_model_change(key):
        directions = direction_choices(store, key)
        return (
            gr.Radio(choices=directions, value=first_role(directions)),
            model_card_markdown(store.registry, key),
        )

    gr.Markdown("Upload a photo and translate it into another style. Drag the slider to compare.")
    with gr.Row():
        with gr.Column(scale=1):
            model = gr.Dropdown(
                choices, value=first, allow_custom_value=True, label="Model", info="Which translation to apply."
            )
            card = gr.Markdown(model_card_markdown(store.registry, first))
            directions = direction_choices(store, first)
            direction = gr.Radio(
                directions,
                value=first_role(directions),
                label="Direction",
                info="Two-way models translate either way.",
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

    run.click(
        translate,
        [model, direction, image, max_side, show_cycle],
        [compare, result, reconstruction, cycle_note],
        api_name="translate",
        concurrency_id="model",
    )

    def run_example(key, source, max_side, show_cycle, progress=gr.Progress()):
        """An example row: the model's first direction, and the direction radio and card set to match."""
        radio, card = on_model_change(key)  # a component built inside an event is an update: it has no .value
        role = first_role(direction_choices(store, key))
        return (*translate(key, role, source, max_side, show_cycle, progress), radio, card)

    # Rows carry no direction: an Examples table shows a Radio value with the labels of the model that was
    # selected when the app started, and loading a row puts those labels back; the rows run the first
    # direction and run_example sets the radio from the row's own model.
    rows = [[first, str(path), 384, False] for path in sorted(EXAMPLES_DIR.glob("*.jpg"))]
    if "emoji-flat-modern" in [key for _, key in choices]:
        rows += [["emoji-flat-modern", str(path), 256, True] for path in sorted((EXAMPLES_DIR / "emoji").glob("*.png"))]
    if first and rows:
        runnable_examples(
            rows,
            inputs=[model, image, max_side, show_cycle],
            outputs=[compare, result, reconstruction, cycle_note, direction, card],
            fn=run_example,
            api_name="translate_example",
            label="Try these (click a row to run it)",
        )
    model.change(
        on_model_change,
        model,
        [direction, card],
        api_name="translate_model_card",
        api_visibility="undocumented",
        queue=False,
    )
    return model
