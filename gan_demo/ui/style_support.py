"""What the Style transfer tab needs besides its layout: per-session stop flags, a streaming model event,
slider values → settings, and the loss curves and notes it shows. No torch here."""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr
import pandas as pd

from gan_demo.device import gpu_task
from gan_demo.tasks.style_losses import LossWeights
from gan_demo.tasks.stylize import StyleRun, StyleSettings
from gan_demo.ui.common import REQUEST_TIME_LIMIT_S, user_errors

# log₁₀ of the content, style and TV weights, then the five layer weights: shallow layers paint fine texture.
PRESETS = {
    "subtle": (0.0, 0.5, 1.0, (0.5, 0.5, 1.0, 1.0, 1.0)),
    "balanced": (0.0, 1.0, 1.0, (1.0, 1.0, 1.0, 1.0, 1.0)),
    "strong": (0.0, 2.0, 1.0, (1.0, 1.0, 1.0, 1.0, 1.0)),
}


class StopFlags:
    """One stop flag per browser session (or API client): Stop ends that person's run and nobody else's."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flags: dict[str, threading.Event] = {}

    def start(self, session: str) -> threading.Event:
        with self._lock:
            self._flags[session] = flag = threading.Event()
        return flag

    def stop(self, session: str) -> None:
        with self._lock:
            if flag := self._flags.get(session):
                flag.set()

    def finish(self, session: str, flag: threading.Event) -> None:
        with self._lock:
            if self._flags.get(session) is flag:
                del self._flags[session]


def model_stream(fn: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """`model_event` for a generator handler: each resumption gets the same readable errors."""

    @functools.wraps(fn)
    def streamed(*args: Any, **kwargs: Any) -> Iterator[Any]:
        updates = fn(*args, **kwargs)
        advance = user_errors(functools.wraps(fn)(lambda: next(updates, StopIteration)))
        try:
            while (update := advance()) is not StopIteration:
                yield update
        finally:  # a closed page closes this generator: let the handler's own clean-up run now
            updates.close()

    return gpu_task(duration=REQUEST_TIME_LIMIT_S)(streamed)


def settings_from_controls(weights: list[float], layer_weights: list[float], options: dict[str, Any]) -> StyleSettings:
    """Slider values (log₁₀ content, style, TV weights; linear layer weights) → StyleSettings."""
    content, style, tv = (10.0 ** float(value) for value in weights)
    return StyleSettings(
        weights=LossWeights(content=content, style=style, tv=tv, layers=tuple(float(w) for w in layer_weights)),
        steps=int(options["steps"]),
        size=int(options["size"]),
        optimiser=options["optimiser"],
        init=options["init"],
        preserve_colour=options["colour"],
        coarse_to_fine=bool(options["coarse"]),
    )


def loss_curves(run: StyleRun) -> pd.DataFrame:
    """The run's loss terms per step in long form, log₁₀ (the terms span orders of magnitude), floored at -4."""
    rows = [
        {"step": step.step, "log₁₀ loss": math.log10(max(value, 1e-4)), "term": name}
        for step in run.history
        for name, value in step.terms.items()
    ]
    return pd.DataFrame(rows, columns=["step", "log₁₀ loss", "term"])


def finish_note(run: StyleRun, network: str, stopped_by_user: bool) -> str:
    done = len(run.history)
    if run.stopped:
        why = "you pressed Stop" if stopped_by_user else f"the {REQUEST_TIME_LIMIT_S} s limit of one request"
        head = f"Stopped after {done} of {run.settings.steps} steps ({why}); this is the best picture so far."
    else:
        head = f"Done: {done} steps."
    terms = run.history[-1].terms if run.history else {}
    losses = ", ".join(f"{name} {value:.3g}" for name, value in terms.items())
    return f"{head} Network: **{network}**. Last losses: {losses}."


def session_of(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or "local"


def preset_values(name: str) -> list[float]:
    """A preset's slider values: log₁₀ content, style and TV weights, then the layer weights."""
    content, style, tv, layers = PRESETS[name]
    return [content, style, tv, *layers]
