"""The model store: bounded, least-recently-used, one load per network even under concurrency."""

from __future__ import annotations

import threading
import time

import pytest
import torch

from gan_demo.registry import Registry
from gan_demo.store import ModelStore
from tests.conftest import tiny_entry


def registry_of(*keys: str) -> Registry:
    return Registry(tuple(tiny_entry(key, bundled=key) for key in keys))


class CountingLoader:
    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[str] = []
        self.delay = delay
        self._lock = threading.Lock()

    def __call__(self, entry, role, *, device, checkpoints_dir=None):
        with self._lock:
            self.calls.append(entry.key)
        time.sleep(self.delay)
        return torch.nn.Identity()


def test_a_network_is_loaded_once_and_reused():
    loader = CountingLoader()
    store = ModelStore(registry_of("a"), torch.device("cpu"), loader=loader)
    first = store.get("a")[1]
    assert store.get("a")[1] is first
    assert loader.calls == ["a"]


def test_least_recently_used_is_evicted_at_capacity():
    loader = CountingLoader()
    store = ModelStore(registry_of("a", "b", "c"), torch.device("cpu"), capacity=2, loader=loader)
    store.get("a"), store.get("b"), store.get("a"), store.get("c")
    assert [key[0] for key in store.loaded()] == ["a", "c"]
    store.get("b")
    assert loader.calls == ["a", "b", "c", "b"]


def test_concurrent_requests_share_one_load():
    loader = CountingLoader(delay=0.2)
    store = ModelStore(registry_of("a"), torch.device("cpu"), loader=loader)
    results = []
    threads = [threading.Thread(target=lambda: results.append(store.get("a")[1])) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loader.calls == ["a"] and len({id(r) for r in results}) == 1


def test_evict_forgets_an_entry():
    loader = CountingLoader()
    store = ModelStore(registry_of("a"), torch.device("cpu"), loader=loader)
    store.get("a")
    store.evict("a")
    store.get("a")
    assert loader.calls == ["a", "a"]


def test_bad_role_and_capacity_are_refused():
    store = ModelStore(registry_of("a"), torch.device("cpu"), loader=CountingLoader())
    with pytest.raises(ValueError, match="a2b"):
        store.get("a", "b2a")
    with pytest.raises(ValueError, match="capacity"):
        ModelStore(registry_of("a"), torch.device("cpu"), capacity=0)


def test_bf16_precision_wraps_translators_only():
    from gan_demo.optimise import BFloat16Autocast

    registry = Registry((tiny_entry("t"), tiny_entry("s", task="sample")))
    loader = lambda entry, role, **_: torch.nn.Conv2d(3, 3, 1)  # noqa: E731
    store = ModelStore(registry, torch.device("cpu"), loader=loader, precision="bf16")
    assert isinstance(store.get("t")[1], BFloat16Autocast)
    assert not isinstance(store.get("s")[1], BFloat16Autocast)
    fp32 = ModelStore(registry, torch.device("cpu"), loader=loader, precision="fp32")
    assert not isinstance(fp32.get("t")[1], BFloat16Autocast)
    with pytest.raises(ValueError, match="precision"):
        ModelStore(registry, torch.device("cpu"), precision="half")
