"""The StarGAN tab's handlers: plain functions of the model store (tested without a browser), and the
slider updates they return. No torch here."""

from __future__ import annotations

import re

import gradio as gr
from PIL import Image

from gan_demo.faces import FaceNotFound
from gan_demo.hub import WeightsNotFound, availability
from gan_demo.imaging import make_grid
from gan_demo.registry import ModelEntry, UnknownModel
from gan_demo.specs import AttributeOptions
from gan_demo.store import ModelStore
from gan_demo.tasks.attribute_sliders import parse_values, slider_help, slider_label, slider_values
from gan_demo.tasks.attributes import AttributeEditor, AttributeSpace, Framed, describe
from gan_demo.tasks.sample import WalkFolder
from gan_demo.ui.common import model_card_markdown

MAX_SLIDERS = 8  # sliders built; each model shows as many as it has attributes or domains
SLIDER_NAMES = [f"slider_{index}" for index in range(1, MAX_SLIDERS + 1)]  # their names in the API
DISPLAY_SIDE = 256  # smaller results are enlarged to this side (px)
STRIP_SIDE = 256  # strip and GIF frames are scaled down to at most this side (px)
NO_FACE = "No face found in the picture. Untick “Frame the face” to edit the whole image."
RESET_TO = {True: "↺ Reset to the estimate", False: "↺ Reset to 0"}


class NoFace(gr.Error):
    """Face framing is on and the picture shows no face."""


def space_of(store: ModelStore, key) -> tuple[ModelEntry, AttributeOptions, AttributeSpace]:
    entry = store.registry.get(key, "attributes")  # an unknown key or another task's model names the valid ones
    options = entry.options if isinstance(entry.options, AttributeOptions) else AttributeOptions()
    return entry, options, AttributeSpace.of(entry.attributes, options)


def _editor(store: ModelStore, key, *, estimate: bool = True) -> AttributeEditor:
    space_of(store, key)
    return AttributeEditor.load(store, key, estimate=estimate)


def _framed(editor: AttributeEditor, image, frame):
    if image is None:
        raise gr.Error("Upload a picture first (or click an example).", title="No image", print_exception=False)
    try:
        return Framed.of(image, frame_faces=bool(frame) and editor.frames_faces)
    except FaceNotFound:
        raise NoFace(NO_FACE, title="No face found", print_exception=False) from None


def _edit(editor: AttributeEditor, framed, vector) -> Image.Image:
    """The edit at `vector`; small pictures (a 128 px emoji) enlarged to DISPLAY_SIDE for the page and the PNG."""
    result = editor.edit(framed, [vector])[0]
    if max(result.size) >= DISPLAY_SIDE:
        return result
    scale = DISPLAY_SIDE / max(result.size)
    return result.resize((round(result.width * scale), round(result.height * scale)), Image.Resampling.LANCZOS)


def _zeros(space: AttributeSpace) -> list[float]:
    return [min(max(0.0, space.low), space.high)] * len(space.names)


def _note(space: AttributeSpace, vector) -> str:
    return f"Made with: {describe(space, vector)}"


def slider_config(space: AttributeSpace | None, values=None) -> list[dict]:
    """Updates for the MAX_SLIDERS sliders: one per name (label, help, the model's range), the rest hidden."""
    names = space.names[:MAX_SLIDERS] if space else ()
    updates = []
    for index in range(MAX_SLIDERS):
        if index >= len(names):
            updates.append(gr.update(visible=False))
            continue
        value = {} if values is None else {"value": values[index]}
        label, info = slider_label(names[index]), slider_help(space, names[index])
        updates.append(gr.update(visible=True, label=label, info=info, minimum=space.low, maximum=space.high, **value))
    return updates


def ordered_sliders(named: dict) -> list:
    """The sliders' values in order, from the API's keyword arguments slider_1 … slider_8."""
    return [named.get(name) for name in SLIDER_NAMES]


def value_updates(values, *, skip: int | None = None) -> list[dict]:
    """Updates that set the sliders' values (None: leave them), except slider `skip` (the one being dragged)."""
    values = list(values or [])[:MAX_SLIDERS]
    return [gr.update(value=round(v, 4)) if i != skip else gr.update() for i, v in enumerate(values)] + [
        gr.update()
    ] * (MAX_SLIDERS - len(values))


def card_markdown(store: ModelStore, key) -> str:
    """The model card, and plainly whether the model can run here and whether it estimates a start."""
    text = model_card_markdown(store.registry, key)
    try:
        entry = store.registry.get(key, "attributes")
    except UnknownModel:
        return text
    usable, note = availability(entry)
    if not usable:
        return f"{text}\n\n⚠️ **Not available here: {note}.** It runs once its weights are in the local cache."
    if "discriminator" not in entry.weights:
        return f"{text}\n\nThis model has no discriminator, so the sliders start at 0."
    return text


