"""The catalogue: stable keys, clear errors, and one contract test over every entry."""

from __future__ import annotations

import pytest
import torch

from gan_demo.hub import load_network
from gan_demo.models import build_module
from gan_demo.registry import CATALOGUE, Registry, UnknownModel
from tests.conftest import tiny_entry

CPU = torch.device("cpu")


def test_documented_keys_exist():
    keys = {entry.key for entry in Registry()}
    assert {"faces-dcgan", "vintage"} <= keys


def test_keys_are_unique_and_duplicates_are_refused():
    registry = Registry()
    assert len({e.key for e in CATALOGUE}) == len(CATALOGUE)
    with pytest.raises(ValueError, match="already registered"):
        registry.add(CATALOGUE[0])


def test_unknown_key_lists_the_choices_for_the_task():
    with pytest.raises(UnknownModel, match="faces-dcgan") as error:
        Registry().get("faces", "sample")
    assert "vintage" not in str(error.value)
    with pytest.raises(UnknownModel, match="no translate model called 'faces-dcgan'"):
        Registry().get("faces-dcgan", "translate")


def test_runtime_entries_appear_in_listings():
    registry = Registry()
    registry.add(tiny_entry("my-run"))
    assert "my-run" in [e.key for e in registry.entries("translate")]


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda e: e.key)
def test_every_entry_builds_saves_loads_and_runs(entry, tmp_path):
    """Contract: config builds the architecture; save_pretrained → strict load gives the same network."""
    module = build_module(entry.architecture, entry.config)
    module.save_pretrained(tmp_path / entry.key)
    role = next(iter(entry.weights))
    loaded = load_network(entry, role, device=CPU, explicit=tmp_path / entry.key)
    if entry.task == "sample":
        x = torch.randn(2, loaded.latent_dim)
        assert loaded(x).shape == (2, 3, entry.image_size, entry.image_size)
    elif entry.task == "stylize":  # feature networks: image in [0, 1], every layer the task options name
        x = torch.rand(1, 3, 32, 32)
        layers = [entry.task_options["content_layer"], *entry.task_options["style_layers"]]
        assert set(loaded.feature_maps(x, layers)) == set(layers)
    else:
        side = max(32, getattr(loaded, "size_multiple", 1))
        x = torch.rand(1, 3, side, side) * 2 - 1
        assert loaded(x).shape == x.shape
    torch.testing.assert_close(loaded(x), module.eval()(x))
    assert entry.licence and entry.credit and entry.description


@pytest.mark.parametrize("key", ["faces-dcgan", "vintage"])
def test_shipped_weights_load_strictly(key):
    entry = Registry().get(key)
    for role in entry.weights:
        network = load_network(entry, role, device=CPU)
        assert not network.training
