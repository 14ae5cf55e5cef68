"""The weight loader: every source through the same code path, offline, strict, and honest when it fails."""

from __future__ import annotations

import pickle

import pytest
import torch
from safetensors.torch import save_file

from gan_demo.hub import WeightsInvalid, WeightsNotFound, availability, load_network, resolve_weights
from gan_demo.models import ResnetGenerator
from gan_demo.registry import WeightSource
from tests.conftest import COMMIT, TINY_RESNET, hub_snapshot, tiny_entry

CPU = torch.device("cpu")


def assert_same_function(a: torch.nn.Module, b: torch.nn.Module) -> None:
    x = torch.rand(1, 3, 20, 28) * 2 - 1
    torch.testing.assert_close(a.eval()(x), b.eval()(x))


def test_save_pretrained_folder_loads_through_the_loader(tmp_path):
    model = ResnetGenerator(**TINY_RESNET)
    model.save_pretrained(tmp_path / "run")
    assert (tmp_path / "run" / "model.safetensors").is_file() and (tmp_path / "run" / "config.json").is_file()
    loaded = load_network(tiny_entry(), "a2b", device=CPU, explicit=tmp_path / "run")
    assert_same_function(loaded, model)
    assert not loaded.training and not any(p.requires_grad for p in loaded.parameters())


def test_config_json_beside_the_weights_wins_over_the_registry(tmp_path):
    model = ResnetGenerator(**{**TINY_RESNET, "n_blocks": 2})
    model.save_pretrained(tmp_path / "run")
    loaded = load_network(tiny_entry(), "a2b", device=CPU, explicit=tmp_path / "run")  # registry says 1 block
    assert_same_function(loaded, model)


def test_a_residual_generator_reloads_as_residual(tmp_path):
    model = ResnetGenerator(**TINY_RESNET, residual=True)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)  # as if trained: the head is no longer zero
    model.save_pretrained(tmp_path / "run")
    loaded = load_network(tiny_entry(), "a2b", device=CPU, explicit=tmp_path / "run")  # registry: not residual
    assert loaded.residual
    assert_same_function(loaded, model)


def test_bundled_checkpoint_folder(tmp_path):
    model = ResnetGenerator(**TINY_RESNET)
    model.save_pretrained(tmp_path / "checkpoints" / "tiny")
    entry = tiny_entry(bundled="tiny")
    loaded = load_network(entry, "a2b", device=CPU, checkpoints_dir=tmp_path / "checkpoints")
    assert_same_function(loaded, model)


def test_pinned_hub_repo_loads_from_a_prefilled_cache_offline(hub_cache):
    model = ResnetGenerator(**TINY_RESNET)
    model.save_pretrained(hub_snapshot(hub_cache, "someone/tiny-cyclegan"))
    entry = tiny_entry(hub_repo="someone/tiny-cyclegan", hub_revision=COMMIT)
    resolved = resolve_weights(entry.weights["a2b"])
    assert resolved.revision == COMMIT and resolved.config_path is not None
    assert_same_function(load_network(entry, "a2b", device=CPU), model)
    assert availability(entry) == (True, "ready")


def test_legacy_pth_in_a_space_repo_loads_with_its_adapter(hub_cache):
    model = ResnetGenerator(**TINY_RESNET)
    snapshot = hub_snapshot(hub_cache, "someone/demo-space", repo_type="space")
    (snapshot / "checkpoints").mkdir()
    torch.save(model.state_dict(), snapshot / "checkpoints" / "latest_net_G.pth")
    entry = tiny_entry(
        hub_repo="someone/demo-space",
        hub_repo_type="space",
        hub_file="checkpoints/latest_net_G.pth",
        hub_revision=COMMIT,
        layout="junyanz",
    )
    assert_same_function(load_network(entry, "a2b", device=CPU), model)


def test_another_revision_in_the_cache_is_not_used(hub_cache):
    ResnetGenerator(**TINY_RESNET).save_pretrained(hub_snapshot(hub_cache, "someone/tiny", commit="f" * 40))
    entry = tiny_entry(hub_repo="someone/tiny", hub_revision=COMMIT)
    with pytest.raises(WeightsNotFound, match="HF_HUB_OFFLINE"):
        load_network(entry, "a2b", device=CPU)


def test_missing_weights_name_every_place_tried(tmp_path):
    entry = tiny_entry(
        bundled="absent",
        package="no_such_package_here",
        package_file="w.pth",
        hub_repo="someone/absent",
        hub_revision=COMMIT,
    )
    with pytest.raises(WeightsNotFound) as error:
        load_network(entry, "a2b", device=CPU, explicit=tmp_path / "nope.safetensors", checkpoints_dir=tmp_path)
    message = str(error.value)
    for place in ("nope.safetensors", "absent/model.safetensors", "no_such_package_here", "someone/absent"):
        assert place in message
    assert availability(entry) == (False, "unavailable offline (not in the local Hub cache)")


def test_non_finite_weights_are_refused(tmp_path):
    model = ResnetGenerator(**TINY_RESNET)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    state["model.1.weight"][0, 0, 0, 0] = float("nan")
    save_file(state, tmp_path / "model.safetensors")
    with pytest.raises(WeightsInvalid, match="non-finite"):
        load_network(tiny_entry(), "a2b", device=CPU, explicit=tmp_path / "model.safetensors")


class Payload:
    """Stands for code smuggled into a pickle; weights_only loading must never construct it."""

    def __reduce__(self):
        return (print, ("this must never run",))


def test_pickles_that_run_code_are_refused(tmp_path):
    path = tmp_path / "evil.pth"
    path.write_bytes(pickle.dumps({"model.1.weight": Payload()}))
    with pytest.raises(WeightsInvalid, match="cannot read"):
        load_network(tiny_entry(layout="junyanz"), "a2b", device=CPU, explicit=path)


def test_a_file_that_is_not_a_state_dict_is_refused(tmp_path):
    torch.save([1, 2, 3], tmp_path / "list.pth")
    with pytest.raises(WeightsInvalid, match="state dict"):
        load_network(tiny_entry(), "a2b", device=CPU, explicit=tmp_path / "list.pth")


def test_unknown_network_role_names_the_choices():
    with pytest.raises(ValueError, match="a2b"):
        load_network(tiny_entry(bundled="x"), "b2a", device=CPU)


def test_package_source_reads_a_file_shipped_in_an_installed_package():
    source = WeightSource(package="gan_face_generate", package_file="weights.tar")
    resolved = resolve_weights(source)
    assert resolved.path.name == "weights.tar" and resolved.origin == "package gan_face_generate"