def model_changed(store: ModelStore, key):
    """(card, face checkbox, estimate button, reset button, *sliders at 0, start, status, result, note) for
    another model: the last model's result and estimate go."""
    cleared = (None, "", None, "")
    try:
        entry, options, space = space_of(store, key)
    except UnknownModel:
        return card_markdown(store, key), *[gr.update()] * (3 + MAX_SLIDERS), *cleared
    estimates = "discriminator" in entry.weights
    return (
        card_markdown(store, key),
        gr.update(visible=options.frame_faces, value=True),
        gr.update(visible=estimates),
        gr.update(value=RESET_TO[estimates]),
        *slider_config(space, _zeros(space)),
        *cleared,
    )


def slider_ranges(store: ModelStore, key) -> list[dict]:
    """The sliders' labels and ranges for `key` (values untouched): what a fresh page shows for the model."""
    try:
        return slider_config(space_of(store, key)[2])
    except UnknownModel:
        return [gr.update()] * MAX_SLIDERS


def start_status(editor: AttributeEditor, framed, guess) -> str:
    where = f"Face found: editing the {framed.square.side} px square around it. " if framed.square else ""
    if guess is None:
        return where + "No discriminator here to estimate from, so the sliders start at 0."
    text = f"Estimated from the picture: {describe(editor.space, guess)}."
    if editor.space.exclusive:
        best = editor.space.names[max(range(len(guess)), key=guess.__getitem__)]
        text += f" The sliders start at its most likely style, **{best}**."
    return where + text


def estimate(store: ModelStore, key, image, frame, progress):
    """(start values, status, result, note): where the picture stands, and the edit at those values."""
    progress(0.1, desc="Loading the model…")
    editor = _editor(store, key)
    framed = _framed(editor, image, frame)
    progress(0.5, desc="Estimating where the picture stands…")
    guess = editor.estimate(framed)
    start = editor.start_at(guess)
    result = _edit(editor, framed, start)
    return start, start_status(editor, framed, guess), result, _note(editor.space, start)


def prepare(store: ModelStore, key, image, frame, progress):
    """estimate() for a new picture, model or framing, run without being asked: no picture clears the result;
    no face, or a model whose weights are not here, is said in the status line."""
    if image is None:
        return None, "", None, ""
    try:
        return estimate(store, key, image, frame, progress)
    except NoFace as error:
        return None, f"⚠️ {error.message}", None, ""
    except WeightsNotFound as error:
        return None, f"⚠️ This model cannot run here: {error}.", None, ""


def slide(store: ModelStore, index: int, key, image, frame, values):
    """(*slider updates, result, note) after slider `index` moved: its group gives way to it."""
    editor = _editor(store, key, estimate=False)
    vector = slider_values(editor.space, values, moved=index)
    result = _edit(editor, _framed(editor, image, frame), vector)
    return *value_updates(vector, skip=index), result, _note(editor.space, vector)


def render(store: ModelStore, key, image, frame, values):
    """(result, note) at the sliders' values as they are."""
    editor = _editor(store, key, estimate=False)
    vector = slider_values(editor.space, values)
    return _edit(editor, _framed(editor, image, frame), vector), _note(editor.space, vector)


def edit_by_name(store: ModelStore, key, image, frame, text, progress):
    """(label vector, result, note) for values typed by name. Names not given: 0 for a domain model; where
    the picture stands (the estimate) for an attribute model, as `gan-demo edit` does."""
    progress(0.1, desc="Loading the model…")
    editor = _editor(store, key)
    values = parse_values(text or "")
    if not values:
        raise ValueError(f"type at least one NAME=VALUE; this model has: {', '.join(editor.space.names)}")
    editor.space.check_all(values)
    framed = _framed(editor, image, frame)
    progress(0.5, desc="Editing…")
    start = _zeros(editor.space) if editor.space.exclusive else editor.start(framed)
    vector = editor.target(values, start)
    return vector, _edit(editor, framed, vector), _note(editor.space, vector)


def reset(store: ModelStore, key, start) -> list[dict]:
    """The sliders back at the picture's estimate (or 0 where there is none)."""
    space = space_of(store, key)[2]
    return value_updates(start if start and len(start) == len(space.names) else _zeros(space))


def strip(store: ModelStore, walks: WalkFolder, key, image, frame, frames, fps, start, values, progress):
    """(strip PNG, GIF path, GIF path): `frames` edits from the picture's start values to the sliders'."""
    progress(0.05, desc="Loading the model…")
    editor = _editor(store, key)
    end = slider_values(editor.space, values)
    framed = _framed(editor, image, frame)
    start = start if start and len(start) == len(end) else editor.start(framed)
    images = editor.frames(
        framed,
        start,
        end,
        int(frames),
        max_side=STRIP_SIDE,
        on_progress=lambda done, total: progress((done, total), desc="Rendering frames"),
    )
    name = re.sub(r"[^\w.-]+", "_", str(key))
    path = str(walks.write(f"{name}-strip-{len(images)}f.gif", images, fps=float(fps)))
    return make_grid(images, columns=len(images)), path, path
