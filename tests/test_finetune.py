"""Fine-tuning: a run continues from a base, is guarded against NaN, stops on request, and becomes a model."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gan_demo.registry import Registry
from gan_demo.training.finetune import FineTuneFailed, FineTuneSpec, Update, freeze_early_convolutions, run_finetune
from gan_demo.training.worker import TrainingWorker

ROOT = Path(__file__).resolve().parents[1]
CPU = torch.device("cpu")


def images(folder: Path, count: int = 4, size: int = 64, seed: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for index in range(count):
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(folder / f"e{index}.png")
    return folder


def weights(folder: Path, role: str) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(folder / role / "model.safetensors")


def changed(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return any(not torch.equal(a[name], b[name]) for name in a)


def test_a_fine_tune_continues_the_bundled_sampler_and_is_listed_as_a_model(tmp_path):
    base = ROOT / "checkpoints" / "emoji-fluent"
    spec = FineTuneSpec(
        family="gan",
        folders={"images": images(tmp_path / "data")},
        out=tmp_path / "runs" / "my-emoji",
        steps=3,
        base=base,
        overrides={"batch_size": 2},
        preview_every=3,
    )
    updates = []
    folder = run_finetune(spec, device=CPU, on_update=updates.append)
    assert [u.step for u in updates] == [0, 1, 2, 3] and updates[-1].preview is not None
    assert all(np.isfinite(v) for u in updates[1:] for v in u.losses.values())
    assert changed(weights(base, "generator"), weights(folder, "generator"))
    record = json.loads((folder / "run.json").read_text())
    assert record["steps"] == 3 and record["config"]["base_channels"] == 16  # the base's architecture
    registry = Registry()
    entry = registry.add_run(folder)
    assert entry.key == "my-emoji" and entry.task == "sample" and entry.base_model == "emoji-fluent"
    assert "upscaler" in Registry().get("emoji-fluent").weights  # the base enlarges through a learned upscaler,
    assert "upscaler" not in entry.weights and not (folder / "upscaler").exists()  # learned on its images, not these


@pytest.mark.parametrize(
    ("family", "folders"), [("pix2pix", ("source", "target")), ("cyclegan", ("domain_a", "domain_b"))]
)
def test_translators_fine_tune_from_scratch_with_discriminators_saved(tmp_path, family, folders):
    data = {name: images(tmp_path / name, seed=i) for i, name in enumerate(folders)}
    spec = FineTuneSpec(family=family, folders=data, out=tmp_path / "run", steps=2, overrides={"batch_size": 2})
    folder = run_finetune(spec, device=CPU)
    roles = {p.name for p in folder.iterdir() if p.is_dir()}
    assert {"discriminator"} <= roles if family == "pix2pix" else {"a2b", "b2a", "disc_a", "disc_b"} <= roles
    assert Registry().add_run(folder).task == ("sketch" if family == "pix2pix" else "translate")


def emoji_fluent_spec(tmp_path: Path, out: str, steps: int) -> FineTuneSpec:
    """A fine-tune of the bundled sampler on 4 random images, batch 2."""
    return FineTuneSpec(
        family="gan",
        folders={"images": images(tmp_path / "d")},
        out=tmp_path / out,
        steps=steps,
        base=ROOT / "checkpoints" / "emoji-fluent",
        overrides={"batch_size": 2},
    )


def test_a_stop_request_saves_the_run_as_it_stands(tmp_path):
    spec = emoji_fluent_spec(tmp_path, "r", 50)
    done = []
    run_finetune(
        spec, device=CPU, should_stop=lambda: len(done) >= 2, on_update=lambda u: done.append(u) if u.step else None
    )
    assert json.loads((tmp_path / "r" / "run.json").read_text())["steps"] == 2


def test_a_non_finite_loss_rolls_back_and_too_many_stop_the_run_unsaved(tmp_path, monkeypatch):
    from gan_demo.training import gan

    calls = {"n": 0}
    real_step = gan.GANTrainer.step

    def sometimes_nan(self):
        calls["n"] += 1
        losses = real_step(self)
        return {**losses, "G_gan": float("nan")} if calls["n"] in nan_steps else losses

    monkeypatch.setattr(gan.GANTrainer, "step", sometimes_nan)
    nan_steps = {2}
    spec = emoji_fluent_spec(tmp_path, "ok", 3)
    messages = []
    run_finetune(spec, device=CPU, on_update=lambda u: messages.append(u.message))
    assert any("rolled back" in m for m in messages) and (tmp_path / "ok" / "run.json").is_file()
    calls["n"], nan_steps = 0, set(range(1, 10))
    spec.out = tmp_path / "bad"
    with pytest.raises(FineTuneFailed, match="non-finite"):
        run_finetune(spec, device=CPU)
    assert not (tmp_path / "bad").exists()


def test_a_rollback_halves_the_learning_rate_for_the_rest_of_the_run_under_a_scheduler(tmp_path, monkeypatch):
    from gan_demo.training import pix2pix

    rates = []
    real_step = pix2pix.Pix2PixTrainer.step

    def nan_at_step_two(self):
        rates.append(self.opt_g.param_groups[0]["lr"])
        losses = real_step(self)
        return {**losses, "G_L1": float("nan")} if len(rates) == 2 else losses

    monkeypatch.setattr(pix2pix.Pix2PixTrainer, "step", nan_at_step_two)
    data = {name: images(tmp_path / name, seed=i) for i, name in enumerate(("source", "target"))}
    overrides = {"batch_size": 2, "lr": 1e-3}
    run_finetune(
        FineTuneSpec(family="pix2pix", folders=data, out=tmp_path / "r", steps=5, overrides=overrides), device=CPU
    )
    assert rates[:2] == [1e-3, 1e-3] and rates[2:] == pytest.approx([5e-4] * 3)


def test_a_pix2pix_fine_tune_can_change_its_recipe_and_records_it(tmp_path):
    data = {name: images(tmp_path / name, seed=i) for i, name in enumerate(("source", "target"))}
    recipe = {"beta1": 0.9, "lambda_ssim": 10.0, "affine": True, "traced_fraction": 0.0, "vary_strokes": False}
    spec = FineTuneSpec(
        family="pix2pix", folders=data, out=tmp_path / "r", steps=1, overrides={"batch_size": 2, **recipe}
    )
    config = json.loads((run_finetune(spec, device=CPU) / "run.json").read_text())["config"]
    assert {key: config[key] for key in recipe} == recipe


def test_freeze_d_keeps_the_first_convolutions_still():
    from gan_demo.models import PatchDiscriminator

    network = PatchDiscriminator(in_channels=3, base_channels=4, n_layers=2)
    assert freeze_early_convolutions(network, 1) == 1
    convs = [m for m in network.modules() if isinstance(m, torch.nn.Conv2d)]
    before = [c.weight.detach().clone() for c in convs]
    optimiser = torch.optim.Adam(network.parameters(), lr=0.1)
    for _ in range(2):
        optimiser.zero_grad()
        network(torch.randn(2, 3, 32, 32)).mean().backward()
        optimiser.step()
    assert torch.equal(convs[0].weight, before[0]) and not torch.equal(convs[-1].weight, before[-1])


def test_a_base_of_another_family_or_an_untunable_field_is_refused(tmp_path):
    spec = FineTuneSpec(
        family="pix2pix", folders={}, out=tmp_path / "r", steps=1, base=ROOT / "checkpoints" / "emoji-fluent"
    )
    with pytest.raises(ValueError, match="trained by the 'gan' family"):
        run_finetune(spec, device=CPU)
    spec = FineTuneSpec(family="gan", folders={}, out=tmp_path / "r", steps=1, overrides={"base_channels": 64})
    with pytest.raises(ValueError, match="cannot change base_channels"):
        run_finetune(spec, device=CPU)


def wait_for(condition, seconds: float = 10.0) -> None:
    end = time.time() + seconds
    while not condition():
        assert time.time() < end, "timed out"
        time.sleep(0.01)


def test_the_worker_runs_jobs_in_order_reports_progress_and_stops_on_request(tmp_path):
    release = threading.Semaphore(0)  # one permit per step
    saved = []

    def stand_in(spec, *, device, should_stop, on_update):
        for step in range(1, spec.steps + 1):
            release.acquire(timeout=5)
            if should_stop():
                break
            on_update(Update(step, spec.steps, {"G": 1.0 / step}, step * 0.1))
        return spec.out

    worker = TrainingWorker(device=CPU, on_saved=saved.append, trainer=stand_in)
    first = worker.submit(FineTuneSpec(family="gan", folders={}, out=tmp_path / "a", steps=100))
    second = worker.submit(FineTuneSpec(family="gan", folders={}, out=tmp_path / "b", steps=2))
    wait_for(lambda: first.state == "running")
    assert second.state == "queued" and worker.position(second) == 1
    with pytest.raises(ValueError, match="already writing a"):
        worker.submit(FineTuneSpec(family="gan", folders={}, out=tmp_path / "a", steps=1))
    release.release(3)
    wait_for(lambda: first.step == 3)
    assert worker.stop(first.id)
    release.release(10)
    wait_for(lambda: second.state == "done")
    assert first.state == "stopped" and first.history[0] == {"step": 1.0, "G": 1.0} and first.steps_per_second > 0
    assert saved == [tmp_path / "a", tmp_path / "b"] and "listed as a model" in second.message


def test_a_failing_job_says_why_and_the_worker_keeps_serving(tmp_path):
    def broken(spec, **_):
        if spec.out.name == "bad":
            raise ValueError("only 3 training images")
        return spec.out

    worker = TrainingWorker(device=CPU, trainer=broken)
    bad = worker.submit(FineTuneSpec(family="gan", folders={}, out=tmp_path / "bad", steps=1))
    good = worker.submit(FineTuneSpec(family="gan", folders={}, out=tmp_path / "good", steps=1))
    wait_for(lambda: good.state == "done")
    assert bad.state == "failed" and "only 3 training images" in bad.message


def test_the_cli_fine_tunes_and_the_run_folder_is_a_model_for_every_command(tmp_path, capsys):
    from gan_demo.cli import main

    data = images(tmp_path / "data", count=8)  # the Fine-tune tab's minimum: the CLI checks uploads the same way
    run = tmp_path / "runs" / "mine"
    argv = ["finetune", "gan", "--from", "emoji-fluent", "--data", str(data), "--out", str(run), "--steps", "2"]
    assert main([*argv, "--batch-size", "2", "--freeze-d", "1"]) == 0
    assert json.loads((run / "run.json").read_text())["finetune"]["freeze_d"] == 1
    assert main(["sample", "--model", str(run), "--n", "2", "--out", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["mine-seed0-00.png", "mine-seed0-01.png"]


def test_the_bundled_style_model_fine_tunes_on_its_own_domains_and_refuses_others(tmp_path):
    base = ROOT / "checkpoints" / "emoji-styles"
    names = ("modern", "flat", "high-contrast")
    domains = {name: images(tmp_path / "d" / name, seed=i) for i, name in enumerate(names)}
    spec = FineTuneSpec(
        family="stargan",
        folders={"domains": domains},
        out=tmp_path / "runs" / "my-styles",
        steps=2,
        base=base,
        overrides={"batch_size": 2},
        preview_every=2,
        freeze_d=2,
    )
    updates = []
    folder = run_finetune(spec, device=CPU, on_update=updates.append)
    assert updates[-1].preview.size == (6 * 128 + 7 * 2, 4 * 128 + 5 * 2)  # 2 inputs per domain, then each in all
    assert {"G_paired", "G_rec", "D_cls"} <= set(updates[-1].losses)  # the same names match across the sets
    assert changed(weights(base, "generator"), weights(folder, "generator"))
    assert changed(weights(base, "discriminator"), weights(folder, "discriminator"))
    frozen = weights(base, "discriminator")["main.0.weight"], weights(folder, "discriminator")["main.0.weight"]
    assert torch.equal(*frozen)  # FreezeD kept the first convolution
    entry = Registry().add_run(folder)
    assert entry.task == "attributes" and entry.base_model == "emoji-styles"
    assert entry.attributes == names
    swapped = {"flat": domains["flat"], "modern": domains["modern"], "high-contrast": domains["high-contrast"]}
    spec.folders, spec.out = {"domains": swapped}, tmp_path / "runs" / "wrong"
    with pytest.raises(ValueError, match="translates between modern, flat, high-contrast: give one folder for each"):
        run_finetune(spec, device=CPU)


@pytest.mark.parametrize(
    ("base", "family", "folders", "discriminators"),
    [
        ("emoji-fluent", "gan", ("images",), ("discriminator",)),
        ("emoji-flat-modern", "cyclegan", ("domain_a", "domain_b"), ("disc_a", "disc_b")),
        ("emoji-styles", "stargan", ("domains",), ("discriminator",)),
    ],
)
def test_bundled_bases_start_their_fine_tunes_with_their_trained_discriminators(
    tmp_path, base, family, folders, discriminators
):
    from gan_demo.training.finetune import prepare_run

    if family == "stargan":
        names = ("modern", "flat", "high-contrast")
        data = {"domains": {name: images(tmp_path / name, seed=i) for i, name in enumerate(names)}}
    else:
        data = {name: images(tmp_path / name, seed=i) for i, name in enumerate(folders)}
    spec = FineTuneSpec(family=family, folders=data, out=tmp_path / "r", steps=1, base=ROOT / "checkpoints" / base)
    networks = prepare_run(spec, CPU).trainer.networks()
    for role in discriminators:
        bundled = weights(ROOT / "checkpoints" / base, role)
        live = networks[role].state_dict()
        assert all(torch.equal(bundled[k].float(), live[k].float()) for k in bundled), role


def test_a_two_way_hub_cyclegan_is_written_once_as_a_base_run_folder_and_fine_tunes(hub_cache, tmp_path):
    import dataclasses as dc

    from gan_demo.entries import WeightSource
    from gan_demo.models import ResnetGenerator
    from gan_demo.training.finetune import base_run_folder
    from tests.conftest import COMMIT, TINY_RESNET, hub_snapshot, tiny_entry

    snapshot = hub_snapshot(hub_cache, "someone/two-way")
    generators = {role: ResnetGenerator(**TINY_RESNET) for role in ("a2b", "b2a")}
    for role, network in generators.items():
        network.save_pretrained(snapshot / role)
    hub = {
        role: WeightSource(hub_repo="someone/two-way", hub_file=f"{role}/model.safetensors", hub_revision=COMMIT)
        for role in generators
    }
    entry = dc.replace(tiny_entry("two-way"), weights=hub, directions={"a2b": "x → y", "b2a": "y → x"})
    one_way = tiny_entry("one-way", hub_repo="someone/two-way", hub_file="a2b/model.safetensors", hub_revision=COMMIT)
    registry = Registry((entry, one_way))
    folder = base_run_folder(registry, "two-way", "translate", bases_dir=tmp_path / "bases")
    assert folder == tmp_path / "bases" / "two-way"
    assert json.loads((folder / "run.json").read_text())["config"]["n_blocks"] == 1  # the network's own
    assert base_run_folder(registry, "two-way", "translate", bases_dir=tmp_path / "bases") == folder  # once
    assert not [p for p in (tmp_path / "bases").iterdir() if p.name.startswith(".")]  # no staging left
    with pytest.raises(ValueError, match="one-way loads from a package or the Hub, and no training family fits"):
        base_run_folder(registry, "one-way", "translate", bases_dir=tmp_path / "bases")
    data = {name: images(tmp_path / name, seed=i) for i, name in enumerate(("domain_a", "domain_b"))}
    spec = FineTuneSpec(family="cyclegan", folders=data, out=tmp_path / "tuned", steps=1, base=folder)
    run = run_finetune(spec, device=CPU)
    assert changed(weights(folder, "a2b"), weights(run, "a2b"))
    tuned = Registry(()).add_run(run)
    assert tuned.base_model == "two-way"
    assert tuned.directions == {"a2b": "x → y", "b2a": "y → x"}  # the base's domains, not the folders' names
    spec.base, spec.out = None, tmp_path / "scratch"
    assert Registry(()).add_run(run_finetune(spec, device=CPU)).directions == {
        "a2b": "domain_a → domain_b",  # from scratch: the folders name the domains
        "b2a": "domain_b → domain_a",
    }
