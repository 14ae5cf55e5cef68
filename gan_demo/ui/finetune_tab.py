"""Tab 6: fine-tune a model on uploaded images. The job belongs to the training worker, not to this page.

The page submits a job, keeps its id in the browser (gr.BrowserState) and reads the job's state once a
second (gr.Timer): closing or reloading the page neither stops nor loses the run, and the page reattaches.
A finished run is listed as a model in its tab at once.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from pathlib import Path

import gradio as gr
import pandas as pd

from gan_demo.hub import CHECKPOINTS_DIR
from gan_demo.store import ModelStore
from gan_demo.training.families import get_family
from gan_demo.training.finetune import FineTuneSpec, folder_problem
from gan_demo.training.finetune_data import PAIRINGS, data_preview, uploads_for
from gan_demo.training.record import ModelCard
from gan_demo.training.uploads import UPLOAD_LIMITS_TEXT, UploadReport
from gan_demo.training.worker import ACTIVE, Job
from gan_demo.ui.common import SafeNumber, SafeSlider, user_errors
from gan_demo.ui.tabs import TabContext, TabHooks

FAMILIES = {  # family → (label, first upload's label, second upload's label or None)
    "gan": ("Random samples (GAN)", "Training images (files or a .zip)", None),
    "pix2pix": ("Sketch → image (pix2pix)", "Inputs, e.g. line art (files or a .zip)", "Outputs, same file names"),
    "cyclegan": ("Two-way style (CycleGAN)", "Domain A images (files or a .zip)", "Domain B images"),
}
SCRATCH = "(from scratch)"
PRESETS = {  # name → steps, minutes, learning rate, batch size, frozen D layers
    "10–30 images": (200, 5, 1e-4, 4, 2),
    "30–300 images": (600, 10, 2e-4, 8, 1),
}
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def _base_choices(store: ModelStore, family: str) -> list[tuple[str, str]]:
    """Models of the family's task whose weights are a run folder (bundled or earlier), then from scratch."""
    task = get_family(family).task
    bases = [(e.title, e.key) for e in store.registry.entries(task) if e.source_kind in ("bundled", "run")]
    return [*bases, (SCRATCH, SCRATCH)]


def _base_folder(store: ModelStore, key: str) -> Path | None:
    if not key or key == SCRATCH:
        return None
    source = next(iter(store.registry.get(key).weights.values()))
    return (CHECKPOINTS_DIR / source.bundled).parent  # an absolute run path stays as it is


def _upload_folder(parent: Path, *, max_age_s: float = 86400.0) -> Path:
    """A fresh folder for one set of uploads; those of earlier days are removed (their jobs are long over)."""
    parent.mkdir(parents=True, exist_ok=True)
    for old in parent.iterdir():
        if old.stat().st_mtime < time.time() - max_age_s:
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(dir=parent))


def _run_keys(runs_dir: Path) -> list[str]:
    return sorted(record.parent.name for record in runs_dir.glob("*/run.json")) if runs_dir.is_dir() else []


def status_markdown(job: Job | None, position: int) -> str:
    """One paragraph on the job: state, progress, speed, time left, the last message."""
    if job is None:
        return "No job yet: check your data, then press **Start**."
    if job.state == "queued":
        return f"**Queued**: {position} job(s) ahead of yours. Closing this page does not cancel it."
    eta = job.eta_seconds
    speed = f" · {job.steps_per_second:.2f} steps/s" + (f" · about {eta / 60:.1f} min left" if eta else "")
    return f"**{job.state.capitalize()}** · step {job.step} of {job.total}{speed}  \n{job.message}"


def loss_frame(job: Job | None) -> pd.DataFrame:
    """The job's named loss terms in long format (step, loss, term), as gr.LinePlot wants them."""
    rows = [
        {"step": point["step"], "loss": value, "term": term}
        for point in (job.history if job else [])
        for term, value in point.items()
        if term != "step"
    ]
    frame = pd.DataFrame(rows, columns=["step", "loss", "term"])
    return frame.astype({"step": float, "loss": float, "term": str})  # numeric axes even while empty


