"""The catalogue: stable keys, clear errors, and one contract test over every entry."""

from __future__ import annotations

import json

import pytest
import torch

from gan_demo.entries import entry_from_run
from gan_demo.hub import load_network
from gan_demo.models import build_module
from gan_demo.registry import CATALOGUE, Registry, UnknownModel
from tests.conftest import TINY_RESNET, tiny_entry

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


def _contract_inputs(entry, network) -> tuple[tuple[torch.Tensor, ...], tuple[int, ...]]:
    """What one entry's network takes, and the output shape it must give."""
    if entry.task == "sample":
        return (torch.randn(2, network.latent_dim),), (2, 3, entry.image_size, entry.image_size)
    side = max(32, getattr(network, "size_multiple", 1))
    image = torch.rand(2, 3, side, side) * 2 - 1
    if entry.task == "attributes":  # an image and a label vector over the model's attributes
        return (image, torch.rand(2, len(entry.attributes))), image.shape
    return (image,), image.shape


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda e: e.key)
def test_every_entry_builds_saves_loads_and_runs(entry, tmp_path):
    """Contract: config builds the architecture; save_pretrained → strict load gives the same network."""
    assert entry.licence and entry.credit and entry.description
    module = build_module(entry.architecture, entry.config)
    if getattr(module, "exemplar_side", 0):  # a model with an exemplar bank: the bank must round-trip too
        side = module.exemplar_side
        keys = torch.nn.functional.normalize(torch.randn(3, module.exemplar_keys.shape[1]), dim=1)
        module.set_exemplars(keys, torch.randint(0, 256, (3, 3, side, side), dtype=torch.uint8))
    module.save_pretrained(tmp_path / entry.key)
    role = next(iter(entry.weights))
    loaded = load_network(entry, role, device=CPU, explicit=tmp_path / entry.key)
    if entry.task == "stylize":  # feature networks: image in [0, 1], every layer the task options name
        x = torch.rand(1, 3, 32, 32)
        layers = [entry.options.content_layer, *entry.options.style_layers]
        assert set(loaded.feature_maps(x, layers)) == set(layers)
        return
    inputs, shape = _contract_inputs(entry, loaded)
    assert loaded(*inputs).shape == shape
    torch.testing.assert_close(loaded(*inputs), module.eval()(*inputs))


@pytest.mark.parametrize("key", ["faces-dcgan", "vintage"])
def test_shipped_weights_load_strictly(key):
    entry = Registry().get(key)
    for role in entry.weights:
        network = load_network(entry, role, device=CPU)
        assert not network.training


def _tiny_run(root, name="my-run", **model):
    """A run folder as the training command writes it: one tiny translator per role plus run.json."""
    folder = root / name
    build_module("resnet_generator", {**TINY_RESNET, "flat_colours": 0}).save_pretrained(folder / "a2b")
    build_module("resnet_generator", {**TINY_RESNET, "flat_colours": 3}).save_pretrained(folder / "b2a")
    block = {
        "task": "translate",
        "title": "Tiny pair",
        "description": "Two tiny generators.",
        "architecture": "resnet_generator",
        "roles": ["a2b", "b2a"],
        "directions": {"a2b": "x → y", "b2a": "y → x"},
        "image_size": 32,
        "licence": "MIT",
        "credit": "a test",
        **model,
    }
    (folder / "run.json").write_text(json.dumps({"family": "cyclegan", "model": block}))
    return folder


def test_a_run_folder_becomes_an_entry_that_loads_each_role_with_its_own_config(tmp_path):
    registry = Registry()
    entry = registry.add_run(_tiny_run(tmp_path))
    assert registry.get("my-run", "translate") is entry and entry.source_kind == "run"
    assert entry.directions == {"a2b": "x → y", "b2a": "y → x"} and "flat_colours" not in entry.config
    assert [load_network(entry, role, device=CPU).flat_colours for role in ("a2b", "b2a")] == [0, 3]  # own config.json
    with pytest.raises(ValueError, match="already registered"):
        registry.add_run(tmp_path / "my-run")


def test_a_run_folder_without_the_model_fields_says_what_is_missing(tmp_path):
    with pytest.raises(ValueError, match="licence, credit"):
        entry_from_run(_strip(_tiny_run(tmp_path), "licence", "credit"))
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "run.json").write_text(json.dumps({"family": "gan"}))
    with pytest.raises(ValueError, match='no "model" block'):
        entry_from_run(tmp_path / "old")


def _strip(folder, *names):
    record = json.loads((folder / "run.json").read_text())
    for name in names:
        del record["model"][name]
    (folder / "run.json").write_text(json.dumps(record))
    return folder


def test_a_new_bundled_folder_is_listed_without_a_hand_written_entry(tmp_path, monkeypatch):
    import gan_demo.entries
    from gan_demo.registry import _with_unlisted_runs

    monkeypatch.setattr(gan_demo.entries, "CHECKPOINTS_DIR", tmp_path)
    _tiny_run(tmp_path, "new-pair")
    (entry,) = _with_unlisted_runs(())
    assert entry.key == "new-pair" and entry.weights["a2b"].bundled == "new-pair/a2b"
    assert entry.source_kind == "bundled"


def test_every_bundled_run_folder_is_in_the_catalogue_as_bundled_weights():
    from gan_demo.entries import bundled_runs

    folders = bundled_runs()
    assert folders, "checkpoints/ holds the bundled runs"
    for folder in folders:
        entry = Registry().get(folder.name)
        assert entry.source_kind == "bundled" and all(
            s.bundled.startswith(f"{folder.name}/") for s in entry.weights.values()
        )
