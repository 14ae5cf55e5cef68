"""run.json: how a run was trained (to repeat it) and what it is as a model (to list it in the registry).

The "model" block is what `gan_demo.entries.entry_from_run` reads; the folder's name is the model's key.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gan_demo.entries import RUN_RECORD
from gan_demo.models import ARCHITECTURES
from gan_demo.training.family import Family, Trainer
from gan_demo.training.loop import StepLog


@dataclass(frozen=True)
class ModelCard:
    """What a user says about the model a run makes; the defaults say where it came from."""

    title: str = ""  # dropdown label (default: the run folder's name and the family)
    description: str = ""  # one paragraph for the UI (default: the family and the data folders)
    licence: str = "unspecified (set it to the licence of the training images)"
    credit: str = "trained with python -m gan_demo.training"
    base_model: str | None = None  # registry key of the model a fine-tuned run started from


UNSPECIFIED = "unspecified"
LICENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .+()-]{0,63}$")  # an SPDX id or a short name, as typed
CREDIT_MAX = 300


def fine_tune_terms(
    licence: str | None, credit: str | None, *, made_by: str, base: tuple[str, str, str] | None = None
) -> tuple[str, str]:
    """(licence, credit) for a fine-tuned model's card: the user's, then how it was made and what the card of
    its base says (base: key, licence, credit). Raises ValueError for text that is not one plain line."""
    licence = " ".join(str(licence or UNSPECIFIED).split())
    if not LICENCE.match(licence):
        raise ValueError(
            "Licence: an identifier such as MIT or CC-BY-4.0 (letters, digits, spaces and . + ( ) -, up to 64)."
        )
    credit = " ".join(str(credit or "").split())  # one line on the card
    if len(credit) > CREDIT_MAX or re.search(r"[<>\[\]]", credit):
        raise ValueError(f"Credit: one line of plain text, up to {CREDIT_MAX} characters, without < > [ ].")
    if licence == UNSPECIFIED:
        licence = "unspecified (the terms of the training images apply, and those of the base model)"
    made = made_by
    if base is not None:
        key, base_licence, base_credit = base
        made = f"{made_by} from {key} (its licence: {base_licence}; its credit: {base_credit})"
    return licence, f"{credit}; {made}" if credit else made


def architecture_name(network: nn.Module) -> str:
    """The name under which gan_demo.models.ARCHITECTURES builds this network."""
    for name, cls in ARCHITECTURES.items():
        if type(network) is cls:
            return name
    raise ValueError(f"{type(network).__name__} is not in gan_demo.models.ARCHITECTURES, so it cannot be loaded")


def model_block(
    family: Family, trainer: Trainer, folders: dict[str, Path], config: Any, card: ModelCard, *, name: str
) -> dict[str, Any]:
    """The registry fields of the networks this run exports (see gan_demo.entries.REQUIRED)."""
    roles = list(trainer.inference_roles)
    data = ", ".join(str(folder) for value in folders.values() for folder in _as_list(value))
    block: dict[str, Any] = {
        "task": family.task,
        "title": card.title or f"{name} ({family.name})",
        "description": card.description or f"Trained with the {family.name} family on {data}.",
        "architecture": architecture_name(trainer.networks()[roles[0]]),
        "roles": roles,
        "image_size": config.size,
        "licence": card.licence,
        "credit": card.credit,
        "base_model": card.base_model,
    }
    if directions := family.directions(folders):
        block["directions"] = directions
    networks = trainer.networks()
    others = {role: architecture_name(networks[role]) for role in roles[1:]}
    if others := {role: name for role, name in others.items() if name != block["architecture"]}:
        block["role_architectures"] = others
    if trainer.attributes:
        block["attributes"] = list(trainer.attributes)
    return block


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, list | tuple) else [value]


def command_line(prog: str, argv: list[str]) -> str:
    """The shell command that repeats `prog argv` (each argument quoted as the shell needs)."""
    return " ".join([prog, shlex.join(argv)]) if argv else prog


def stage_base_record(model: Path, out: Path, *, task: str, what: str) -> dict[str, Any]:
    """The run.json of `model`, the run a post-hoc stage is added to, which writes `out`: a run folder with a
    generator, of `task` (`what` names it in the message), and `out` not there yet; else ValueError, whose
    message the command prints."""
    record_path = model / RUN_RECORD
    if not record_path.is_file() or not (model / "generator").is_dir():
        raise ValueError(f"{model} is not a run folder with a generator")
    record = json.loads(record_path.read_text())
    if record.get("model", {}).get("task") != task:
        raise ValueError(f"{model} is not {what}")
    if out.exists():
        raise ValueError(f"{out} exists; choose a new folder")
    return record


def save_added_stage(
    source: Path, out: Path, role: str, network: nn.Module, record: dict[str, Any], *, architecture: str, block: dict
) -> None:
    """save_fitted_run for a stage the run did not have: `role` listed last among the model's roles, with its
    architecture, and `block` (the command and the fit's figures) recorded under the role's name."""
    model = record["model"]
    model["roles"] = [name for name in model["roles"] if name != role] + [role]
    model.setdefault("role_architectures", {})[role] = architecture
    record[role] = block
    save_fitted_run(source, out, role, network, record)


def save_fitted_run(source: Path, out: Path, role: str, network: nn.Module, record: dict[str, Any]) -> None:
    """A run fitted after training (a post-hoc stage): `source` copied to `out`, `role` (re)saved as
    `network`, and `record` as its run.json."""
    shutil.copytree(source, out)
    shutil.rmtree(out / role, ignore_errors=True)
    network.save_pretrained(out / role)
    (out / RUN_RECORD).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")


def run_record(
    family: Family, config: Any, argv: list[str], device: torch.device, log: StepLog, model: dict[str, Any]
) -> dict[str, Any]:
    """The whole run.json: the family, its config, the command to repeat it, the last step, the model block."""
    return {
        "family": family.name,
        "config": dataclasses.asdict(config),
        "command": command_line("python -m gan_demo.training", argv),
        "steps": log.step,
        "seconds": round(log.seconds, 1),
        "data": log.extra,
        "last_losses": log.losses,
        "device": str(device),
        "threads": torch.get_num_threads(),
        "model": model,
    }
