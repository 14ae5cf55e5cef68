"""A short fine-tune: continue a run (bundled or earlier) on new data, guarded, previewed and saved as a model.

The same function serves `gan-demo finetune` (in the foreground) and the app's training worker (in a
background thread): it builds the family's trainer from the base run's recorded config, loads the base's
networks (generators and discriminators, so the discriminator starts warm), optionally freezes the
discriminators' first layers (FreezeD, Mo, Cho & Shin 2020), and steps until the step count, the time
budget or a stop request. A non-finite loss rolls back to the last good weights with half the learning rate
(non-finite weights are never saved); the run is saved atomically, periodically and at the end, with a
model block so that it appears in the registry at once.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from torch import nn

from gan_demo.entries import CHECKPOINTS_DIR, RUN_RECORD
from gan_demo.imaging import make_grid
from gan_demo.registry import Registry
from gan_demo.tensors import from_signed_unit, uint8_to_signed
from gan_demo.training.families import get_family
from gan_demo.training.family import Family, Trainer
from gan_demo.training.loop import StepLog, save_run
from gan_demo.training.record import ModelCard, model_block, run_record

TUNABLE = (  # config fields a fine-tune may change: the recipe, never the architecture
    "lr",
    "batch_size",
    "augment",
    "ema",
    "seed",
    "lambda_l1",
    "lambda_cycle",
    "lambda_identity",
    "beta1",  # pix2pix without a discriminator trains better with Adam's usual 0.9 than GANs' 0.5
    "lambda_ssim",
    "affine",  # pix2pix augmentations of the base's recipe, which may not suit the new pairs
    "traced_fraction",
    "vary_strokes",
)
MAX_ROLLBACKS = 3  # non-finite losses in a row, each met by a rollback, before the run gives up
SNAPSHOT_EVERY = 25  # steps between in-memory copies of the last good weights


class FineTuneFailed(RuntimeError):
    """The run could not go on (its losses kept turning non-finite); the message is meant for the user."""


@dataclass
class FineTuneSpec:
    family: str  # "gan", "pix2pix" or "cyclegan"
    folders: dict[str, Path]  # the family's data folders by name (see training/datasets.py)
    out: Path  # the run folder to write; its name becomes the model's key
    steps: int  # optimisation steps at most
    base: Path | None = None  # run folder to start from (bundled or earlier); None trains from scratch
    minutes: float | None = None  # wall-clock budget
    overrides: dict[str, Any] = field(default_factory=dict)  # config fields from TUNABLE
    freeze_d: int = 0  # the discriminators' first N convolutions keep their base weights
    card: ModelCard = field(default_factory=ModelCard)
    preview_every: int = 25  # steps between preview grids
    save_every_s: float = 120.0  # seconds between periodic saves
    command: list[str] = field(default_factory=list)  # how it was started, for the run record


@dataclass
class Update:
    """What the run reports after each step (and once before the first)."""

    step: int
    total: int
    losses: dict[str, float]
    seconds: float
    preview: Image.Image | None = None  # a fresh preview grid, every `preview_every` steps
    message: str = ""  # e.g. a rollback


def base_run_folder(registry: Registry, value: str, task: str) -> Path:
    """The run folder a fine-tune starts from: a folder path, or the run folder of a registry key's weights.

    Only models whose weights are a run folder (bundled under checkpoints/, or an earlier run) can be bases.
    """
    if Path(value).is_dir():
        return Path(value)
    entry = registry.get(value, task)
    source = next(iter(entry.weights.values()))
    if not source.bundled:
        raise ValueError(f"{entry.key} loads from a package or the Hub, not a run folder, so it cannot be a base yet")
    return (CHECKPOINTS_DIR / source.bundled).parent  # an absolute run path stays as it is


def folder_problem(folder: Path, *, min_free_bytes: int = 200 * 2**20) -> str:
    """Why runs cannot be written under `folder` ("" when they can): not writable, or too little free space."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        return f"{folder} is not writable ({error.strerror or error})"
    free = shutil.disk_usage(folder).free
    if free < min_free_bytes:
        return f"only {free // 2**20} MB free under {folder} (a run needs about {min_free_bytes // 2**20} MB)"
    return ""


