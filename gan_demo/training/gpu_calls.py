"""Fine-tuning where the GPU is lent one call at a time (Hugging Face ZeroGPU).

On ZeroGPU a function holds the GPU only while a `spaces.GPU` call of a declared duration lasts, and that
call runs in another process: its arguments and result are pickled, callbacks and stop flags do not cross.
So a fine-tune is a series of calls. Each call loads the data and the run's last save (the base model for
the first), trains until its time is nearly up, saves the run folder atomically and returns what it
reported; the next call continues from that save, counting on from its steps and seconds. Between calls the
worker thread forwards the reports to the page and checks for a stop request, which therefore takes
effect when the current call ends.

What a call carries over is the run folder with its training state (training/checkpoints.py): every
network, discriminators included, the optimisers' moments, the learning-rate schedule's position, the
generator average, the batch order and the random streams, so a run in calls trains as one run would.

`device.gpu_task` is the seam: `spaces.GPU` on ZeroGPU, the plain function elsewhere, so the same code runs
(and is tested) on a CPU with a stand-in for the call.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from gan_demo.device import gpu_lent_per_call, gpu_task
from gan_demo.entries import RUN_RECORD
from gan_demo.training.checkpoints import read_resume
from gan_demo.training.finetune import FineTuneFailed, FineTuneSpec, Update, run_finetune

CALL_SECONDS = 60  # what each call declares: ZeroGPU's default (shorter calls are scheduled sooner)
RESERVE_SECONDS = 10  # of each call, kept for saving the run after the last step


@dataclass(frozen=True)
class CallReport:
    """What one GPU call did (plain values: it crosses the process boundary)."""

    folder: Path  # the run folder it saved
    updates: list[Update]  # what the run reported, in order: losses per step, previews, messages
    steps: int  # steps of the run so far, all calls together
    seconds: float  # training time so far, all calls together


def train_one_call(spec: FineTuneSpec, device: torch.device, seconds: float) -> CallReport:
    """Continue `spec`'s run (or start it) until `seconds` after the call began, less one step; save and report."""
    deadline = time.perf_counter() + seconds
    updates: list[Update] = []
    step_seconds = [0.0]  # the slowest step so far: no step may start that would end past the deadline

    def record(update: Update) -> None:
        if updates and update.step > updates[-1].step:
            step_seconds[0] = max(step_seconds[0], update.seconds - updates[-1].seconds)
        updates.append(update)

    def out_of_time() -> bool:
        return time.perf_counter() + step_seconds[0] >= deadline

    try:
        folder = run_finetune(spec, device=device, should_stop=out_of_time, on_update=record)
    except FineTuneFailed:
        if len(updates) > 1:
            raise
        raise FineTuneFailed(
            f"loading the data and the run took all of a {seconds:.0f} s GPU call; nothing was trained"
        ) from None
    saved = json.loads((folder / RUN_RECORD).read_text())
    return CallReport(folder, updates, int(saved["steps"]), float(saved["seconds"]))


def _declared_seconds(spec: FineTuneSpec, device: torch.device, seconds: float) -> int:
    """The duration a call declares to ZeroGPU: its time to load and train, plus the reserve for saving."""
    return math.ceil(seconds + RESERVE_SECONDS)


gpu_call = gpu_task(duration=_declared_seconds)(train_one_call)  # decorated at import, as ZeroGPU requires


def train_in_gpu_calls(
    spec: FineTuneSpec,
    *,
    device: torch.device,
    should_stop: Callable[[], bool] = lambda: False,
    on_update: Callable[[Update], None] = lambda update: None,
    call: Callable[[FineTuneSpec, torch.device, float], CallReport] = gpu_call,
    call_seconds: float = CALL_SECONDS,
) -> Path:
    """`run_finetune` as a series of GPU calls of `call_seconds` each; the run folder (saved by every call)."""
    budget = call_seconds - RESERVE_SECONDS
    if budget <= 0:
        raise ValueError(f"a GPU call must last longer than the {RESERVE_SECONDS} s kept for saving")
    resumed = read_resume(spec.resume) if spec.resume else None
    steps, seconds, start = (resumed.step, resumed.seconds, spec.resume) if resumed else (0, 0.0, None)
    while True:
        left = None if spec.minutes is None else spec.minutes - seconds / 60  # the budget is the whole run's
        part = dataclasses.replace(spec, resume=start, minutes=left)
        report = call(part, device, budget)
        start = spec.out  # every later call goes on from the last save
        for update in report.updates:
            on_update(update)
        if report.steps <= steps:
            raise FineTuneFailed(f"a GPU call of {call_seconds:.0f} s made no progress; the run stays at step {steps}")
        steps, seconds = report.steps, report.seconds
        over_time = spec.minutes is not None and seconds >= spec.minutes * 60
        if steps >= spec.steps or over_time or should_stop():
            return report.folder


def finetune_runner() -> Callable[..., Path]:
    """What the app's training worker runs: GPU calls where the GPU is lent per call, else one `run_finetune`."""
    return train_in_gpu_calls if gpu_lent_per_call() else run_finetune
