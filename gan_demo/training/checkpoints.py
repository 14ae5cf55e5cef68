"""Run folders that can be resumed: the model, its card, the training state, and the checkpoints it keeps.

Each save writes one whole run folder atomically (`loop.save_run`): the networks and run.json as before,
plus `README.md` (a model card made from run.json, see `card.py`), `training_state.pt` (what a resumed run
needs: `Trainer.training_state()`, the step, the time, the loss history, the best so far) and
`checkpoints/`, which holds the last `keep_last` saves as `step-NNNNNN/` and the best one as `best/`.
They sit inside the run folder, so they are never listed as models of their own (the registry lists the
runs folder's direct children only), yet each is a complete run folder: `--model RUN/checkpoints/best`
samples from it, `--resume RUN/checkpoints/step-000400 --out RUN` goes back to it.

Kept checkpoints are carried from one save to the next by hard links (their files are never rewritten in
place), so keeping them costs one copy of each, and the newest checkpoint is the top level linked again.

"Best" is the lowest mean, over the steps since the previous save, of the family's `best_terms` (the
generator's reconstruction terms where it has them: L1 for pix2pix, cycle for CycleGAN, reconstruction
for StarGAN; the adversarial G term for the unconditional GAN, which is only a weak signal). The state is
written with `torch.save` of tensors and plain containers, read back with `weights_only=True`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from gan_demo.training.card import CARD_NAME, is_generated, model_card
from gan_demo.training.family import Family, Trainer
from gan_demo.training.loop import LossHistory, save_run

STATE_NAME = "training_state.pt"
CHECKPOINTS = "checkpoints"
BEST = "best"
STATE_FORMAT = 1


def step_folder(step: int) -> str:
    return f"step-{step:06d}"


def _step_of(name: str) -> int | None:
    number = name.removeprefix("step-")
    return int(number) if name.startswith("step-") and number.isdigit() else None


@dataclass
class Resumed:
    """What a run folder's training state says: where to go on from."""

    family: str
    config: dict[str, Any]
    step: int
    seconds: float
    history: LossHistory
    best: dict[str, Any] | None
    command: str  # how the run was first started
    resumed_at: list[int]  # the steps at which earlier sessions went on
    trainer: dict[str, Any]  # Trainer.training_state()
    record: dict[str, Any]  # the folder's run.json: its model block (title, licence…) stays the run's

    @property
    def start(self) -> tuple[int, float]:
        """The steps and seconds already done."""
        return self.step, self.seconds

    def check(self, family: Family, config: Any) -> None:
        """Refuse to go on with another family or other settings (the networks and optimisers would not fit)."""
        if family.name != self.family:
            raise ValueError(f"the run was trained by the {self.family!r} family, not {family.name!r}")
        now = dataclasses.asdict(config)
        differ = [f"{k} is {v!r} in the run, {now[k]!r} here" for k, v in self.config.items() if now.get(k, v) != v]
        if differ:
            raise ValueError("a resumed run keeps its settings: " + "; ".join(differ))


def _state_path(folder: Path) -> Path:
    """The training state file of a run folder; a clear error when it has none."""
    path = Path(folder) / STATE_NAME
    if not path.is_file():
        raise ValueError(
            f"{folder} has no {STATE_NAME}, so it cannot be resumed (bundled models and runs saved before "
            "resuming existed have none: start a new run from it instead)"
        )
    return path


def resume_point(folder: Path) -> tuple[str, int]:
    """(family, steps done) of a resumable run, from its run record: without loading the training state."""
    _state_path(folder)
    record = json.loads((Path(folder) / "run.json").read_text())
    return record["family"], int(record["steps"])


def read_resume(folder: Path) -> Resumed:
    """The training state of a run folder (or one of its checkpoints); a clear error when it has none."""
    path = _state_path(folder)
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state.get("format") != STATE_FORMAT:
        raise ValueError(f"{path}: training state format {state.get('format')!r}, expected {STATE_FORMAT}")
    return Resumed(
        family=state["family"],
        config=dict(state["config"]),
        step=int(state["step"]),
        seconds=float(state["seconds"]),
        history=LossHistory.from_json(state["history"]),
        best=state["best"],
        command=state["command"],
        resumed_at=list(state["resumed_at"]),
        trainer=state["trainer"],
        record=json.loads((Path(folder) / "run.json").read_text()),
    )