def base_config(family: Family, base: Path | None, overrides: dict[str, Any]) -> Any:
    """The family config: the base run's recorded one (architecture included) with the tunable overrides."""
    unknown = sorted(set(overrides) - set(TUNABLE) - ({"size"} if base is None else set()))
    if unknown:
        raise ValueError(f"cannot change {', '.join(unknown)} in a fine-tune; tunable: {', '.join(TUNABLE)}")
    recorded: dict[str, Any] = {}
    if base is not None:
        record_path = Path(base) / RUN_RECORD
        if not record_path.is_file():
            raise ValueError(f"{base}: not a run folder (no {RUN_RECORD}); it cannot be a fine-tune base")
        record = json.loads(record_path.read_text())
        if record.get("family") != family.name:
            raise ValueError(f"{base} was trained by the {record.get('family')!r} family, not {family.name!r}")
        recorded = dict(record.get("config", {}))
    names = {f.name for f in dataclasses.fields(family.config)}
    given = {k: v for k, v in {**recorded, **overrides}.items() if k in names}
    return family.config(**given)


def freeze_early_convolutions(network: nn.Module, count: int) -> int:
    """Zero the gradients of the first `count` convolutions (FreezeD); returns how many were frozen.

    A gradient hook, not requires_grad, because trainers switch discriminators' requires_grad every step.
    With zero gradients from the start, Adam's moments stay zero and the weights do not move.
    """
    convolutions = [m for m in network.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))][:count]
    for module in convolutions:
        for parameter in module.parameters(recurse=False):
            parameter.register_hook(torch.zeros_like)
    return len(convolutions)


def _optimisers(trainer: Trainer) -> list[torch.optim.Optimizer]:
    return [value for value in vars(trainer).values() if isinstance(value, torch.optim.Optimizer)]


def _snapshot(trainer: Trainer) -> dict[str, dict[str, torch.Tensor]]:
    return {role: copy.deepcopy(net.state_dict()) for role, net in trainer.networks().items()}


def _schedulers(trainer: Trainer) -> list[torch.optim.lr_scheduler.LRScheduler]:
    values = [v for value in vars(trainer).values() for v in (value if isinstance(value, list | tuple) else [value])]
    return [value for value in values if isinstance(value, torch.optim.lr_scheduler.LRScheduler)]


def _restore(trainer: Trainer, snapshot: dict[str, dict[str, torch.Tensor]]) -> None:
    for role, network in trainer.networks().items():
        network.load_state_dict(snapshot[role])
    for optimiser in _optimisers(trainer):
        optimiser.state.clear()  # moments may hold the non-finite values
        for group in optimiser.param_groups:
            group["lr"] *= 0.5
    for scheduler in _schedulers(trainer):  # a scheduler sets the rate from its base rates at every step
        scheduler.base_lrs = [rate * 0.5 for rate in scheduler.base_lrs]


def _finite(networks: dict[str, nn.Module]) -> bool:
    return all(
        torch.isfinite(p).all() for net in networks.values() for p in net.state_dict().values() if p.is_floating_point()
    )


