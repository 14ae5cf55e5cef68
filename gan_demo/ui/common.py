"""Helpers shared by the tabs: model choices, and turning core errors into messages for people."""

from __future__ import annotations

import base64
import binascii
import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import gradio as gr

from gan_demo.hub import WeightsInvalid, WeightsNotFound, availability
from gan_demo.imaging import InvalidImage, load_image
from gan_demo.registry import Registry, Task, UnknownModel

log = logging.getLogger("gan_demo.ui")
F = TypeVar("F", bound=Callable[..., Any])

USER_ERRORS = (InvalidImage, WeightsNotFound, WeightsInvalid, UnknownModel, ValueError)


def model_choices(registry: Registry, task: Task) -> list[tuple[str, str]]:
    """(label, key) pairs for a dropdown; models that cannot run here say why in their label."""
    choices = []
    for entry in registry.entries(task):
        _, note = availability(entry)
        label = entry.title if note == "ready" else f"{entry.title} ({note})"
        choices.append((label, entry.key))
    return choices


def model_card_markdown(registry: Registry, key: str | None) -> str:
    if not key:
        return ""
    try:
        entry = registry.get(key)
    except UnknownModel:
        return ""
    return f"{entry.description}  \n*Licence:* {entry.licence}. *Credit:* {entry.credit}."


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
        except Exception:
            log.exception("unexpected error in %s", fn.__name__)
            raise gr.Error(
                "Something went wrong on our side; the details are in the server log.", title="Internal error"
            ) from None

    return wrapper  # type: ignore[return-value]


class SafeImage(gr.Image):
    """A `gr.Image` input decoded by our own safe loader instead of Gradio's.

    Every upload, from the browser or the API, goes through `gan_demo.imaging.load_image`: EXIF
    orientation, first frame, alpha on white, size limits, and a clear message for anything else.
    The handler receives an RGB PIL image (or None).
    """

    # Render with the stock Image front-end. No __init__ override: Gradio sends the constructor's named
    # arguments to the browser as props.
    is_template = True

    def preprocess(self, payload: Any) -> Any:
        if payload is None:
            return None
        name = getattr(payload, "orig_name", None) or "the uploaded image"
        try:
            if getattr(payload, "path", None):
                return load_image(payload.path, name=name)
            url = getattr(payload, "url", None) or ""
            if url.startswith("data:") and "," in url:
                return load_image(base64.b64decode(url.split(",", 1)[1], validate=False), name=name)
        except InvalidImage as error:
            raise gr.Error(str(error), title="Not a usable image", print_exception=False) from None
        except binascii.Error:
            pass
        raise gr.Error(f"{name}: no image data received", title="Not a usable image")


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
