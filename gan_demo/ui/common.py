"""Helpers shared by the tabs: model choices, and turning core errors into messages for people."""

from __future__ import annotations

import functools
import inspect
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import gradio as gr
from PIL import Image, ImageChops

from gan_demo.device import gpu_task, out_of_memory, release_memory
from gan_demo.hub import WeightsInvalid, WeightsNotFound, availability
from gan_demo.imaging import InvalidImage, decode_data_url, load_image
from gan_demo.limits import Deadline, TimeLimitExceeded
from gan_demo.registry import Registry, Task, UnknownModel
from gan_demo.store import ModelStore

log = logging.getLogger("gan_demo.ui")
F = TypeVar("F", bound=Callable[..., Any])

USER_ERRORS = (InvalidImage, WeightsNotFound, WeightsInvalid, UnknownModel, TimeLimitExceeded, ValueError)
REQUEST_TIME_LIMIT_S = 60  # the longest one request may hold the shared model worker
MAX_SKETCH_LAYERS = 4  # the sketchpad sends one; API clients may send a few more
EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"


def model_choices(store: ModelStore, task: Task) -> list[tuple[str, str]]:
    """(label, key) pairs for a dropdown; models that cannot run here say why in their label."""
    return [(label, key) for label, key, _ in _listing(store, task)]


def _listing(store: ModelStore, task: Task) -> list[tuple[str, str, bool]]:
    """(label, key, usable here) of each of `task`'s models. A title already listed (a run copied from a
    bundled model keeps its title) is followed by the model's key, so that no two labels read the same."""
    listing, seen = [], set()
    for entry in store.registry.entries(task):
        usable, note = availability(entry)
        note = "broken: its weights did not load" if store.broken(entry.key) else note
        title = entry.title if entry.title not in seen else f"{entry.title} · {entry.key}"
        seen.add(entry.title)
        label = title if note == "ready" else f"{title} ({note})"
        listing.append((label, entry.key, usable and not store.broken(entry.key)))
    return listing


def model_card_markdown(registry: Registry, key: str | None) -> str:
    if not key:
        return ""
    try:
        entry = registry.get(key)
    except UnknownModel:
        return ""
    return f"{entry.description}  \n*Licence:* {entry.licence}. *Credit:* {entry.credit}."


@dataclass(frozen=True)
class ModelPicker:
    """A tab's model dropdown and the card under it; `first` is the model selected at start (or None)."""

    dropdown: gr.Dropdown
    card: gr.Markdown
    first: str | None
    keys: tuple[str, ...]  # every model listed at start


def model_picker(
    store: ModelStore,
    task: Task,
    *,
    info: str,
    label: str = "Model",
    card: Callable[[str | None], str] | None = None,  # the markdown under the dropdown; default: the model card
    prefer_usable: bool = False,  # select the first model that can run here (not a Hub preset offline)
) -> ModelPicker:
    """The dropdown of `task`'s models (broken ones say so) and the first model's card.

    Custom values are allowed: the list is refreshed when the tab opens, and API callers may name a model
    added after the page was built.
    """
    listing = _listing(store, task)
    choices = [(label, key) for label, key, _ in listing]
    usable = [key for _, key, ok in listing if ok] if prefer_usable else []
    first = (usable or [key for _, key in choices] or [None])[0]
    dropdown = gr.Dropdown(choices, value=first, allow_custom_value=True, label=label, info=info)
    text = card(first) if card else model_card_markdown(store.registry, first)
    return ModelPicker(dropdown, gr.Markdown(text), first, tuple(key for _, key in choices))


def named(scope: dict[str, Any], names: str) -> SimpleNamespace:
    """The components `names` (space-separated) of a layout function's `scope` (its locals()), by name."""
    return SimpleNamespace(**{name: scope[name] for name in names.split()})


def on_model_change(picker: ModelPicker, fn: Callable, outputs: Any, *, api_name: str) -> Any:
    """Run `fn(key)` when another model is chosen (its card, directions, sizes…), outside the model queue.

    Returns the event, for a `.then` that needs the new model's settings in place."""
    return picker.dropdown.change(
        fn, picker.dropdown, outputs, api_name=api_name, api_visibility="undocumented", queue=False
    )


