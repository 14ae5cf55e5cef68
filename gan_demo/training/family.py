"""The one protocol every training family follows, so the CLI, the fine-tune worker and the app drive them alike.

A family (`Family`) is a table row: its config dataclass, the kind of data it trains on, the config
fields a user may set (`Option`s: command-line flags, and form fields for the app), and
`build(config, data, steps=…, device=…) -> Trainer`. A `Trainer` draws its own batches and does one
optimisation step per `step()`, returning named, already-weighted loss terms; `networks()` gives every
network it trains by role (saved in the run folder, discriminators included, so a run can be fine-tuned
further, see `load_networks`) and `export()` the networks to run for inference, by the roles the registry
loads.

Randomness is private to each run (a server may train for one user while sampling for another): data
order, flips, crops, latents and augmentation draw from `RunRandom.generator`; what PyTorch only draws from
its global generator (layer initialisation, dropout) runs inside `RunRandom.global_state()`, which swaps
the run's own state in and the caller's back out.

A run can be resumed exactly: `Trainer.training_state()` gathers, as tensors and plain containers only (so
`torch.load(..., weights_only=True)` reads it), the state of every stateful attribute of the trainer found
by duck typing (anything with `state_dict`/`load_state_dict`: networks, weight averages, optimisers, LR
schedulers, batch streams, image histories; lists of them too), its integer counters, and the run's random
streams. A family gets this for free; it only names, in `stateless`, attributes not to save.
"""

from __future__ import annotations

import contextlib
import copy
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from torch import nn

from gan_demo.entries import Task
from gan_demo.hub import WEIGHTS_NAME
from gan_demo.training import distributed
from gan_demo.training.datasets import DataKind, TrainingData
from gan_demo.training.loop import StepLog, fit