@torch.no_grad()
def preview_grid(family: Family, trainer: Trainer, *, count: int = 8) -> Image.Image:  # two rows
    """A fixed-seed sample grid (sampling) or the first training inputs translated (translators)."""
    exported = trainer.export()
    role = next(iter(exported))
    network = exported[role]
    if family.task == "sample":
        z = torch.randn(count, network.latent_dim, generator=torch.Generator().manual_seed(0))
        return make_grid(from_signed_unit(network(z.to(trainer.device))), columns=(count + 1) // 2)
    source = uint8_to_signed(trainer.data.sets[0][:count])
    outputs = from_signed_unit(network(source.to(trainer.device)))
    return make_grid(from_signed_unit(source) + outputs, columns=len(outputs))


def run_finetune(
    spec: FineTuneSpec,
    *,
    device: torch.device,
    should_stop: Callable[[], bool] = lambda: False,
    on_update: Callable[[Update], None] = lambda update: None,
) -> Path:
    """Train as `spec` says and save the run folder (returned); stops early when `should_stop()` says so."""
    family = get_family(spec.family)
    config = base_config(family, spec.base, spec.overrides)
    data = family.data.load(spec.folders, size=config.size, split=None, min_count=min(config.batch_size, 2))
    trainer = family.build(config, data, steps=spec.steps, device=device)
    if spec.base is not None:
        trainer.load_networks(Path(spec.base))
    if spec.freeze_d:
        for role, network in trainer.networks().items():
            if role not in trainer.inference_roles and "disc" in role:
                freeze_early_convolutions(network, spec.freeze_d)
    card = dataclasses.replace(spec.card, base_model=spec.base.name if spec.base else None)
    model = model_block(family, trainer, spec.folders, config, card, name=spec.out.name)
    record = _recorder(family, config, spec, device, model)
    on_update(Update(0, spec.steps, {}, 0.0, preview_grid(family, trainer), "started"))
    log = _train(
        family,
        trainer,
        spec,
        should_stop=should_stop,
        on_update=on_update,
        save=lambda log: _save(trainer, spec.out, record(log)),
    )
    if log is None:
        raise FineTuneFailed("stopped before the first step; nothing was saved")
    _save(trainer, spec.out, record(log))
    return spec.out


def _recorder(family: Family, config: Any, spec: FineTuneSpec, device: torch.device, model: dict) -> Callable:
    def record(log: StepLog) -> dict[str, Any]:
        result = run_record(family, config, spec.command, device, log, model)
        result["command"] = "gan-demo finetune " + " ".join(spec.command) if spec.command else "the Fine-tune tab"
        result["finetune"] = {"base": str(spec.base) if spec.base else None, "freeze_d": spec.freeze_d}
        return result

    return record


def _save(trainer: Trainer, out: Path, record: dict[str, Any]) -> None:
    networks = trainer.run_networks()
    if not _finite(networks):
        raise FineTuneFailed("the weights became non-finite; nothing was saved")
    save_run(out, networks, record)


def _train(family, trainer, spec, *, should_stop, on_update, save) -> StepLog | None:
    """The guarded loop: steps until done, out of time or stopped; rolls back on non-finite losses."""
    start = last_save = time.perf_counter()
    good, failures, log = _snapshot(trainer), 0, None
    for step in range(1, spec.steps + 1):
        if should_stop():
            break
        losses = trainer.step()
        elapsed = time.perf_counter() - start
        if not all(math.isfinite(value) for value in losses.values()):
            failures += 1
            if failures >= MAX_ROLLBACKS:
                raise FineTuneFailed(f"the losses were non-finite {failures} times in a row; try a lower learning rate")
            _restore(trainer, good)
            on_update(
                Update(step, spec.steps, losses, elapsed, message="non-finite loss: rolled back, learning rate halved")
            )
            continue
        failures = 0
        log = StepLog(step, losses, elapsed, dict(trainer.data.summary))
        if step % SNAPSHOT_EVERY == 0:
            good = _snapshot(trainer)
        preview = preview_grid(family, trainer) if step % spec.preview_every == 0 else None
        on_update(Update(step, spec.steps, losses, elapsed, preview))
        if time.perf_counter() - last_save > spec.save_every_s:
            save(log)
            last_save = time.perf_counter()
        if spec.minutes is not None and elapsed >= spec.minutes * 60:
            break
    return log