@dataclass
class RunWriter:
    """Saves one run folder again and again as training goes on (see the module docstring)."""

    folder: Path  # the run folder; its name is the model's key
    family: Family  # whose best_terms pick the best checkpoint
    keep_last: int = 2  # newest checkpoints kept (the top level is always the newest save)
    keep_every: int | None = None  # also keep, for good, the checkpoints of steps divisible by this
    half: bool = True  # networks saved in float16, as the bundled models are
    best: dict[str, Any] | None = None  # {"step", "value", "criterion"} of the best save so far
    resumed_at: list[int] = field(default_factory=list)
    _window: list[float] = field(default_factory=list)  # best-criterion values since the previous save

    @classmethod
    def going_on(cls, folder: Path, family: Family, resumed: Resumed | None, **options: Any) -> RunWriter:
        """A writer for a new run, or one that goes on from `resumed` (its best so far, its resume steps)."""
        if resumed is None:
            return cls(folder, family, **options)
        return cls(folder, family, best=resumed.best, resumed_at=[*resumed.resumed_at, resumed.step], **options)

    def __post_init__(self) -> None:
        if self.keep_last < 1:
            raise ValueError(f"keep_last must be at least 1 (the newest checkpoint), got {self.keep_last}")

    @property
    def criterion(self) -> str:
        terms = " + ".join(self.family.best_terms)
        return f"lowest mean {terms} over the steps since the previous save" if terms else "none"

    def observe(self, losses: dict[str, float]) -> None:
        """Note one step's losses for the best criterion (steps without the family's terms are skipped)."""
        terms = [losses[name] for name in self.family.best_terms if name in losses]
        if terms:
            self._window.append(sum(terms))

    def save(
        self, trainer: Trainer, record: dict[str, Any], history: LossHistory, networks: dict | None = None
    ) -> None:
        """Write the run folder for the step `record` is at (its "steps" and "seconds"); `networks` defaults
        to `trainer.run_networks()`."""
        step = int(record["steps"])
        value = sum(self._window) / len(self._window) if self._window else None
        is_best = value is not None and (self.best is None or value < self.best["value"])
        best = {"step": step, "value": value, "criterion": self.criterion} if is_best else self.best
        record = {
            **record,
            "resumed_at": self.resumed_at,
            "best": {**best, "folder": f"{CHECKPOINTS}/{BEST}"} if best else None,
            "loss_history": history.to_json(),
        }
        state = {
            "format": STATE_FORMAT,
            "family": record["family"],
            "config": record["config"],
            "step": step,
            "seconds": float(record["seconds"]),
            "history": history.to_json(),
            "best": best,
            "command": record["command"],
            "resumed_at": self.resumed_at,
            "trainer": trainer.training_state(),
        }
        extras = _Extras(self, record, state, step, is_best)
        save_run(self.folder, networks or trainer.run_networks(), record, half=self.half, extra=extras.write)
        self.best, self._window = best, []


@dataclass
class _Extras:
    """The files `RunWriter.save` adds to the new folder before it takes the old one's place."""

    writer: RunWriter
    record: dict[str, Any]
    state: dict[str, Any]
    step: int
    is_best: bool

    def write(self, staging: Path) -> None:
        old = self.writer.folder
        torch.save(self.state, staging / STATE_NAME)
        if (old / CARD_NAME).is_file() and not is_generated((old / CARD_NAME).read_text()):
            _link(old / CARD_NAME, staging / CARD_NAME)  # a hand-written card stays
        else:
            (staging / CARD_NAME).write_text(model_card(self.record))
        target = staging / CHECKPOINTS
        target.mkdir()
        for name in self._carried(old / CHECKPOINTS):
            _link_tree(old / CHECKPOINTS / name, target / name)
        newest = target / step_folder(self.step)
        newest.mkdir()
        for item in staging.iterdir():
            if item.name != CHECKPOINTS:
                (_link_tree if item.is_dir() else _link)(item, newest / item.name)
        if self.is_best:
            _link_tree(newest, target / BEST)

    def _carried(self, old: Path) -> list[str]:
        """Old checkpoints to keep: the newest before this step, those kept for good, and the best (if still it)."""
        names = [p.name for p in old.iterdir() if p.is_dir()] if old.is_dir() else []
        earlier = sorted((s, n) for n in names if (s := _step_of(n)) is not None and s < self.step)
        keep_every = self.writer.keep_every
        newest = {n for _, n in earlier[-(self.writer.keep_last - 1) :]} if self.writer.keep_last > 1 else set()
        kept = {n for s, n in earlier if keep_every and s % keep_every == 0}
        best = self.writer.best
        if not self.is_best and best and BEST in names and _record_step(old / BEST) == best["step"]:
            kept.add(BEST)
        return sorted(newest | kept)


def _record_step(folder: Path) -> int | None:
    try:
        return int(json.loads((folder / "run.json").read_text())["steps"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _link(source: Path, target: Path) -> None:
    """A hard link (the file is never rewritten in place), or a copy where the file system has none."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _link_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, copy_function=_link)
