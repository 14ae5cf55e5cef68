"""Tab 6: fine-tune a model on uploaded images. The job belongs to the training worker, not to this page.

The page submits a job, keeps its id in the browser (gr.BrowserState) and reads the job's state once a
second (gr.Timer): closing or reloading the page neither stops nor loses the run, and the page reattaches.
A finished run is listed as a model in its tab at once.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from gan_demo.store import ModelStore
from gan_demo.training.finetune_data import PAIRINGS
from gan_demo.training.record import CREDIT_MAX, UNSPECIFIED
from gan_demo.training.uploads import UPLOAD_LIMITS_TEXT
from gan_demo.ui.common import SafeNumber, SafeSlider, named, user_errors
from gan_demo.ui.finetune_jobs import (
    FAMILIES,
    LICENCES,
    FineTuneHandlers,
    base_choices,
    run_keys,
    status_markdown,
)
from gan_demo.ui.finetune_share import build_share
from gan_demo.ui.tabs import TabContext, TabHooks

PRESETS = {  # name → steps, minutes, learning rate, batch size, frozen D layers
    "10–30 images": (200, 5, 1e-4, 4, 2),
    "30–300 images": (600, 10, 2e-4, 8, 1),
}


def build_finetune_tab(context: TabContext) -> TabHooks:
    """Build the tab; it asks the app to reattach a reloaded page to its job when the tab is opened."""
    ui = _layout(context.store, context.runs_dir)
    build_share(context.runs_dir, context.worker)  # push a saved run to the Hub (its own module)
    handlers = FineTuneHandlers(context.store, context.worker, context.runs_dir)
    return TabHooks(on_select=_wire(handlers, ui))


def _layout(store: ModelStore, runs_dir: Path) -> SimpleNamespace:
    """The tab's components, by name."""
    gr.Markdown(
        "Teach a model your own images in a few minutes: upload a small set, pick the model to start from "
        "(starting from a trained model is the usual, much faster case), and press Start. The job keeps "
        f"running if you close or reload the page; when it is saved it appears as a model in its tab.  \n"
        f"<small>{UPLOAD_LIMITS_TEXT} On a CPU a step takes about a second; a GPU is much faster.</small>"
    )
    with gr.Row():
        with gr.Column(scale=1):
            data = _data_column(store)
        with gr.Column(scale=1):
            settings = _settings_column()
        with gr.Column(scale=2):
            job = _job_column(runs_dir)
    job_id = gr.BrowserState(None, storage_key="gan-demo-finetune-job")
    shown = gr.State(None)  # id of the preview the page shows
    plotted = gr.State([])  # the loss terms the plot holds (see finetune_jobs.plot_value)
    timer = gr.Timer(1.0, active=False)
    return SimpleNamespace(
        **vars(data), **vars(settings), **vars(job), job_id=job_id, shown=shown, plotted=plotted, timer=timer
    )


def _data_column(store: ModelStore) -> SimpleNamespace:
    """What to fine-tune, from which model, and the uploads."""
    family = gr.Radio(
        [(label, key) for key, (label, _, _) in FAMILIES.items()],
        value="gan",
        label="What to fine-tune",
        info="The kind of model: its result appears in the matching tab.",
    )
    choices = base_choices(store, "gan")
    base = gr.Dropdown(  # custom values: the choices follow the family on the page, not for API clients
        choices,
        value=choices[0][1],
        allow_custom_value=True,
        label="Start from",
        info="A trained model (bundled, one of your runs, or a Hub model), or from scratch (far more steps).",
    )
    pairing = gr.Radio(
        [(text, key) for key, text in PAIRINGS.items()],
        value="names",
        label="Pairs from",
        info="How your uploads make (input, output) pairs.",
        visible=False,
    )
    first = gr.File(file_count="multiple", file_types=["image", ".zip"], label=FAMILIES["gan"][1])
    second = gr.File(file_count="multiple", file_types=["image", ".zip"], label="", visible=False)
    check = gr.Button("Check the data")
    data_note = gr.Markdown()
    data_grid = gr.Image(
        label="Your data as training sees it (last row: with augmentation)", interactive=False, type="pil"
    )
    return named(locals(), "family base pairing first second check data_note data_grid")


def _settings_column() -> SimpleNamespace:
    """The run's settings and the Start / Stop buttons."""
    preset = gr.Radio(list(PRESETS), label="Preset", info="Sets the controls below for the size of your image set.")
    name = gr.Textbox(label="Name of the new model", info="Its key in the model lists: letters, digits, - and _.")
    with gr.Row():
        licence = gr.Dropdown(  # custom values: any SPDX id or short name (checked on Start)
            LICENCES,
            value=UNSPECIFIED,
            allow_custom_value=True,
            label="Licence",
            info="Of the new model, for its card: your images' terms (and the base model's) apply.",
        )
        credit = gr.Textbox(label="Credit", max_length=CREDIT_MAX, info="Optional: who made the images.")
    steps = SafeSlider(1, 5000, value=300, step=1, label="Steps", info="Optimisation steps at most.")
    minutes = SafeSlider(1, 60, value=5, step=1, label="Time budget (minutes)", info="Stops and saves then.")
    lr = SafeNumber(1e-4, label="Learning rate", minimum=1e-6, maximum=1e-2, info="Lower for few images.")
    batch = SafeSlider(1, 32, value=4, step=1, label="Batch size", info="Images per step: more is smoother, slower.")
    augment = gr.CheckboxGroup(
        ["color", "translation", "cutout"],
        value=["color", "translation", "cutout"],
        label="Augmentation (DiffAugment)",
        info="What the discriminator sees is randomly changed, so it cannot memorise a small set.",
    )
    freeze = SafeSlider(
        0,
        4,
        value=2,
        step=1,
        label="Frozen discriminator layers (FreezeD)",
        info="Keep the first layers as they were.",
    )
    ema = SafeSlider(
        0.0,
        0.999,
        value=0.99,
        step=0.001,
        label="Generator averaging (EMA)",
        info="Smoother samples; 0 is off.",
    )
    with gr.Row():
        estimate_button = gr.Button("Estimate time")
        start_button = gr.Button("Start", variant="primary")
        stop_button = gr.Button("Stop and save", variant="stop")
    eta_note = gr.Markdown("Estimate time runs a few steps on your data with these settings (a few seconds).")
    buttons = "estimate_button start_button stop_button eta_note"
    return named(locals(), f"preset name licence credit steps minutes lr batch augment freeze ema {buttons}")


