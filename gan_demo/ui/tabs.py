"""What a tab builder receives and gives back, so that every tab is built and wired the same way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from gan_demo.registry import Task
from gan_demo.store import ModelStore
from gan_demo.training.worker import TrainingWorker


@dataclass(frozen=True)
class TabContext:
    """What the app hands every tab builder."""

    store: ModelStore
    worker: TrainingWorker
    runs_dir: Path  # where fine-tuned runs are saved and listed from


@dataclass(frozen=True)
class TabHooks:
    """What the app wires after building a tab."""

    models: gr.Dropdown | None = None  # relisted when the tab is opened and on every page load
    on_select: tuple | None = None  # (fn, inputs, outputs) run when the tab is opened


@dataclass(frozen=True)
class TabDef:
    """One row of the app's tab table; a row without a builder shows the placeholder tab."""

    id: str  # stable: used in URLs and by the browser test
    title: str
    task: Task | None  # whose models the tab lists (None: the tab lists none)
    build: Callable[[TabContext], TabHooks] | None = None
    summary: str = ""  # placeholder only: what the tab will do
    command: str = ""  # placeholder only: the matching CLI command


def model_tab(
    layout: Callable[[ModelStore], SimpleNamespace], wire: Callable[[ModelStore, SimpleNamespace], tuple | None]
) -> Callable[[TabContext], TabHooks]:
    """The builder of a tab that runs one task's models: its layout (with a `picker`), then its events.

    The app relists the picker's models when the tab is opened (a fine-tuned run appears, a model breaks);
    `wire` may return (fn, inputs, outputs) to run then too (TabHooks.on_select).
    """

    def build(context: TabContext) -> TabHooks:
        ui = layout(context.store)
        on_select = wire(context.store, ui)
        return TabHooks(models=ui.picker.dropdown, on_select=on_select)

    return build
