"""What a model entry is, and how a run folder describes one.

A run folder (written by `python -m gan_demo.training`, or bundled under checkpoints/) holds one
save_pretrained sub-folder per network role plus run.json, whose "model" block names what the registry
needs: task, title, description, architecture, roles (and translation directions), image size, attributes,
licence, credit, base model and task options (typed by the task's spec, gan_demo.specs). `entry_from_run`
turns such a folder into a `ModelEntry`, so a bundled model needs no hand-written entry and a fine-tuned run
appears in its tab.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gan_demo.settings import checkpoints_dir as default_checkpoints_dir
from gan_demo.specs import SPECS, Task, TaskOptions

CHECKPOINTS_DIR = default_checkpoints_dir()  # GAN_DEMO_CHECKPOINTS, read once: the catalogue is built at import
RUN_RECORD = "run.json"  # beside the role folders of a run
ROLE_CONFIG = "config.json"  # constructor arguments, inside each role folder
REQUIRED = ("task", "title", "description", "architecture", "roles", "image_size", "licence", "credit")


@dataclass(frozen=True)
class WeightSource:
    """Where one network's weights can come from; the loader tries them in the order listed here.

    Each place is optional: a bundled folder under checkpoints/, a file inside an installed Python
    package, and a Hugging Face Hub repo pinned to a commit.
    """

    bundled: str | None = None  # folder under checkpoints/ (config.json + model.safetensors), or an absolute path
    package: str | None = None  # importable package that ships the file, e.g. "vintagify"
    package_file: str | None = None  # path inside that package
    hub_repo: str | None = None  # "owner/name"
    hub_file: str = "model.safetensors"  # file inside the Hub repo
    hub_revision: str | None = None  # a 40-hex commit: presets are always pinned
    hub_repo_type: str = "model"  # "model" or "space"
    layout: str = "native"  # key adapter for foreign files, see gan_demo.models.legacy
    wrapper_key: str | None = None  # the state dict sits under this key of the loaded dict


@dataclass(frozen=True)
class ModelEntry:
    key: str  # stable identifier used by the UI, the CLI and scripts
    task: Task
    title: str  # short label for dropdowns
    description: str  # one paragraph for the UI and `gan-demo models`
    architecture: str  # name in gan_demo.models.ARCHITECTURES (of every role unless role_architectures says)
    config: Mapping[str, Any]  # constructor keyword arguments (JSON values)
    weights: Mapping[str, WeightSource]  # network role → source: "generator", or "a2b" / "b2a"
    image_size: int  # the resolution it was trained at (px, square)
    licence: str
    credit: str
    directions: Mapping[str, str] = field(default_factory=dict)  # translate: role → "photo → vintage"
    attributes: tuple[str, ...] = ()  # attribute names for StarGAN sliders
    options: TaskOptions | None = None  # the task's options type (gan_demo.specs); None: its defaults
    base_model: str | None = None  # key of the model a fine-tuned run started from
    role_architectures: Mapping[str, str] = field(default_factory=dict)  # role → architecture, where it differs

    def architecture_of(self, role: str) -> str:
        """The architecture of one network role (e.g. a StarGAN's discriminator beside its generator)."""
        return self.role_architectures.get(role, self.architecture)

    def __post_init__(self) -> None:
        task_spec = SPECS.get(self.task)
        if task_spec is None:  # Registry.add names the valid tasks
            return
        if self.options is None:
            object.__setattr__(self, "options", task_spec.options())
        elif not isinstance(self.options, task_spec.options):
            raise ValueError(f"{self.key}: {self.task} options must be {task_spec.options.__name__}")

    @property
    def source_kind(self) -> str:
        """ "bundled", "run", "package" or "hub": where the first listed source of the first network is."""
        source = next(iter(self.weights.values()))
        if source.bundled:
            return "run" if Path(source.bundled).is_absolute() else "bundled"
        if source.package:
            return "package"
        return "hub"

    def summary(self) -> dict[str, Any]:
        summary = self._summary()
        if self.task == "attributes":  # the names and range `gan-demo edit --attr` takes
            low, high = getattr(self.options, "low", 0.0), getattr(self.options, "high", 1.0)
            summary["attributes"] = [{"name": name, "min": low, "max": high} for name in self.attributes]
        return summary

    def _summary(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "task": self.task,
            "title": self.title,
            "source": self.source_kind,
            "image_size": self.image_size,
            "licence": self.licence,
            "directions": dict(self.directions),
        }


class UnknownModel(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; this one reads as a sentence
        return str(self.args[0])


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read {path} ({error})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return value


def _source_name(folder: Path, checkpoints_dir: Path) -> str:
    """How a WeightSource names the folder: relative under checkpoints/ (bundled), else absolute (a run)."""
    root = checkpoints_dir.resolve()
    return folder.relative_to(root).as_posix() if folder.is_relative_to(root) else str(folder)


def entry_from_run(folder: str | os.PathLike, *, checkpoints_dir: Path | None = None) -> ModelEntry:
    """The registry entry of a run folder; its key is the folder's name unless run.json's model block sets one.

    The entry's `config` holds the constructor arguments all roles of its main architecture share (roles of
    another architecture, such as discriminators or a sketch model's sibling bank, do not count); each role's
    own config.json (e.g. a generator that paints flat colours in one direction only) still wins when it is loaded.
    """
    folder = Path(folder).resolve()
    model = _read_json(folder / RUN_RECORD).get("model")
    if not isinstance(model, dict):
        raise ValueError(f'{folder / RUN_RECORD} has no "model" block, so it cannot be listed as a model')
    missing = [name for name in REQUIRED if name not in model]
    if missing:
        raise ValueError(f"{folder / RUN_RECORD}: the model block lacks {', '.join(missing)}")
    roles = list(model["roles"])
    others = dict(model.get("role_architectures", {}))  # roles of another architecture share nothing with these
    configs = [_read_json(folder / role / ROLE_CONFIG) for role in roles if role not in others]
    shared = {k: v for k, v in configs[0].items() if all(c.get(k) == v for c in configs[1:])} if configs else {}
    prefix = _source_name(folder, Path(checkpoints_dir or CHECKPOINTS_DIR))
    return ModelEntry(
        key=model.get("key", folder.name),
        task=model["task"],
        title=model["title"],
        description=model["description"],
        architecture=model["architecture"],
        config=shared,
        weights={role: WeightSource(bundled=f"{prefix}/{role}") for role in roles},
        image_size=int(model["image_size"]),
        licence=model["licence"],
        credit=model["credit"],
        directions=dict(model.get("directions", {})),
        attributes=tuple(model.get("attributes", ())),
        options=_options(model, folder),
        base_model=model.get("base_model"),
        role_architectures=dict(model.get("role_architectures", {})),
    )


def _options(model: Mapping[str, Any], folder: Path) -> TaskOptions | None:
    task_spec = SPECS.get(model["task"])
    where = f"{folder / RUN_RECORD}: task_options"
    return task_spec.parse_options(model.get("task_options"), where=where) if task_spec else None


def bundled_runs(checkpoints_dir: Path | None = None) -> list[Path]:
    """The run folders under checkpoints/, by name."""
    root = Path(checkpoints_dir or CHECKPOINTS_DIR)
    return sorted(run.parent for run in root.glob(f"*/{RUN_RECORD}")) if root.is_dir() else []
