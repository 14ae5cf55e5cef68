"""Time a few steps of a fine-tune before it starts, for an estimate of how long the whole run will take.

The run is prepared exactly as `run_finetune` would (the data, the base model, the chosen settings), one
step is run to warm up (the first is slower: memory is allocated, kernels are chosen) and a few more are
timed, within a small time budget so that an estimate never holds the training slot for long. Nothing is
saved; the trainer is thrown away. Where the GPU is lent per call (ZeroGPU), the estimate is one such call
(`measure_on_device`), as the training is.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch

from gan_demo.device import gpu_task
from gan_demo.training.finetune import FineTuneSpec, prepare_run

LOAD_SECONDS = 30  # what a GPU call for an estimate allows for loading the data and the model


@dataclass(frozen=True)
class StepTiming:
    seconds_per_step: float
    timed_steps: int  # steps timed after the warm-up (0: the warm-up step alone, which overstates)
    setup_seconds: float  # loading the data and the base model, before the first step

    def steps_within(self, minutes: float) -> int:
        return int(minutes * 60 / self.seconds_per_step)

    def summary(self, steps: int, minutes: float | None) -> str:
        """One paragraph for the UI or the terminal."""
        per = f"about {self.seconds_per_step:.2f} s per step"
        how = f"{self.timed_steps} steps timed after a warm-up" if self.timed_steps else "the first step alone"
        total = steps * self.seconds_per_step
        text = f"{per} ({how}; loading took {self.setup_seconds:.1f} s): {steps} steps take about {_span(total)}"
        if minutes is not None and total > minutes * 60:
            text += f"; the {minutes:g}-minute budget stops the run near step {self.steps_within(minutes)}"
        return text + ". Saves and previews add a little."


def measure_steps(spec: FineTuneSpec, *, device: torch.device, steps: int = 3, budget_s: float = 10.0) -> StepTiming:
    """Prepare `spec`'s run and time up to `steps` steps after one warm-up step, stopping past `budget_s`."""
    began = time.perf_counter()
    trainer = prepare_run(spec, device).trainer
    setup = time.perf_counter() - began
    warm_up = _timed(trainer.step)
    times: list[float] = []
    while len(times) < steps and warm_up + sum(times) < budget_s:
        times.append(_timed(trainer.step))
    per_step = sum(times) / len(times) if times else warm_up
    if not math.isfinite(per_step) or per_step <= 0:
        per_step = 1e-3
    return StepTiming(seconds_per_step=per_step, timed_steps=len(times), setup_seconds=setup)


def _timed(step) -> float:
    began = time.perf_counter()
    step()
    return time.perf_counter() - began


def _span(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


def _declared_seconds(spec: FineTuneSpec, *, device: torch.device, steps: int = 3, budget_s: float = 10.0) -> int:
    """The duration an estimate's GPU call declares: loading, the warm-up step, the timed steps' budget."""
    return math.ceil(LOAD_SECONDS + 2 * budget_s)  # the warm-up may take as long as the timed steps


measure_on_device = gpu_task(duration=_declared_seconds)(measure_steps)  # decorated at import, as ZeroGPU requires
