"""One background training worker per process: jobs are owned by it, not by a browser event.

A Gradio event dies with its browser tab; a fine-tune must not. The app submits a `FineTuneSpec` and gets a
job id back; one thread trains the jobs one at a time, in order, and keeps each job's state (step, loss
history, latest preview, message) in memory for any page to read. Stop sets a flag that the training loop
checks every step, and the run is saved as it stands. A finished run is handed to `on_saved`, which lists
it as a model (the registry and the model store are the app's, not the worker's).

An estimate (`measure`: a few timed steps before a job is started) takes the same one training slot: it is
refused while any job runs or waits, and a job submitted during an estimate starts when the estimate ends
(at most a few seconds: training/estimate.py keeps it within a small budget).
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from PIL import Image

from gan_demo.training.estimate import StepTiming, measure_on_device
from gan_demo.training.finetune import FineTuneSpec, Update, run_finetune

ACTIVE = ("queued", "running", "stopping")
MAX_QUEUED = 4  # jobs waiting behind the running one; more are refused with a message
HISTORY_LIMIT = 2000  # loss points kept per job for the plot (older ones are thinned)


@dataclass
class Job:
    id: str
    spec: FineTuneSpec
    state: str = "queued"  # queued → running → (stopping →) done | stopped | failed
    step: int = 0
    total: int = 0
    seconds: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)  # {"step": …, term: value, …}
    preview: Image.Image | None = None
    message: str = ""
    submitted: float = field(default_factory=time.time)
    stop_requested: threading.Event = field(default_factory=threading.Event)

    @property
    def steps_per_second(self) -> float:
        return self.step / self.seconds if self.seconds > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        """Time left: by the step budget, or by the wall-clock budget if that ends first."""
        if not self.steps_per_second:
            return None
        left = (self.total - self.step) / self.steps_per_second
        if self.spec.minutes is not None:
            left = min(left, max(0.0, self.spec.minutes * 60 - self.seconds))
        return left


class TrainingWorker:
    """Trains submitted jobs one at a time in a daemon thread; every method is safe to call from any thread."""

    def __init__(
        self,
        *,
        device: torch.device,
        on_saved: Callable[[Path], None] = lambda folder: None,
        trainer: Callable[..., Path] = run_finetune,  # run_finetune's signature; tests pass a stand-in
        measurer: Callable[..., StepTiming] = measure_on_device,  # measure_steps (in a GPU call on ZeroGPU)
    ) -> None:
        self.device = device
        self._on_saved = on_saved
        self._train = trainer
        self._measure = measurer
        self._slot = threading.Lock()  # held while a job trains or an estimate runs: one at a time
        self._jobs: dict[str, Job] = {}
        self._queue: queue.Queue[Job] = queue.Queue()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._thread = threading.Thread(target=self._serve, daemon=True, name="training-worker")
        self._thread.start()

    def submit(self, spec: FineTuneSpec) -> Job:
        """Queue a job; raises ValueError when the queue is full or another job writes the same run folder."""
        with self._lock:
            active = [job for job in self._jobs.values() if job.state in ACTIVE]
            if len(active) > MAX_QUEUED:
                raise ValueError(f"{len(active)} training jobs are already waiting; try again when one has finished")
            if any(job.spec.out.resolve() == spec.out.resolve() for job in active):
                raise ValueError(f"a job is already writing {spec.out.name}; choose another name")
            job = Job(id=f"job-{next(self._ids)}-{int(time.time())}", spec=spec, total=spec.steps)
            self._jobs[job.id] = job
        self._queue.put(job)
        return job

    def get(self, job_id: str | None) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id or "")

    def writing(self, folder: Path) -> bool:
        """Whether an active job writes this run folder."""
        with self._lock:
            return any(j.spec.out.resolve() == Path(folder).resolve() for j in self._jobs.values() if j.state in ACTIVE)

    def position(self, job: Job) -> int:
        """0 while it runs; n when n jobs run or wait before it."""
        with self._lock:
            ahead = [j for j in self._jobs.values() if j.state in ACTIVE and j.submitted < job.submitted]
        return len(ahead) if job.state == "queued" else 0

    def stop(self, job_id: str) -> bool:
        """Ask a job to stop (a queued one never starts); False when there is no such active job."""
        job = self.get(job_id)
        if job is None or job.state not in ACTIVE:
            return False
        job.stop_requested.set()
        with self._lock:
            job.state = "stopping" if job.state == "running" else "stopped"
            job.message = "stopping after this step; the run is saved" if job.state == "stopping" else "cancelled"
        return True

    def measure(self, spec: FineTuneSpec) -> StepTiming:
        """Time a few steps of `spec` now, in the caller's thread; ValueError while the slot is taken."""
        busy = "a training job is running or waiting; its own ETA is shown once it runs, estimate after it"
        with self._lock:
            if any(job.state in ACTIVE for job in self._jobs.values()):
                raise ValueError(busy)
        if not self._slot.acquire(blocking=False):
            raise ValueError(busy)
        try:
            return self._measure(spec, device=self.device)
        finally:
            self._slot.release()

    def _serve(self) -> None:
        while True:
            job = self._queue.get()
            if job.stop_requested.is_set():
                continue
            with self._slot:
                self._run(job)

    def _run(self, job: Job) -> None:
        if job.stop_requested.is_set():  # stopped while an estimate held the slot
            return
        with self._lock:
            job.state, job.message = "running", "loading the data and the base model…"
        try:
            folder = self._train(
                job.spec, device=self.device, should_stop=job.stop_requested.is_set, on_update=self._recorder(job)
            )
            self._on_saved(folder)
            with self._lock:
                job.state = "stopped" if job.stop_requested.is_set() else "done"
                job.message = f"saved as {folder.name}: it is listed as a model now"
        except Exception as error:  # the job fails with a message; the worker keeps serving
            with self._lock:
                job.state, job.message = "failed", f"{type(error).__name__}: {error}"

    def _recorder(self, job: Job) -> Callable[[Update], None]:
        def record(update: Update) -> None:
            with self._lock:
                job.step, job.total, job.seconds = update.step, update.total, update.seconds
                if update.history is not None:  # a resumed run: its curve goes on from the saved one
                    job.history = list(update.history)[-HISTORY_LIMIT:]
                if update.losses:
                    job.history.append({"step": float(update.step), **update.losses})
                    if len(job.history) > HISTORY_LIMIT:
                        job.history = job.history[::2]
                if update.preview is not None:
                    job.preview = update.preview
                if update.message or job.state == "running":
                    job.message = update.message or "training"

        return record
