"""A short fine-tune: continue a run (bundled or earlier) on new data, guarded, previewed and saved as a model.

The same function serves `gan-demo finetune` (in the foreground) and the app's training worker (in a
background thread): it builds the family's trainer from the base run's recorded config, loads the base's
networks (generators and discriminators, so the discriminator starts warm), optionally freezes the
discriminators' first layers (FreezeD, Mo, Cho & Shin 2020), and steps until the step count, the time
budget or a stop request. A non-finite loss rolls back to the last good weights with half the learning rate
(non-finite weights are never saved); the run is saved atomically, periodically and at the end, with a
model block so that it appears in the registry at once, a model card, its training state and its last
checkpoints plus the best (training/checkpoints.py). `FineTuneSpec.resume` goes on from a run's last save
with the run's own settings; training/estimate.py times a few steps of a prepared run before it starts.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import shlex
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
from gan_demo.settings import Settings
from gan_demo.tensors import from_signed_unit, uint8_to_signed
from gan_demo.training import distributed
from gan_demo.training.checkpoints import Resumed, RunWriter, read_resume
from gan_demo.training.distributed import agree
from gan_demo.training.families import FAMILIES, get_family
from gan_demo.training.family import Family, Trainer
from gan_demo.training.loop import LossHistory, StepLog
from gan_demo.training.precision import use_precision
from gan_demo.training.record import ModelCard, model_block, run_record
from gan_demo.training.run_lock import one_writer

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
    family: str  # "gan", "pix2pix", "cyclegan" or "stargan"
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
    precision: str = "auto"  # fp32 | bf16 | fp16 | auto (mixed precision on CUDA GPUs; see training/precision.py)
    resume: Path | None = None  # go on from this run folder's last save (its settings, base, FreezeD, precision)
    keep_last: int = 2  # checkpoints kept in out/checkpoints, besides the best


@dataclass
class Update:
    """What the run reports after each step (and once before the first)."""

    step: int
    total: int
    losses: dict[str, float]
    seconds: float
    preview: Image.Image | None = None  # a fresh preview grid, every `preview_every` steps
    message: str = ""  # e.g. a rollback
    history: list[dict[str, float]] | None = None  # a resumed run's earlier curve, sent once before its first step


def base_run_folder(registry: Registry, value: str, task: str, *, bases_dir: Path | None = None) -> Path:
    """The run folder a fine-tune starts from: a folder path, or the run folder of a registry key's weights.

    Bundled models and earlier runs are run folders. A Hub or package model that a family can train (see
    `Family.config_from_entry`) is loaded once (downloaded where the Hub is reachable, pinned as its entry
    says) and written as a run folder under `bases_dir` (default: GAN_DEMO_RUNS/.bases), named by its key.
    """
    if Path(value).is_dir():
        return Path(value)
    entry = registry.get(value, task)
    source = next(iter(entry.weights.values()))
    if source.bundled:
        return (CHECKPOINTS_DIR / source.bundled).parent  # an absolute run path stays as it is
    family, config = trainable_as(entry)
    if family is None:
        raise ValueError(f"{entry.key} loads from a package or the Hub, and no training family fits its networks")
    return _written_base(entry, family, config, Path(bases_dir or Settings.from_env().runs_dir / ".bases"))


def trainable_as(entry) -> tuple[Family | None, Any]:
    """The family (and its config) that can fine-tune a registry entry not trained by this project."""
    for family in FAMILIES.values():
        if family.task == entry.task and (config := family.config_from_entry(entry)) is not None:
            return family, config
    return None, None


def _written_base(entry, family: Family, config: Any, bases_dir: Path) -> Path:
    """The entry's networks as a run folder (its record says which family and config), written atomically once."""
    folder = bases_dir / entry.key
    if (folder / RUN_RECORD).is_file():
        return folder
    from gan_demo.hub import load_network  # the Hub client, only when a Hub base is asked for

    bases_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{entry.key}-", dir=bases_dir))
    try:
        for role in entry.weights:
            load_network(entry, role, device=torch.device("cpu")).save_pretrained(staging / role)
        model = {"title": entry.title, **({"directions": dict(entry.directions)} if entry.directions else {})}
        record = {"family": family.name, "config": dataclasses.asdict(config), "model": model}
        (staging / RUN_RECORD).write_text(json.dumps(record, indent=2))
        try:
            os.replace(staging, folder)
        except OSError:  # another request wrote it first
            if not (folder / RUN_RECORD).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


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
        _zero_gradients(module.parameters(recurse=False))
    return len(convolutions)


def _zero_gradients(parameters) -> None:
    for parameter in parameters:
        parameter.register_hook(torch.zeros_like)


