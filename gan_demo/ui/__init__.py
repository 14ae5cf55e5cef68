"""Gradio only: one row per tab in TABS, one module per tab, thin handlers. No torch here."""

from __future__ import annotations

import functools
from pathlib import Path

import gradio as gr

from gan_demo import __version__
from gan_demo.imaging import LIMITS_TEXT
from gan_demo.registry import Task
from gan_demo.store import ModelStore
from gan_demo.training.worker import TrainingWorker
from gan_demo.ui import cache_files
from gan_demo.ui.common import REQUEST_TIME_LIMIT_S, model_choices
from gan_demo.ui.finetune_tab import build_finetune_tab
from gan_demo.ui.sample_tab import build_sample_tab
from gan_demo.ui.sketch_tab import build_sketch_tab
from gan_demo.ui.stargan_tab import build_stargan_tab
from gan_demo.ui.style_tab import build_style_tab
from gan_demo.ui.tabs import TabContext, TabDef, TabHooks
from gan_demo.ui.translate_tab import build_translate_tab
from gan_demo.ui.upcoming_tab import build_upcoming_tab

TITLE = "GAN Playground"
CSS = ".gan-header h1 {margin-bottom: 0} .gan-header p {margin-top: 4px; opacity: .8}"

TABS: tuple[TabDef, ...] = (
    TabDef("sample", "Sample", "sample", build_sample_tab),
    TabDef("cyclegan", "CycleGAN", "translate", build_translate_tab),
    TabDef("sketch", "Sketch → image", "sketch", build_sketch_tab),
    TabDef("stargan", "StarGAN", "attributes", build_stargan_tab),
    TabDef("style", "Style transfer", "stylize", build_style_tab),
    TabDef("finetune", "Fine-tune", None, build_finetune_tab),
)


def build_app(store: ModelStore, device_label: str, *, worker: TrainingWorker, runs_dir: Path) -> gr.Blocks:
    """The whole Blocks app: header, one tab per row of TABS, footer."""
    cache_files.install()  # outputs are cached whole, however many requests make the same one at once
    context = TabContext(store=store, worker=worker, runs_dir=runs_dir)
    with gr.Blocks(title=TITLE, delete_cache=(3600, 3600)) as demo:
        slow = "" if "GPU" in device_label else " On a CPU, expect up to a few seconds per picture."
        gr.Markdown(
            f"# {TITLE}\nSee, try and fine-tune the classic image GANs: sampling, CycleGAN, pix2pix, "
            f"StarGAN and neural style transfer.\n\nRunning on **{device_label}**.{slow}",
            elem_classes="gan-header",
        )
        with gr.Tabs():
            for row in TABS:
                with gr.Tab(row.title, id=row.id) as tab:
                    hooks = row.build(context) if row.build else _placeholder(context, row)
                _wire(demo, tab, row, hooks, store)
        gr.Markdown(
            f"<small>gan-demo {__version__} · models are credited on their cards · outputs are PNG; use the "
            f"download buttons · {LIMITS_TEXT} · each request stops after {REQUEST_TIME_LIMIT_S} s.</small>"
        )
    return demo


def _placeholder(context: TabContext, row: TabDef) -> TabHooks:
    build_upcoming_tab(context.store.registry, row.task, row.summary, row.command)
    return TabHooks()


def _wire(demo: gr.Blocks, tab: gr.Tab, row: TabDef, hooks: TabHooks, store: ModelStore) -> None:
    """Model lists change at run time (a fine-tuned run appears, a model's weights fail to load): a tab lists
    them afresh when it is opened, and so does every page load. A tab may ask for more on opening (the
    Fine-tune tab finds a reloaded page's job again: the id is in the browser's storage)."""
    if hooks.models is not None and row.task is not None:
        refresh = functools.partial(_fresh_choices, store, row.task)
        tab.select(
            refresh, outputs=hooks.models, api_name=f"{row.task}_models", api_visibility="undocumented", queue=False
        )
        demo.load(refresh, outputs=hooks.models, api_visibility="private", queue=False)
    if hooks.on_select is not None:
        tab.select(*hooks.on_select, api_visibility="private", queue=False)


def _fresh_choices(store: ModelStore, task: Task) -> dict:
    return gr.update(choices=model_choices(store, task))