class RunRandom:
    """One run's random streams: a CPU `torch.Generator` and a private copy of the global generator's state."""

    def __init__(self, seed: int, *, device: torch.device) -> None:
        self.device = torch.device(device)
        self.generator = torch.Generator().manual_seed(seed)  # data order, flips, crops, latents, augmentation
        with self._forked():
            torch.default_generator.manual_seed(seed)
            if self._on_accelerator():
                self._seed_device(seed)
            self._states = self._read_states()

    def _seed_device(self, seed: int) -> None:
        """Seed this run's device (not whichever is current), e.g. cuda:1 while cuda:0 is current."""
        module = self._device_module()
        if self.device.index is not None and hasattr(module, "device"):
            with module.device(self.device.index):
                module.manual_seed(seed)
        else:
            module.manual_seed(seed)

    def _on_accelerator(self) -> bool:
        return self.device.type != "cpu"

    def _device_module(self) -> Any:
        return torch.get_device_module(self.device.type)

    def _forked(self) -> contextlib.AbstractContextManager:
        devices = [self.device] if self._on_accelerator() else []
        device_type = self.device.type if self._on_accelerator() else None
        return torch.random.fork_rng(devices=devices, device_type=device_type)

    def _read_states(self) -> tuple[torch.Tensor, ...]:
        cpu = torch.get_rng_state()
        return (cpu, self._device_module().get_rng_state(self.device)) if self._on_accelerator() else (cpu,)

    def reseed(self, seed: int) -> None:
        """Restart both streams from `seed` (another process's share of a run, or a later GPU call's)."""
        self.generator.manual_seed(seed)
        with self.global_state():
            torch.default_generator.manual_seed(seed)
            if self._on_accelerator():
                self._seed_device(seed)

    @contextlib.contextmanager
    def global_state(self) -> Iterator[None]:
        """Run the body on this run's global-generator state (PyTorch layers take no generator), then restore."""
        with self._forked():
            torch.set_rng_state(self._states[0])
            if self._on_accelerator():
                self._device_module().set_rng_state(self._states[1], self.device)
            yield
            self._states = self._read_states()

    def state_dict(self) -> dict[str, Any]:
        """Both streams' positions, to continue a run exactly (tensors only)."""
        return {"generator": self.generator.get_state(), "global": list(self._states)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from `state_dict()`; the generator object stays the same (batch streams hold it)."""
        saved = tuple(state["global"])
        if len(saved) != len(self._states):
            raise ValueError(f"the saved random state is for another kind of device than {self.device}")
        self.generator.set_state(state["generator"])
        self._states = saved


class Trainer(ABC):
    """One family's networks, optimisers and batch stream; `step()` is one optimisation step."""

    inference_roles: tuple[str, ...] = ("generator",)  # the roles `export()` returns
    attributes: tuple[str, ...] = ()  # the label names of a conditional generator (StarGAN's domains)
    stateless: tuple[str, ...] = ("data", "device", "random", "rng", "config")  # attributes a resume rebuilds

    def __init__(self, data: TrainingData, *, seed: int, device: torch.device) -> None:
        self.data = data
        self.device = torch.device(device)
        self.random = RunRandom(seed, device=self.device)
        self.rng = self.random.generator

    @abstractmethod
    def next_batch(self) -> tuple[torch.Tensor, ...]:
        """The next batch as [-1, 1] float tensors on the CPU, drawn with `self.rng`."""

    @abstractmethod
    def update(self, *batch: torch.Tensor) -> dict[str, float]:
        """One optimisation step on a batch on `self.device`; the named loss terms of the step."""

    @abstractmethod
    def networks(self) -> dict[str, nn.Module]:
        """Every network being trained, by role (e.g. "generator", "discriminator", "a2b")."""

    def optimisers(self) -> list[torch.optim.Optimizer]:
        """Every optimiser of this trainer (its attributes that are one)."""
        return [value for value in vars(self).values() if isinstance(value, torch.optim.Optimizer)]

    def backward(self, loss: torch.Tensor) -> None:
        """Backpropagate one optimiser's loss; fp16 mixed precision scales it first (see training/precision.py)."""
        loss.backward()

    def step(self) -> dict[str, float]:
        with self.random.global_state():
            return self.update(*(t.to(self.device) for t in self.next_batch()))

    def export(self) -> dict[str, nn.Module]:
        """The networks to run for inference, by role: eval-mode copies, so training can go on."""
        live = self.networks()
        return {role: copy.deepcopy(live[role]).eval() for role in self.inference_roles}

    def load_networks(self, folder: Path) -> None:
        """Continue from a run folder (fine-tuning): load every role it holds, strictly; others keep their init."""
        for role, network in self.networks().items():
            weights = Path(folder) / role / WEIGHTS_NAME
            if weights.is_file():
                network.load_state_dict(load_file(weights, device=str(self.device)), strict=True)

    def run_networks(self) -> dict[str, nn.Module]:
        """What a run folder holds: every trained network, with the exported ones in their inference roles."""
        return {**self.networks(), **self.export()}

    def training_state(self) -> dict[str, Any]:
        """Everything a resumed run needs to go on exactly as if uninterrupted (see the module docstring)."""
        return {
            "objects": {name: obj.state_dict() for name, obj in self.state_objects().items()},
            "counters": {name: value for name, value in vars(self).items() if _is_counter(name, value, self)},
            "random": self.random.state_dict(),
        }

    def load_training_state(self, state: dict[str, Any], *, streams: bool = True) -> None:
        """Continue from `training_state()` of a trainer built the same way (same family, config and data).

        `streams=False` keeps this trainer's own random streams, batch order and image histories and takes
        only what every process of a torchrun run shares: networks, optimisers, schedules, loss scaler,
        counters (the saved streams are rank 0's, over rank 0's share of the data).
        """
        objects, saved = self.state_objects(), state["objects"]
        if set(objects) != set(saved):
            missing, extra = sorted(set(objects) - set(saved)), sorted(set(saved) - set(objects))
            raise ValueError(f"the saved training state does not fit this trainer: lacks {missing}, has {extra}")
        for name, obj in objects.items():
            if streams or isinstance(obj, SHARED_STATE):
                obj.load_state_dict(saved[name])
        for name, value in state["counters"].items():
            setattr(self, name, int(value))
        if streams:
            self.random.load_state_dict(state["random"])

    def state_objects(self) -> dict[str, Any]:
        """Attributes with a state_dict, by name ("schedulers.0" for the items of a list)."""
        found: dict[str, Any] = {}
        for name, value in vars(self).items():
            items = list(value) if isinstance(value, list | tuple) else [value]
            if name in self.stateless or not items or not all(_has_state(item) for item in items):
                continue
            if isinstance(value, list | tuple):
                found |= {f"{name}.{index}": item for index, item in enumerate(items)}
            else:
                found[name] = value
        return found


SHARED_STATE = (nn.Module, torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler, torch.amp.GradScaler)


def _has_state(value: Any) -> bool:
    return callable(getattr(value, "state_dict", None)) and callable(getattr(value, "load_state_dict", None))


def _is_counter(name: str, value: Any, trainer: Trainer) -> bool:
    """An integer attribute (e.g. StarGAN's count of critic steps), saved with the state."""
    return isinstance(value, int) and not isinstance(value, bool) and name not in trainer.stateless


@dataclass(frozen=True)
class Option:
    """A config field that can be set from outside (a command-line flag, and a form field of the app)."""

    field: str  # name of the config dataclass field; the flag is --field-name
    help: str = ""
    choices: tuple[str, ...] | None = None
    metavar: str | None = None


@dataclass(frozen=True)
class Family:
    name: str  # sub-command of `python -m gan_demo.training` and "family" in run.json
    summary: str  # one line for --help
    config: type  # frozen dataclass of hyper-parameters (with `seed`, `size`, `batch_size`)
    data: DataKind  # the folders it trains on
    task: Task  # the registry task its exported networks serve ("sample", "sketch", "translate")
    options: tuple[Option, ...]  # the config fields a user may set (the rest keep their defaults)
    build: Callable[..., Trainer]  # build(config, data, *, steps, device) -> Trainer
    directions: Callable[[dict[str, Path]], dict[str, str]] = lambda folders: {}  # translate: role → "a → b"
    best_terms: tuple[str, ...] = ()  # loss terms whose mean between saves picks the best checkpoint (lowest)
    # A registry entry not trained by this family (Hub, package) as a config of it, or None where it does not fit:
    # such an entry can be a fine-tune base (finetune.base_run_folder writes its networks as a run folder).
    config_from_entry: Callable[[Any], Any] = lambda entry: None


def train(
    family: Family,
    config: Any,
    folders: dict[str, Path],
    *,
    steps: int,
    device: torch.device,
    split: Path | None = None,
    max_seconds: float | None = None,
    start: tuple[int, float] = (0, 0.0),  # steps and seconds already done (a resumed run)
) -> tuple[Trainer, Iterator[StepLog]]:
    """Load `folders` (minus the held-out names of `split`), build the trainer, and the iterator of its steps.

    A resumed run loads its training state into the trainer before asking for the first step.
    """
    data = family.data.load(folders, size=config.size, split=split, min_count=config.batch_size)
    session = distributed.current()  # under torchrun: this process's share of the data, averaged steps
    data = session.shard(data, batch_size=config.batch_size)
    trainer = family.build(config, data, steps=steps, device=device)
    session.prepare(trainer, stream=start[0])  # a resumed run's other processes draw new streams
    logs = fit(
        lambda _: trainer.step(),
        steps=steps,
        max_seconds=max_seconds,
        extra=data.summary,
        start=start[0],
        seconds=start[1],
    )
    return trainer, logs