def build_finetune_tab(context: TabContext) -> TabHooks:
    """Build the tab; it asks the app to reattach a reloaded page to its job when the tab is opened."""
    store, worker, runs_dir = context.store, context.worker, context.runs_dir

    def family_changed(family):
        _, first_label, second_label = FAMILIES[family]
        choices = _base_choices(store, family)
        return (
            gr.Dropdown(choices=choices, value=choices[0][1]),
            gr.Radio(visible=family == "pix2pix"),
            gr.File(label=first_label),
            gr.File(label=second_label or "", visible=second_label is not None),
            gr.CheckboxGroup(visible=family == "gan"),
        )

    def pairing_changed(family, pairing):
        return gr.File(visible=FAMILIES[family][2] is not None and not (family == "pix2pix" and pairing != "names"))

    @user_errors
    def check_data(family, pairing, first, second, augment, progress=gr.Progress()):
        progress(0.1, desc="Reading the uploads…")
        report = _prepare(family, pairing, first, second)
        grid = data_preview(report, augment=",".join(augment or []) if family == "gan" else "")
        return report.summary(), grid

    def _prepare(family, pairing, first, second) -> UploadReport:
        if not first:
            raise gr.Error("Upload some training images first.", title="No data")
        work = _upload_folder(runs_dir / ".uploads")
        return uploads_for(family, list(first), list(second or []), work, pairing=pairing)

    @user_errors
    def start(family, base, pairing, first, second, name, steps, minutes, lr, batch, augment, freeze, ema, job_id):
        if (job := worker.get(job_id)) is not None and job.state in ACTIVE:
            raise gr.Error("Your previous job is still running; stop it first.", title="One job at a time")
        if not NAME.match(name or ""):
            raise gr.Error("Give the new model a name: letters, digits, - and _ (up to 64).", title="No name")
        if name in {entry.key for entry in store.registry}:
            raise gr.Error(f"There is already a model called {name!r}; choose another name.", title="Name taken")
        if problem := folder_problem(runs_dir):
            raise gr.Error(f"Runs cannot be saved: {problem}.", title="Cannot save runs")
        report = _prepare(family, pairing, first, second)
        if not report.ready:
            raise gr.Error(report.summary(), title="Not enough data")
        overrides = {"lr": float(lr), "batch_size": int(batch)}
        if family == "gan":
            overrides |= {"augment": ",".join(augment or []), "ema": float(ema)}
        spec = FineTuneSpec(
            family=family,
            folders=report.folders,
            out=runs_dir / name,
            steps=int(steps),
            base=_base_folder(store, base),
            minutes=float(minutes),
            overrides=overrides,
            freeze_d=int(freeze),
            card=ModelCard(title=f"{name} (fine-tuned)", credit="fine-tuned in the gan-demo Fine-tune tab"),
        )
        job = worker.submit(spec)
        return job.id, status_markdown(job, worker.position(job))

    def refresh(job_id, shown):
        """The job's state for the page; the timer keeps ticking only while the job is active."""
        job = worker.get(job_id)
        preview = job.preview if job is not None else None
        image = gr.skip() if preview is None or id(preview) == shown else preview
        status_text = status_markdown(job, worker.position(job) if job else 0)
        return (
            status_text,
            loss_frame(job),
            image,
            id(preview),
            gr.Timer(active=job is not None and job.state in ACTIVE),
        )

    def stop(job_id):
        if not worker.stop(job_id):
            raise gr.Error("There is no running job to stop.", title="Nothing to stop")
        return status_markdown(worker.get(job_id), 0)

    def runs_list():
        keys = _run_keys(runs_dir)
        return gr.Dropdown(choices=keys, value=keys[0] if keys else None)

    @user_errors
    def delete(key):
        folder = runs_dir / (key or "")
        if not key or not (folder / "run.json").is_file():
            raise gr.Error("Choose one of your runs to delete.", title="No run chosen")
        if worker.writing(folder):
            raise gr.Error("That run is still training; stop it first.", title="Still training")
        shutil.rmtree(folder)
        store.registry.remove(key)
        store.evict(key)
        return runs_list(), f"Deleted {key}."

    gr.Markdown(
        "Teach a model your own images in a few minutes: upload a small set, pick the model to start from "
        "(starting from a trained model is the usual, much faster case), and press Start. The job keeps "
        f"running if you close or reload the page; when it is saved it appears as a model in its tab.  \n"
        f"<small>{UPLOAD_LIMITS_TEXT} On a CPU a step takes about a second; a GPU is much faster.</small>"
    )
    with gr.Row():
        with gr.Column(scale=1):
            family = gr.Radio(
                [(label, key) for key, (label, _, _) in FAMILIES.items()],
                value="gan",
                label="What to fine-tune",
                info="The kind of model: its result appears in the matching tab.",
            )
            choices = _base_choices(store, "gan")
            base = gr.Dropdown(
                choices,
                value=choices[0][1],
                label="Start from",
                info="A trained model (bundled or one of your runs), or from scratch (needs far more steps).",
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
        with gr.Column(scale=1):
            preset = gr.Radio(
                list(PRESETS), label="Preset", info="Sets the controls below for the size of your image set."
            )
            name = gr.Textbox(
                label="Name of the new model", info="Its key in the model lists: letters, digits, - and _."
            )
            steps = SafeSlider(1, 5000, value=300, step=1, label="Steps", info="Optimisation steps at most.")
            minutes = SafeSlider(1, 60, value=5, step=1, label="Time budget (minutes)", info="Stops and saves then.")
            lr = SafeNumber(1e-4, label="Learning rate", minimum=1e-6, maximum=1e-2, info="Lower for few images.")
            batch = SafeSlider(
                1, 32, value=4, step=1, label="Batch size", info="Images per step: more is smoother, slower."
            )
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
                start_button = gr.Button("Start", variant="primary")
                stop_button = gr.Button("Stop and save", variant="stop")
        with gr.Column(scale=2):
            status = gr.Markdown(status_markdown(None, 0))
            plot = gr.LinePlot(loss_frame(None), x="step", y="loss", color="term", label="Loss terms", height=260)
            preview = gr.Image(
                label="Preview (fixed seeds, or the first inputs translated)", type="pil", interactive=False, height=320
            )
            with gr.Accordion("Your runs", open=False):
                runs = gr.Dropdown(
                    _run_keys(runs_dir), label="Saved runs", info="Fine-tuned models saved in this app's runs folder."
                )
                delete_button = gr.Button("Delete this run", variant="stop", size="sm")
                runs_note = gr.Markdown()
    job_id = gr.BrowserState(None, storage_key="gan-demo-finetune-job")
    shown = gr.State(None)
    timer = gr.Timer(1.0, active=False)

    family.change(
        family_changed, family, [base, pairing, first, second, augment], queue=False, api_visibility="private"
    )
    pairing.change(pairing_changed, [family, pairing], second, queue=False, api_visibility="private")
    preset.change(
        lambda chosen: PRESETS[chosen],
        preset,
        [steps, minutes, lr, batch, freeze],
        queue=False,
        api_visibility="private",
    )
    check.click(
        check_data, [family, pairing, first, second, augment], [data_note, data_grid], api_name="finetune_check"
    )
    start_button.click(
        start,
        [family, base, pairing, first, second, name, steps, minutes, lr, batch, augment, freeze, ema, job_id],
        [job_id, status],
        api_name="finetune_start",
    ).success(lambda: gr.Timer(active=True), outputs=timer, queue=False, api_visibility="private")
    stop_button.click(stop, job_id, status, api_name="finetune_stop", queue=False)
    watched = [status, plot, preview, shown, timer]
    timer.tick(refresh, [job_id, shown], watched, api_name="finetune_status", queue=False, show_progress="hidden")
    runs.focus(runs_list, outputs=runs, queue=False, api_visibility="private")
    delete_button.click(delete, runs, [runs, runs_note], api_name="finetune_delete")
    return TabHooks(on_select=(refresh, [job_id, shown], watched))  # a reloaded page reattaches
