"""The one training loop: an iterator of step logs, so the UI and the CLI stop by not asking for more."""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gan_demo.training.distributed import agree


@dataclass
class StepLog:
    step: int  # steps done so far (1-based)
    losses: dict[str, float]  # named, already-weighted loss terms of this step
    seconds: float  # wall-clock time since the loop started
    extra: dict[str, Any] = field(default_factory=dict)


class NonFiniteLoss(FloatingPointError):
    """A loss became NaN or infinite; the run stops and nothing is saved from this step."""


def fit(
    step: Callable[[int], dict[str, float]],
    *,
    steps: int,
    max_seconds: float | None = None,
    extra: dict[str, Any] | None = None,
    start: int = 0,
    seconds: float = 0.0,
) -> Iterator[StepLog]:
    """Call `step(i)` for i = start … steps−1 (or until `max_seconds`) and yield a StepLog after each.

    `extra` (e.g. the size of the data set) is copied into every log, for the run's record. A resumed run
    passes the steps (`start`) and `seconds` already done: logs count on from them, `max_seconds` is this
    session's budget.
    """
    began = time.perf_counter()
    for index in range(start, steps):
        losses = step(index)
        bad = [name for name, value in losses.items() if not torch.isfinite(torch.tensor(value))]
        if bad:
            raise NonFiniteLoss(f"step {index + 1}: {', '.join(bad)} became non-finite; stopping")
        elapsed = time.perf_counter() - began
        yield StepLog(index + 1, losses, seconds + elapsed, dict(extra or {}))
        if max_seconds is not None and agree(elapsed >= max_seconds):  # all processes stop together
            return


class LossHistory:
    """Every step's named loss terms, for the run record's curve; past `limit` points every other one is
    dropped and points are then kept at twice the spacing, so a long run's curve stays small and even."""

    def __init__(self, *, limit: int = 4000) -> None:
        self.limit = limit
        self.steps: list[int] = []
        self.points: list[dict[str, float]] = []
        self.spacing = 1  # steps between kept points

    def add(self, step: int, losses: dict[str, float]) -> None:
        if self.steps and step - self.steps[-1] < self.spacing:
            return
        self.steps.append(step)
        self.points.append({name: float(f"{value:.6g}") for name, value in losses.items()})
        if len(self.steps) > self.limit:
            self.steps, self.points, self.spacing = self.steps[::2], self.points[::2], self.spacing * 2

    def rows(self) -> list[dict[str, float]]:
        """{"step": …, term: value, …} per kept point (what the Fine-tune tab plots)."""
        return [{"step": float(step), **point} for step, point in zip(self.steps, self.points, strict=True)]

    def to_json(self) -> dict[str, Any]:
        """Columns: "step" and one list per term (null where a step lacks the term)."""
        names = sorted({name for point in self.points for name in point})
        terms = {name: [point.get(name) for point in self.points] for name in names}
        return {"step": list(self.steps), "spacing": self.spacing, "terms": terms}

    @classmethod
    def from_json(cls, columns: dict[str, Any], *, limit: int = 4000) -> LossHistory:
        history = cls(limit=limit)
        history.steps, history.spacing = [int(step) for step in columns["step"]], int(columns.get("spacing", 1))
        terms = columns.get("terms", {})
        history.points = [
            {name: values[i] for name, values in terms.items() if values[i] is not None}
            for i in range(len(history.steps))
        ]
        return history


def save_run(
    folder: Path,
    networks: dict[str, nn.Module],
    record: dict[str, Any],
    *,
    half: bool = True,
    extra: Callable[[Path], None] | None = None,  # writes more files into the new folder before it goes live
) -> None:
    """Write each network as a save_pretrained sub-folder plus run.json, atomically (all or nothing).

    Everything is written into a hidden folder beside `folder`, which then takes its place: the old folder
    is first renamed aside (hidden, never listed), so at every moment the run is either the old one or
    the new one, and a failure anywhere before the swap leaves the old one as it was.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
    staging.chmod(0o755)  # mkdtemp makes it private; a run folder is an ordinary folder
    retired = staging.with_name(staging.name + "-old")
    try:
        for name, network in networks.items():
            (copy.deepcopy(network).half() if half else network).save_pretrained(staging / name)
        (staging / "run.json").write_text(json.dumps(record, indent=2) + "\n")
        if extra is not None:
            extra(staging)
        _swap(staging, folder, retired)
    finally:
        for leftover in (staging, retired):
            if leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)


def _swap(new: Path, folder: Path, retired: Path) -> None:
    """Put `new` in the place of `folder`; the old one is moved to `retired` (put back if the swap fails)."""
    if folder.exists():
        os.replace(folder, retired)
    try:
        os.replace(new, folder)
    except OSError:
        if retired.exists():
            os.replace(retired, folder)
        raise


def remove_run(folder: Path) -> None:
    """Delete a run folder; renamed to a hidden name first, so a half-deleted run is never listed."""
    folder = Path(folder)
    aside = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-deleted-"))
    os.replace(folder, aside / "run")
    shutil.rmtree(aside, ignore_errors=True)
