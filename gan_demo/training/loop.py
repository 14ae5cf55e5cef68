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
) -> Iterator[StepLog]:
    """Call `step(i)` for i = 0 … steps−1 (or until `max_seconds`) and yield a StepLog after each.

    `extra` (e.g. the size of the data set) is copied into every log, for the run's record.
    """
    start = time.perf_counter()
    for index in range(steps):
        losses = step(index)
        bad = [name for name, value in losses.items() if not torch.isfinite(torch.tensor(value))]
        if bad:
            raise NonFiniteLoss(f"step {index + 1}: {', '.join(bad)} became non-finite; stopping")
        elapsed = time.perf_counter() - start
        yield StepLog(index + 1, losses, elapsed, dict(extra or {}))
        if max_seconds is not None and elapsed >= max_seconds:
            return


def save_run(folder: Path, networks: dict[str, nn.Module], record: dict[str, Any], *, half: bool = True) -> None:
    """Write each network as a save_pretrained sub-folder plus run.json, atomically (all or nothing).

    Everything is written under a hidden staging name first (never listed as a model). An earlier save is
    renamed aside, whole, before the new one takes its name, and only then deleted: a process killed at
    any point leaves `folder` complete (old or new) or absent, never half-deleted.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
    staging.chmod(0o755)  # mkdtemp makes it private; a run folder is an ordinary folder
    previous = None
    try:
        for name, network in networks.items():
            (copy.deepcopy(network).half() if half else network).save_pretrained(staging / name)
        (staging / "run.json").write_text(json.dumps(record, indent=2) + "\n")
        if folder.exists():
            previous = _move_aside(folder, "previous")
        os.replace(staging, folder)
    finally:
        if previous is not None and previous.exists() and not folder.exists():
            os.replace(previous, folder)  # the new save failed: the earlier one keeps its name
        for leftover in (staging, previous and previous.parent):
            if leftover is not None and leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)


def remove_run(folder: Path) -> None:
    """Delete a run folder; renamed to a hidden name first, so a half-deleted run is never listed."""
    aside = _move_aside(Path(folder), "deleted")
    shutil.rmtree(aside.parent, ignore_errors=True)


def _move_aside(folder: Path, why: str) -> Path:
    """Rename a whole run folder under a fresh hidden folder beside it (one atomic rename); its new path."""
    aside = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-{why}-")) / "run"
    os.replace(folder, aside)
    return aside