def freeze_network(network: nn.Module) -> None:
    """Keep a whole network as it is while the others train (e.g. discriminators warmed up for a trained
    generator): zero gradients for every weight, as in FreezeD, and batch-norm statistics that never move."""
    _zero_gradients(network.parameters())
    for module in network.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.momentum = 0.0  # running = (1 − momentum) · running + momentum · batch


def _schedulers(trainer: Trainer) -> list[torch.optim.lr_scheduler.LRScheduler]:
    objects = trainer.state_objects().values()
    return [value for value in objects if isinstance(value, torch.optim.lr_scheduler.LRScheduler)]


def _snapshot(trainer: Trainer) -> dict[str, dict[str, torch.Tensor]]:
    return {role: copy.deepcopy(net.state_dict()) for role, net in trainer.networks().items()}


def _restore(trainer: Trainer, snapshot: dict[str, dict[str, torch.Tensor]]) -> None:
    for role, network in trainer.networks().items():
        network.load_state_dict(snapshot[role])
    for optimiser in trainer.optimisers():
        optimiser.state.clear()  # moments may hold the non-finite values
        for group in optimiser.param_groups:
            group["lr"] *= 0.5
    for scheduler in _schedulers(trainer):  # else the schedule's next step would set the old rate again
        scheduler.base_lrs = [lr * 0.5 for lr in scheduler.base_lrs]


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
    if family.task == "attributes":  # a few inputs of each domain, then each of them in every domain
        sets = trainer.data.sets
        source = torch.cat([uint8_to_signed(images[: max(1, count // len(sets))]) for images in sets])
        labels = torch.eye(len(sets), device=trainer.device)
        rows = [network(source.to(trainer.device), label.expand(len(source), -1)) for label in labels]
        return make_grid(
            [*from_signed_unit(source), *(image for row in rows for image in from_signed_unit(row))],
            columns=len(source),
        )
    source = uint8_to_signed(trainer.data.sets[0][:count])
    outputs = from_signed_unit(network(source.to(trainer.device)))
    return make_grid(from_signed_unit(source) + outputs, columns=len(outputs))


def _base_model_block(base: Path | None) -> dict[str, Any]:
    """The registry fields ("model") of a base run's record; {} for no base or one without a record."""
    record_path = Path(base) / RUN_RECORD if base is not None else None
    if record_path is None or not record_path.is_file():
        return {}
    return json.loads(record_path.read_text()).get("model") or {}


def base_domains(base: Path | None) -> list[str] | None:
    """The label names (domains, in order) of a multi-domain base run; None for other bases or none."""
    return _base_model_block(base).get("attributes")


def _check_domains(base: Path | None, data_domains: list[str] | None) -> None:
    """A multi-domain base is fine-tuned on its own domains, in its order (its label vector's meaning)."""
    known = base_domains(base)
    if known and data_domains is not None and list(data_domains) != list(known):
        raise ValueError(
            f"{base} translates between {', '.join(known)}: give one folder for each of them, in that order "
            f"(got {', '.join(data_domains)})"
        )


@dataclass
class PreparedRun:
    """A fine-tune ready to step: its family, config and trainer, and where a resumed one left off."""

    family: Family
    config: Any
    trainer: Trainer
    base: Path | None  # the run it started from (for the card)
    freeze_d: int
    precision: str  # the one chosen: fp32, bf16 or fp16
    resumed: Resumed | None


def prepare_run(spec: FineTuneSpec, device: torch.device) -> PreparedRun:
    """Build the trainer as `spec` says: from the base's weights, or from a resumed run's training state."""
    family = get_family(spec.family)
    resumed = read_resume(spec.resume) if spec.resume else None
    base, freeze_d, precision = spec.base, spec.freeze_d, spec.precision
    if resumed is not None:
        recorded = resumed.record.get("finetune") or {}
        base = Path(recorded["base"]) if recorded.get("base") else None
        freeze_d, precision = int(recorded.get("freeze_d", 0)), recorded.get("precision", precision)
    config = base_config(family, spec.resume or spec.base, spec.overrides)
    if resumed is not None:
        resumed.check(family, config)
    data = family.data.load(spec.folders, size=config.size, split=None, min_count=min(config.batch_size, 2))
    _check_domains(base, data.summary.get("domains"))
    session = distributed.current()  # under torchrun: this process's share of the data, averaged steps
    trainer = family.build(config, session.shard(data, batch_size=config.batch_size), steps=spec.steps, device=device)
    if resumed is None and base is not None:
        trainer.load_networks(Path(base))
    session.prepare(trainer, stream=resumed.step if resumed else 0)  # a resumed run's other processes: new streams
    precision = use_precision(trainer, precision)
    if resumed is not None:  # after use_precision: fp16's loss scaler is part of the state
        trainer.load_training_state(resumed.trainer, streams=session.is_main)
    if freeze_d:
        for role, network in trainer.networks().items():
            if role.startswith("disc"):  # discriminator, disc_a, disc_b (StarGAN's is an inference role too)
                freeze_early_convolutions(network, freeze_d)
    return PreparedRun(family, config, trainer, base, freeze_d, precision, resumed)


@one_writer(lambda: distributed.current().is_main)  # rank 0 alone writes the run folder
def run_finetune(
    spec: FineTuneSpec,
    *,
    device: torch.device,
    should_stop: Callable[[], bool] = lambda: False,
    on_update: Callable[[Update], None] = lambda update: None,
) -> Path:
    """Train as `spec` says and save the run folder (returned); stops early when `should_stop()` says so."""
    run = prepare_run(spec, device)
    if run.resumed is not None and run.resumed.step >= spec.steps:
        raise FineTuneFailed(f"the run is already at step {run.resumed.step} of {spec.steps}; ask for more steps")
    family, trainer, resumed = run.family, run.trainer, run.resumed
    card = dataclasses.replace(spec.card, base_model=run.base.name if run.base else None)
    if resumed:
        model = resumed.record["model"]
    else:
        model = model_block(family, trainer, spec.folders, run.config, card, name=spec.out.name)
        model = _keep_base_directions(model, run.base)
    record = _recorder(run, spec, device, model)
    writer = RunWriter.going_on(spec.out, family, resumed, keep_last=spec.keep_last)
    history = resumed.history if resumed else LossHistory()
    start = resumed.start if resumed else (0, 0.0)
    rows = history.rows() if resumed else None
    on_update(Update(start[0], spec.steps, {}, start[1], preview_grid(family, trainer), "started", history=rows))
    log = _train(
        family,
        trainer,
        spec,
        start=start,
        history=history,
        writer=writer,
        should_stop=should_stop,
        on_update=on_update,
        save=lambda log: _save(trainer, writer, record(log), history),
    )
    if log is None:
        raise FineTuneFailed("stopped before the first step; nothing was saved")
    distributed.current().verify(trainer)
    _save(trainer, writer, record(log), history)
    return spec.out


def _keep_base_directions(model: dict[str, Any], base: Path | None) -> dict[str, Any]:
    """A fine-tune of a two-way base translates between the base's domains: it keeps their names ("flat →
    modern"), not the names of the folders it was given (an upload's "A → B")."""
    named = _base_model_block(base).get("directions") or {}
    if "directions" not in model or set(named) != set(model["directions"]):
        return model
    return {**model, "directions": dict(named)}


def _recorder(run: PreparedRun, spec: FineTuneSpec, device: torch.device, model: dict) -> Callable:
    def record(log: StepLog) -> dict[str, Any]:
        result = run_record(run.family, run.config, spec.command, device, log, model)
        result["command"] = "gan-demo finetune " + shlex.join(spec.command) if spec.command else "the Fine-tune tab"
        if run.resumed is not None:
            result["command"] = run.resumed.command
        base = str(run.base) if run.base else None
        result["finetune"] = {"base": base, "freeze_d": run.freeze_d, "precision": run.precision}
        return result

    return record


def _save(trainer: Trainer, writer: RunWriter, record: dict[str, Any], history: LossHistory) -> None:
    networks = trainer.run_networks()
    if not _finite(networks):
        raise FineTuneFailed("the weights became non-finite; nothing was saved")
    if distributed.current().is_main:  # under torchrun, rank 0 alone writes
        writer.save(trainer, record, history, networks)


def _train(family, trainer, spec, *, start, history, writer, should_stop, on_update, save) -> StepLog | None:
    """The guarded loop: steps until done, out of time or stopped; rolls back on non-finite losses."""
    began = last_save = time.perf_counter()
    good, failures, log = _snapshot(trainer), 0, None
    for step in range(start[0] + 1, spec.steps + 1):
        if agree(should_stop()):  # under torchrun every process stops after the same step
            break
        losses = trainer.step()
        spent = time.perf_counter() - began  # this session's time (the budget); elapsed: the run's
        elapsed = start[1] + spent
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
        history.add(step, losses)
        writer.observe(losses)
        if step % SNAPSHOT_EVERY == 0:
            good = _snapshot(trainer)
        preview = preview_grid(family, trainer) if step % spec.preview_every == 0 else None
        on_update(Update(step, spec.steps, losses, elapsed, preview))
        if time.perf_counter() - last_save > spec.save_every_s:
            save(log)
            last_save = time.perf_counter()
        if spec.minutes is not None and agree(spent >= spec.minutes * 60):
            break
    return log
