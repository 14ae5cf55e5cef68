"""A small, thread-safe LRU store of loaded networks, built once in app.py and handed to the tabs."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from gan_demo.hub import WeightsInvalid, load_network
from gan_demo.optimise import prepare_for_inference, resolve_precision
from gan_demo.registry import ModelEntry, Registry
from gan_demo.specs import Task, spec

Key = tuple[str, str, str, str]  # (entry key, network role, weight revision, device)


class ModelStore:
    """Loads each (entry, role, device) once; keeps at most `capacity` networks, evicting the least recent.

    Concurrent requests for the same network wait for one load instead of loading it twice; requests for
    other networks are not blocked by it.
    """

    def __init__(
        self,
        registry: Registry,
        device: torch.device,
        *,
        capacity: int = 4,
        checkpoints_dir: Path | None = None,
        loader: Callable[..., nn.Module] = load_network,
        compile_networks: bool = False,  # torch.compile the networks (see gan_demo/optimise.py)
        precision: str = "fp32",  # auto | fp32 | bf16 for the tasks whose policy allows it (gan_demo.specs)
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.registry = registry
        self.device = device
        self.capacity = capacity
        self._checkpoints_dir = checkpoints_dir
        self._loader = loader
        self._compile = compile_networks
        self.precision = resolve_precision(precision, device)
        self._models: OrderedDict[Key, nn.Module] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[Key, threading.Lock] = {}
        self._broken: dict[str, str] = {}  # entry key → why its last load failed (retried on the next request)

    def _key(self, entry: ModelEntry, role: str) -> Key:
        return (entry.key, role, entry.weights[role].hub_revision or "local", str(self.device))

    def get(self, key: str, role: str | None = None, *, task: Task | None = None) -> tuple[ModelEntry, nn.Module]:
        """The entry and its loaded network for `role` (default: the entry's first network).

        With `task`, a key of another task's model is refused like an unknown one (a tab or an API client
        may name any key), naming that task's models.
        """
        entry = self.registry.get(key, task)
        role = role or next(iter(entry.weights))
        if role not in entry.weights:
            raise ValueError(f"{entry.key} has no network {role!r}; it has: {', '.join(entry.weights)}")
        cache_key = self._key(entry, role)
        with self._lock:
            if cache_key in self._models:
                self._models.move_to_end(cache_key)
                return entry, self._models[cache_key]
            load_lock = self._loading.setdefault(cache_key, threading.Lock())
        with load_lock:
            with self._lock:  # another thread may have finished the load while we waited
                if cache_key in self._models:
                    self._models.move_to_end(cache_key)
                    return entry, self._models[cache_key]
            try:
                try:
                    module = self._loader(entry, role, device=self.device, checkpoints_dir=self._checkpoints_dir)
                except WeightsInvalid as error:
                    with self._lock:
                        self._broken[entry.key] = str(error)
                    raise
                policy = spec(entry.task).policy
                module = prepare_for_inference(
                    module,
                    compile=self._compile and policy.compile,
                    channels_last=policy.channels_last,
                    bf16=self.precision == "bf16" and policy.bf16,
                )
                with self._lock:
                    self._broken.pop(entry.key, None)
                    self._models[cache_key] = module
                    while len(self._models) > self.capacity:
                        self._models.popitem(last=False)
            finally:
                with self._lock:
                    self._loading.pop(cache_key, None)
        return entry, module

    def optional(self, entry: ModelEntry, role: str) -> nn.Module | None:
        """The entry's network for `role`, or None for a model without one: an optional stage such as a sketch
        model's sibling bank or a sampler's upscaler."""
        return self.get(entry.key, role)[1] if role in entry.weights else None

    def broken(self, key: str) -> str | None:
        """Why the last load of this entry's weights failed, or None (never tried, or it worked)."""
        with self._lock:
            return self._broken.get(key)

    def loaded(self) -> list[Key]:
        with self._lock:
            return list(self._models)

    def evict(self, key: str) -> None:
        """Forget every network of one entry (after its weights were replaced, e.g. by a fine-tune)."""
        with self._lock:
            for cache_key in [k for k in self._models if k[0] == key]:
                del self._models[cache_key]