def user_errors(fn: F) -> F:
    """Show core errors as a readable message in the UI; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except USER_ERRORS as error:
            raise gr.Error(str(error), title="Cannot do that", print_exception=False) from None
        except Exception as error:
            if out_of_memory(error):
                log.warning("out of memory in %s: %s", fn.__name__, error)
                release_memory()
                raise gr.Error(
                    "The device ran out of memory for this request; try a smaller size or fewer images.",
                    title="Out of memory",
                ) from None
            log.exception("unexpected error in %s", fn.__name__)
            raise gr.Error(
                "Something went wrong on our side; the details are in the server log.", title="Internal error"
            ) from None

    return wrapper  # type: ignore[return-value]


def _load_part(part: Any, name: str) -> Image.Image | None:
    """One image of a request payload (an uploaded file, a `data:` URL or raw bytes) through the safe loader."""
    if part is None:
        return None
    if isinstance(part, bytes):
        return load_image(part, name=name)
    if getattr(part, "path", None):
        return load_image(part.path, name=name)
    url = getattr(part, "url", None) or ""
    if url.startswith("data:"):
        return load_image(decode_data_url(url, name), name=name)
    raise InvalidImage(f"{name}: no image data received")


def _not_usable(error: InvalidImage) -> gr.Error:
    return gr.Error(str(error), title="Not a usable image", print_exception=False)


class SafeImage(gr.Image):
    """A `gr.Image` input decoded by our own safe loader instead of Gradio's.

    Every upload, from the browser or the API (a file, or a `data:` URL under the same size limits),
    goes through `gan_demo.imaging.load_image`: EXIF orientation, first frame, alpha on white, size
    limits, and a clear message for anything else. The handler receives an RGB PIL image (or None).
    """

    # Render with the stock Image front-end. No __init__ override: Gradio sends the constructor's named
    # arguments to the browser as props.
    is_template = True

    def preprocess(self, payload: Any) -> Any:
        if payload is None:
            return None
        try:
            return _load_part(payload, getattr(payload, "orig_name", None) or "the uploaded image")
        except InvalidImage as error:
            raise _not_usable(error) from None


class SafeSketchpad(gr.Sketchpad):
    """A `gr.Sketchpad` whose drawing is decoded by the safe loader: the handler receives one RGB image.

    The browser sends the flattened drawing (composite) and its parts (background, layers), as files or
    as blobs. Only what is needed is decoded: the composite when there is one, otherwise the background
    and the layers, one at a time, their ink combined on white. At most MAX_SKETCH_LAYERS layers.
    """

    is_template = True

    def get_block_name(self) -> str:  # gr.Sketchpad is itself a template of the ImageEditor front-end
        return "imageeditor"

    get_block_class = get_block_name

    def preprocess(self, payload: Any) -> Any:
        if payload is None:
            return None
        parts = self.blob_storage.pop(payload.id, None) if payload.id is not None else payload
        if parts is None:
            return None
        if len(parts.layers or []) > MAX_SKETCH_LAYERS:
            raise gr.Error(
                f"the drawing has {len(parts.layers)} layers; at most {MAX_SKETCH_LAYERS} are accepted",
                title="Not a usable image",
            )
        try:
            composite = _load_part(parts.composite, "the drawing")
            if composite is not None:
                return composite
            drawing = None
            for index, part in enumerate([parts.background, *(parts.layers or [])]):
                layer = _load_part(part, f"layer {index} of the drawing")
                if layer is not None:
                    drawing = layer if drawing is None else ImageChops.darker(drawing, layer.resize(drawing.size))
            return drawing
        except InvalidImage as error:
            raise _not_usable(error) from None


def _finite(value: Any, label: str | None) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise gr.Error(f"{label or 'a number'}: expected a number, got {value}", title="Cannot do that")


class SafeNumber(gr.Number):
    """A `gr.Number` that answers NaN or infinity from an API client with a message (Gradio's own rounding
    would fail with an unexplained error)."""

    is_template = True

    def preprocess(self, payload: Any) -> Any:
        _finite(payload, self.label)
        return super().preprocess(payload)


class SafeSlider(gr.Slider):
    """A `gr.Slider` that refuses NaN from an API client with a message (NaN passes Gradio's range check)."""

    is_template = True

    def preprocess(self, payload: Any) -> Any:
        _finite(payload, self.label)
        return super().preprocess(payload)


class _LimitedProgress:
    """A gr.Progress stand-in whose every update first checks the request's deadline."""

    def __init__(self, progress: Any, deadline: Deadline) -> None:
        self._progress, self._deadline = progress, deadline

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._deadline.check()
        return self._progress(*args, **kwargs)


def model_event(fn: F) -> F:
    """Wrap a handler that runs a model: readable errors, the GPU on ZeroGPU, and a time limit.

    Every progress update is a checkpoint: past REQUEST_TIME_LIMIT_S the request stops with a message, so
    no single request holds the shared model worker longer than that (plus one step: a batch or one pass).
    """

    signature = inspect.signature(fn)
    if "progress" not in signature.parameters:
        raise TypeError(f"{fn.__name__} needs a progress=gr.Progress() parameter to be a model event")

    @functools.wraps(fn)
    def limited(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)  # Gradio passes the progress tracker by position
        bound.apply_defaults()
        bound.arguments["progress"] = _LimitedProgress(bound.arguments["progress"], Deadline(REQUEST_TIME_LIMIT_S))
        return fn(*bound.args, **bound.kwargs)

    return user_errors(gpu_task(duration=REQUEST_TIME_LIMIT_S)(limited))


def runnable_examples(
    rows: list[list[Any]], *, inputs: list, outputs: list, fn: Callable, api_name: str, label: str
) -> None:
    """Example rows that run `fn` when clicked, offline and uncached (nothing runs at start-up).

    Create them after the tab's main event: an Examples event that runs `fn` would otherwise claim that
    event's api_name.
    """
    if rows:
        gr.Examples(
            rows,
            inputs=inputs,
            outputs=outputs,
            fn=fn,
            run_on_click=True,
            cache_examples=False,
            api_name=api_name,
            api_visibility="undocumented",
            label=label,
        )
