"""Gradio only: one builder per tab, thin handlers. No torch here."""

from __future__ import annotations

import functools
from pathlib import Path

import gradio as gr

from gan_demo import __version__
from gan_demo.imaging import LIMITS_TEXT
from gan_demo.registry import Task
from gan_demo.store import ModelStore
from gan_demo.training.worker import TrainingWorker
from gan_demo.ui.common import REQUEST_TIME_LIMIT_S, model_choices
from gan_demo.ui.finetune_tab import build_finetune_tab
from gan_demo.ui.sample_tab import build_sample_tab
from gan_demo.ui.sketch_tab import build_sketch_tab
from gan_demo.ui.style_tab import build_style_tab
from gan_demo.ui.translate_tab import build_translate_tab
from gan_demo.ui.upcoming_tab import build_upcoming_tab

TITLE = "GAN Playground"
CSS = ".gan-header h1 {margin-bottom: 0} .gan-header p {margin-top: 4px; opacity: .8}"


def build_app(store: ModelStore, device_label: str, *, worker: TrainingWorker, runs_dir: Path) -> gr.Blocks:
    """The whole Blocks app: header, six tabs, footer."""
    with gr.Blocks(title=TITLE, delete_cache=(3600, 3600)) as demo:
        slow = "" if "GPU" in device_label else " On a CPU, expect up to a few seconds per picture."
        gr.Markdown(
            f"# {TITLE}\nSee, try and fine-tune the classic image GANs: sampling, CycleGAN, pix2pix, "
            f"StarGAN and neural style transfer.\n\nRunning on **{device_label}**.{slow}",
            elem_classes="gan-header",
        )
        with gr.Tabs():
            with gr.Tab("Sample", id="sample") as sample_tab:
                sample_model = build_sample_tab(store)
            with gr.Tab("CycleGAN", id="cyclegan") as translate_tab:
                translate_model = build_translate_tab(store)
            with gr.Tab("Sketch → image", id="sketch") as sketch_tab:
                sketch_model = build_sketch_tab(store)
            with gr.Tab("StarGAN", id="stargan"):
                build_upcoming_tab(
                    store.registry,
                    "attributes",
                    "Move attribute sliders and watch one multi-domain generator follow.",
                    "gan-demo edit",
                )
            with gr.Tab("Style transfer", id="style") as style_tab:
                style_network = build_style_tab(store)
            with gr.Tab("Fine-tune", id="finetune") as finetune_tab:
                reattach = build_finetune_tab(store, worker, runs_dir)
        gr.Markdown(
            f"<small>gan-demo {__version__} · models are credited on their cards · outputs are PNG; use the "
            f"download buttons · {LIMITS_TEXT} · each request stops after {REQUEST_TIME_LIMIT_S} s.</small>"
        )
        # Model lists change at run time (a fine-tuned run appears, a model's weights fail to load): each tab
        # lists them afresh when it is opened, and so does every page load.
        for tab, dropdown, task in (
            (sample_tab, sample_model, "sample"),
            (translate_tab, translate_model, "translate"),
            (sketch_tab, sketch_model, "sketch"),
            (style_tab, style_network, "stylize"),
        ):
            refresh = functools.partial(_fresh_choices, store, task)
            tab.select(refresh, outputs=dropdown, api_name=f"{task}_models", api_visibility="undocumented", queue=False)
            demo.load(refresh, outputs=dropdown, api_visibility="private", queue=False)
        # A reloaded page finds its job again (the id is in the browser's storage) when the tab is opened.
        finetune_tab.select(*reattach, api_visibility="private", queue=False)
    return demo


def _fresh_choices(store: ModelStore, task: Task) -> dict:
    return gr.update(choices=model_choices(store, task))
