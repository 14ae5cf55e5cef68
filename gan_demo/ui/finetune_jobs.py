"""The Fine-tune tab's handlers: plain methods of one object holding the store, the worker and the runs folder.

Jobs belong to the training worker, not to a page: a handler submits, reads or stops a job by its id.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from pathlib import Path

import gradio as gr
import pandas as pd

from gan_demo.store import ModelStore
from gan_demo.training.checkpoints import resume_point
from gan_demo.training.families import get_family
from gan_demo.training.finetune import FineTuneSpec, base_domains, base_run_folder, folder_problem, trainable_as
from gan_demo.training.finetune_data import batch_too_large, data_preview, uploads_for
from gan_demo.training.loop import remove_run
from gan_demo.training.record import UNSPECIFIED, ModelCard, fine_tune_terms
from gan_demo.training.uploads import UploadReport
from gan_demo.training.worker import ACTIVE, Job, TrainingWorker

FAMILIES = {  # family → (label, first upload's label, second upload's label or None)
    "gan": ("Random samples (GAN)", "Training images (files or a .zip)", None),
    "pix2pix": ("Sketch → image (pix2pix)", "Inputs, e.g. line art (files or a .zip)", "Outputs, same file names"),
    "cyclegan": ("Two-way style (CycleGAN)", "Domain A images (files or a .zip)", "Domain B images"),
    "stargan": ("Style sliders (StarGAN)", "One .zip per domain, or one .zip with a folder per domain", None),
}
SCRATCH = "(from scratch)"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
LICENCES = [UNSPECIFIED, "MIT", "Apache-2.0", "BSD-3-Clause", "CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0"]


def base_choices(store: ModelStore, family: str) -> list[tuple[str, str]]:
    """Models of the family's task it can start from: run folders (bundled or earlier), Hub or package models
    it can train (their networks are written as a run folder on Start), then from scratch."""
    task = get_family(family).task
    bases = [
        (e.title, e.key)
        for e in store.registry.entries(task)
        if e.source_kind in ("bundled", "run") or getattr(trainable_as(e)[0], "name", None) == family
    ]
    return [*bases, (SCRATCH, SCRATCH)]


def _upload_folder(parent: Path, *, max_age_s: float = 86400.0) -> Path:
    """A fresh folder for one set of uploads; those of earlier days are removed (their jobs are long over)."""
    parent.mkdir(parents=True, exist_ok=True)
    for old in parent.iterdir():
        if old.stat().st_mtime < time.time() - max_age_s:
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(dir=parent))


def run_keys(runs_dir: Path) -> list[str]:
    """The runs saved under `runs_dir` (a save in progress is a hidden folder, never listed)."""
    records = runs_dir.glob("*/run.json") if runs_dir.is_dir() else []
    return sorted(record.parent.name for record in records if not record.parent.name.startswith("."))


def status_markdown(job: Job | None, position: int) -> str:
    """One paragraph on the job: state, progress, speed, time left, the last message."""
    if job is None:
        return "No job yet: check your data, then press **Start**."
    if job.state == "queued":
        return f"**Queued**: {position} job(s) ahead of yours. Closing this page does not cancel it."
    eta = job.eta_seconds
    speed = f" · {job.steps_per_second:.2f} steps/s" + (f" · about {eta / 60:.1f} min left" if eta else "")
    return f"**{job.state.capitalize()}** · step {job.step} of {job.total}{speed}  \n{job.message}"


def plot_value(job: Job | None, plotted: list[str] | None) -> tuple[pd.DataFrame | None, list[str], bool]:
    """What the loss plot is given this tick, the terms it then holds, and whether one more tick is needed.

    Gradio 6's LinePlot builds its Vega-Lite spec, with the colour scale's domain set to the `term` values
    of the data it has then, only when it first gets data (or a spec setting changes); later values only
    swap the data. So a plot that starts from an empty frame has an empty domain and draws no lines at all,
    and terms that appear later (StarGAN's G terms, another job's terms) get no colour. Hence: no frame
    until there is data, and a new set of terms is only given to an emptied plot (one tick empty, then
    drawn). A spec setting changed in the same update does not help: the rebuilt spec reads the old data.
    """
    frame = loss_frame(job)
    terms = sorted(set(frame["term"]))
    if not terms:
        return None, [], False
    if plotted and plotted != terms:
        return None, [], True
    return frame, terms, False


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


class FineTuneHandlers:
    """What the tab's events call; each method takes and returns the components' values."""

    def __init__(self, store: ModelStore, worker: TrainingWorker, runs_dir: Path) -> None:
        self.store, self.worker, self.runs_dir = store, worker, runs_dir

    def family_changed(self, family):
        _, _, second_label = FAMILIES[family]
        choices = base_choices(self.store, family)
        return (
            gr.Dropdown(choices=choices, value=choices[0][1]),
            gr.Radio(visible=family == "pix2pix"),
            self.base_changed(family, choices[0][1]),
            gr.File(label=second_label or "", visible=second_label is not None),
            gr.CheckboxGroup(visible=family == "gan"),
            gr.update(visible=family == "gan"),  # EMA: of the sampler's generator only
        )

    def base_changed(self, family, base):
        """The first upload's label; for a multi-domain base it names the domain folders it needs."""
        label = FAMILIES[family][1]
        if family == "stargan" and (domains := self._domains(family, base)):
            label = f"One .zip per domain, or one .zip with a folder per domain: {', '.join(domains)}"
        return gr.File(label=label)

    def _domains(self, family, base) -> list[str] | None:
        """The domains a StarGAN base (or a run being resumed) knows: its uploads must be those; else None."""
        if family != "stargan" or not base or base == SCRATCH:
            return None
        if (self.runs_dir / base / "run.json").is_file():
            return base_domains(self.runs_dir / base)
        try:
            return base_domains(self._base_folder(family, base))
        except gr.Error:
            return None

    def pairing_changed(self, family, pairing):
        return gr.File(visible=FAMILIES[family][2] is not None and not (family == "pix2pix" and pairing != "names"))

    def check_data(self, family, base, pairing, first, second, augment, progress=gr.Progress()):
        progress(0.1, desc="Reading the uploads…")
        report = self._prepare(family, base, pairing, first, second)
        grid = data_preview(report, augment=",".join(augment or []) if family == "gan" else "")
        return report.summary(), grid

    def _prepare(self, family, base, pairing, first, second) -> UploadReport:
        if not first:
            raise gr.Error("Upload some training images first.", title="No data")
        work = _upload_folder(self.runs_dir / ".uploads")
        domains = self._domains(family, base)
        return uploads_for(family, list(first), list(second or []), work, pairing=pairing, domains=domains)

    def _refuse_while_running(self, job_id) -> None:
        if (job := self.worker.get(job_id)) is not None and job.state in ACTIVE:
            raise gr.Error("Your previous job is still running; stop it first.", title="One job at a time")

    def _refuse_to_start(self, name, job_id) -> None:
        self._refuse_while_running(job_id)
        if not NAME.match(name or ""):
            raise gr.Error("Give the new model a name: letters, digits, - and _ (up to 64).", title="No name")
        if name in {entry.key for entry in self.store.registry}:
            raise gr.Error(f"There is already a model called {name!r}; choose another name.", title="Name taken")
        if problem := folder_problem(self.runs_dir):
            raise gr.Error(f"Runs cannot be saved: {problem}.", title="Cannot save runs")

    def _spec(self, family, base, pairing, first, second, name, *settings, licence=UNSPECIFIED, credit=""):
        """settings: steps, minutes, lr, batch, augment, freeze, ema (the tab's order)."""
        steps, minutes, lr, batch, augment, freeze, ema = settings
        card_licence, card_credit = self._card_terms(base, licence, credit)  # refused before any upload is read
        base_folder = self._base_folder(family, base)
        report = self._prepare(family, base, pairing, first, second)
        if not report.ready:
            raise gr.Error(report.summary(), title="Not enough data")
        if problem := batch_too_large(report, int(batch)):
            raise gr.Error(f"{report.summary()} {problem[0].upper()}{problem[1:]}.", title="Batch too large")
        overrides = {"lr": float(lr), "batch_size": int(batch)}
        start = base if base_folder else "scratch"
        if family == "gan":
            overrides |= {"augment": ",".join(augment or []), "ema": float(ema)}
        return FineTuneSpec(
            family=family,
            folders=report.folders,
            out=self.runs_dir / name,
            steps=int(steps),
            base=base_folder,
            minutes=float(minutes),
            overrides=overrides,
            freeze_d=int(freeze),
            card=ModelCard(
                title=f"{name} (fine-tuned)",
                description=f"Fine-tuned in the Fine-tune tab from {start} on {report.contents()}.",
                licence=card_licence,
                credit=card_credit,
            ),
        )

    def _card_terms(self, base, licence, credit) -> tuple[str, str]:
        """(licence, credit) for the new model's card; a base's own terms are carried onto it."""
        entry = self.store.registry.get(base) if base in {e.key for e in self.store.registry} else None
        terms = (entry.key, entry.licence, entry.credit) if entry else None
        try:
            return fine_tune_terms(licence, credit, made_by="fine-tuned in the gan-demo Fine-tune tab", base=terms)
        except ValueError as error:
            raise gr.Error(str(error), title="Licence or credit") from None

    def _base_folder(self, family, base) -> Path | None:
        """The run folder a job starts from: one of the family's bases by key, never a path a client sent."""
        if not base or base == SCRATCH:
            return None
        keys = [key for _, key in base_choices(self.store, family) if key != SCRATCH]
        if base not in keys:
            choices = ", ".join([*keys, SCRATCH])
            raise gr.Error(f"{base!r} cannot be a {family} base; choose one of: {choices}", title="Unknown base")
        try:
            return base_run_folder(
                self.store.registry, base, get_family(family).task, bases_dir=self.runs_dir / ".bases"
            )
        except (OSError, ValueError) as error:  # a Hub base that cannot be downloaded (offline, not cached)
            raise gr.Error(f"{base} cannot be loaded here: {error}", title="Base unavailable") from None

    def start(
        self, family, base, pairing, first, second, name, steps, minutes, lr, batch, augment, freeze, ema, job_id,
        licence=UNSPECIFIED, credit=None,
    ):  # fmt: skip
        """Submit the job; licence and credit go on the new model's card (last, so older API calls still work)."""
        self._refuse_to_start(name, job_id)
        settings = (steps, minutes, lr, batch, augment, freeze, ema)
        spec = self._spec(family, base, pairing, first, second, name, *settings, licence=licence, credit=credit)
        job = self.worker.submit(spec)
        return job.id, status_markdown(job, self.worker.position(job))

    def estimate(
        self, family, base, pairing, first, second, steps, minutes, lr, batch, augment, freeze, ema,
        progress=gr.Progress(),
    ):  # fmt: skip
        """Time a few steps with these settings before starting."""
        progress(0.1, desc="Timing a few steps with your data and settings…")
        settings = (steps, minutes, lr, batch, augment, freeze, ema)
        spec = self._spec(family, base, pairing, first, second, ".estimate", *settings)
        timing = self.worker.measure(spec)
        return "**Estimate:** " + timing.summary(spec.steps, spec.minutes)

    def refresh(self, job_id, shown, plotted):
        """The job's state for the page; the timer keeps ticking while the job is active (or the plot redraws)."""
        job = self.worker.get(job_id)
        preview = job.preview if job is not None else None
        image = gr.skip() if preview is None or id(preview) == shown else preview
        status_text = status_markdown(job, self.worker.position(job) if job else 0)
        frame, plotted, redraw = plot_value(job, plotted)
        active = (job is not None and job.state in ACTIVE) or redraw
        return status_text, frame, image, id(preview), plotted, gr.Timer(active=active)

    def resume(self, key, pairing, first, second, steps, minutes, job_id):
        """Go on with a saved run to `steps` steps in all, on the data uploaded above, with its own settings."""
        folder = self._run_folder(key, "resume")
        self._refuse_while_running(job_id)
        if self.worker.writing(folder):
            raise gr.Error("That run is still training.", title="Still training")
        try:
            family, done = resume_point(folder)  # the worker loads the training state itself
        except ValueError as error:
            raise gr.Error(str(error), title="Cannot resume") from None
        if done >= int(steps):
            raise gr.Error(f"{key} is already at step {done}; set Steps above that to go on.", title="Nothing to do")
        report = self._prepare(family, key, pairing, first, second)
        if not report.ready:
            raise gr.Error(report.summary(), title="Not enough data")
        spec = FineTuneSpec(
            family=family,
            folders=report.folders,
            out=folder,
            steps=int(steps),
            minutes=float(minutes),
            resume=folder,
        )
        job = self.worker.submit(spec)
        return job.id, status_markdown(job, self.worker.position(job))

    def stop(self, job_id):
        if not self.worker.stop(job_id):
            raise gr.Error("There is no running job to stop.", title="Nothing to stop")
        return status_markdown(self.worker.get(job_id), 0)

    def runs_list(self):
        keys = run_keys(self.runs_dir)
        return gr.Dropdown(choices=keys, value=keys[0] if keys else None)

    def _run_folder(self, key, doing: str) -> Path:
        """The folder of one of the runs listed under runs_dir, by its key (never a path a client sent)."""
        if not key or key not in run_keys(self.runs_dir):
            raise gr.Error(f"Choose one of your runs to {doing}.", title="No run chosen")
        return self.runs_dir / key

    def delete(self, key):
        folder = self._run_folder(key, "delete")
        if self.worker.writing(folder):
            raise gr.Error("That run is still training; stop it first.", title="Still training")
        remove_run(folder)
        self.store.registry.remove(key)
        self.store.evict(key)
        return self.runs_list(), f"Deleted {key}."