def _job_column(runs_dir: Path) -> SimpleNamespace:
    """The job's status, loss curves and preview, and the saved runs."""
    status = gr.Markdown(status_markdown(None, 0))
    plot = gr.LinePlot(  # no empty frame (see finetune_jobs.plot_value); a shown label would push the legend
        None,  # out of the block's bottom edge in Gradio 6.31, so the title is the chart's own
        x="step",
        y="loss",
        color="term",
        title="Loss terms",
        label="Loss terms",
        show_label=False,
        height=280,
    )
    preview = gr.Image(
        label="Preview (fixed seeds, or the first inputs translated)", type="pil", interactive=False, height=320
    )
    with gr.Accordion("Your runs", open=False):
        runs = gr.Dropdown(  # custom values: runs saved after the page was built (checked against the folder)
            run_keys(runs_dir),
            allow_custom_value=True,
            label="Saved runs",
            info="Fine-tuned models saved in this app's runs folder.",
        )
        with gr.Row():
            resume_button = gr.Button("Resume this run", size="sm")
            delete_button = gr.Button("Delete this run", variant="stop", size="sm")
        runs_note = gr.Markdown(
            "<small>Resume goes on to the **Steps** set above (in all) on the data uploaded on the left, "
            "with the run's own settings, from its last save.</small>"
        )
    return named(locals(), "status plot preview runs resume_button delete_button runs_note")


def _wire(handlers: FineTuneHandlers, ui: SimpleNamespace) -> tuple:
    """Connect the events; returns (fn, inputs, outputs) for the app to run when the tab is opened."""
    on_family = [ui.base, ui.pairing, ui.first, ui.second, ui.augment, ui.ema]
    ui.family.change(handlers.family_changed, ui.family, on_family, queue=False, api_visibility="private")
    ui.pairing.change(
        handlers.pairing_changed, [ui.family, ui.pairing], ui.second, queue=False, api_visibility="private"
    )
    ui.preset.change(
        lambda chosen: PRESETS[chosen],
        ui.preset,
        [ui.steps, ui.minutes, ui.lr, ui.batch, ui.freeze],
        queue=False,
        api_visibility="private",
    )
    ui.base.change(handlers.base_changed, [ui.family, ui.base], ui.first, queue=False, api_visibility="private")
    data = [ui.family, ui.base, ui.pairing, ui.first, ui.second, ui.augment]
    ui.check.click(user_errors(handlers.check_data), data, [ui.data_note, ui.data_grid], api_name="finetune_check")
    choices = [ui.family, ui.base, ui.pairing, ui.first, ui.second]
    settings = [ui.steps, ui.minutes, ui.lr, ui.batch, ui.augment, ui.freeze, ui.ema]
    ui.estimate_button.click(
        user_errors(handlers.estimate), [*choices, *settings], ui.eta_note, api_name="finetune_estimate"
    )
    ui.start_button.click(
        user_errors(handlers.start),
        [*choices, ui.name, *settings, ui.job_id, ui.licence, ui.credit],
        [ui.job_id, ui.status],
        api_name="finetune_start",
    ).success(lambda: gr.Timer(active=True), outputs=ui.timer, queue=False, api_visibility="private")
    ui.resume_button.click(
        user_errors(handlers.resume),
        [ui.runs, ui.pairing, ui.first, ui.second, ui.steps, ui.minutes, ui.job_id],
        [ui.job_id, ui.status],
        api_name="finetune_resume",
    ).success(lambda: gr.Timer(active=True), outputs=ui.timer, queue=False, api_visibility="private")
    ui.stop_button.click(handlers.stop, ui.job_id, ui.status, api_name="finetune_stop", queue=False)
    watched = [ui.status, ui.plot, ui.preview, ui.shown, ui.plotted, ui.timer]
    job = [ui.job_id, ui.shown, ui.plotted]
    ui.timer.tick(handlers.refresh, job, watched, api_name="finetune_status", queue=False, show_progress="hidden")
    # A reloaded page restores the job id from the browser's storage when the tab's components mount, which
    # can be after the tab's select event has asked with no id: the restored id reattaches by itself.
    ui.job_id.change(handlers.refresh, job, watched, queue=False, show_progress="hidden", api_visibility="private")
    ui.runs.focus(handlers.runs_list, outputs=ui.runs, queue=False, api_visibility="private")
    ui.delete_button.click(user_errors(handlers.delete), ui.runs, [ui.runs, ui.runs_note], api_name="finetune_delete")
    return handlers.refresh, job, watched  # a reloaded page reattaches
