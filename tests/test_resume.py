"""Resuming runs, the checkpoints a run keeps, atomic saves and the model card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from gan_demo.registry import Registry
from gan_demo.training import checkpoints
from gan_demo.training.checkpoints import CHECKPOINTS, RunWriter, read_resume
from gan_demo.training.cyclegan import FAMILY as CYCLEGAN
from gan_demo.training.cyclegan import CycleGANConfig
from gan_demo.training.family import Trainer, train
from gan_demo.training.loop import LossHistory, StepLog
from gan_demo.training.record import ModelCard, model_block, run_record
from tests.test_training import make_pairs

CPU = torch.device("cpu")


def tiny_commands(tmp_path: Path) -> dict[str, list[str]]:
    """`python -m gan_demo.training` arguments of a tiny run per family (all but --steps and --out)."""
    a, b = make_pairs(tmp_path, size=16)
    return {
        "gan": ["gan", "--images", str(a), "--latent-dim", "8", "--base-channels", "2", "--disc-channels", "4"],
        "pix2pix": ["pix2pix", "--source", str(a), "--target", str(b), "--size", "32", "--num-downs", "5"],
        "cyclegan": ["cyclegan", "--domain-a", str(a), "--domain-b", str(b), "--size", "16", "--n-blocks", "1"],
        "stargan": ["stargan", "--domains", f"a={a}", f"b={b}", "--size", "16", "--repeat-num", "1", "--n-critic", "2"],
    }


TINY = {  # narrower networks, batch 2
    "gan": ["--batch-size", "2"],
    "pix2pix": ["--base-channels", "4", "--batch-size", "2"],
    "cyclegan": ["--base-channels", "4", "--batch-size", "2"],
    "stargan": ["--conv-dim", "4", "--disc-conv-dim", "4", "--disc-repeat-num", "2", "--batch-size", "2"],
}


def flat(state, prefix: str = "") -> dict:
    """Every leaf of a nested state (tensors, numbers, strings) by its path."""
    if isinstance(state, dict):
        return {k: v for key, value in state.items() for k, v in flat(value, f"{prefix}/{key}").items()}
    if isinstance(state, list | tuple):
        return {k: v for i, value in enumerate(state) for k, v in flat(value, f"{prefix}/{i}").items()}
    return {prefix: state}


def same(a, b) -> bool:
    return torch.equal(a, b) if isinstance(a, torch.Tensor) else a == b


def interrupted(monkeypatch, after: int) -> None:
    """Make the next run die (as with Ctrl-C) when it asks for step `after` + 1."""
    step, calls = Trainer.step, []

    def dying(self):
        calls.append(1)
        if len(calls) > after:
            raise KeyboardInterrupt
        return step(self)

    monkeypatch.setattr(Trainer, "step", dying)


@pytest.mark.parametrize("family", ["gan", "pix2pix", "cyclegan", "stargan"])
def test_a_resumed_run_ends_exactly_where_an_uninterrupted_one_does(tmp_path, monkeypatch, family):
    from gan_demo.training.__main__ import main

    command = [*tiny_commands(tmp_path)[family], *TINY[family], "--steps", "6", "--log-every", "100"]
    main([*command, "--out", str(tmp_path / "whole")])
    with monkeypatch.context() as patch:
        interrupted(patch, after=4)
        with pytest.raises(KeyboardInterrupt):
            main([*command, "--out", str(tmp_path / "part"), "--keep-every", "3"])  # saved at step 3 only
    assert read_resume(tmp_path / "part").step == 3
    main([*command, "--resume", str(tmp_path / "part")])

    whole, part = read_resume(tmp_path / "whole"), read_resume(tmp_path / "part")
    expected, got = flat(whole.trainer), flat(part.trainer)
    assert expected.keys() == got.keys() and len(expected) > 20  # networks, optimisers, streams, random states
    assert [key for key in expected if not same(expected[key], got[key])] == []
    assert part.step == 6 and part.resumed_at == [3]
    assert part.history.steps == whole.history.steps == [1, 2, 3, 4, 5, 6]  # the curve goes on
    assert part.history.points == whole.history.points
    record = json.loads((tmp_path / "part" / "run.json").read_text())
    assert record["steps"] == 6 and record["loss_history"]["step"] == [1, 2, 3, 4, 5, 6]
    assert "--resume" not in record["command"]  # the card repeats the run, not the last session


def test_a_resume_with_other_settings_or_without_a_state_is_refused_in_one_line(tmp_path, capsys):
    from gan_demo.training.__main__ import main

    command = [*tiny_commands(tmp_path)["cyclegan"], *TINY["cyclegan"], "--steps", "2"]
    main([*command, "--out", str(tmp_path / "run")])
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main([*command, "--lambda-cycle", "3", "--resume", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "lambda_cycle is 10.0 in the run, 3.0 here" in err and err.count("\n") == 1
    (tmp_path / "run" / checkpoints.STATE_NAME).unlink()
    with pytest.raises(SystemExit):
        main([*command, "--resume", str(tmp_path / "run")])
    assert "has no training_state.pt, so it cannot be resumed" in capsys.readouterr().err


def test_the_training_state_loads_with_weights_only(tmp_path):
    from gan_demo.training.__main__ import main

    main([*tiny_commands(tmp_path)["cyclegan"], *TINY["cyclegan"], "--steps", "1", "--out", str(tmp_path / "r")])
    state = torch.load(tmp_path / "r" / checkpoints.STATE_NAME, weights_only=True)  # no pickled code
    assert {"history_a", "opt_g", "schedulers.0", "batches", "a_to_b"} <= set(state["trainer"]["objects"])


class Writing:
    """A tiny CycleGAN trainer and a RunWriter saving it into runs/NAME, with losses chosen by the test."""

    def __init__(self, tmp_path: Path, name: str = "pair", **options) -> None:
        a, b = make_pairs(tmp_path, size=16)
        self.folders = {"domain_a": a, "domain_b": b}
        config = CycleGANConfig(size=16, base_channels=2, n_blocks=1, disc_channels=2, batch_size=2, history=2)
        self.config = config
        self.trainer, _ = train(CYCLEGAN, config, self.folders, steps=10, device=CPU)
        self.runs = tmp_path / "runs"
        self.writer = RunWriter(self.runs / name, CYCLEGAN, **options)
        self.model = model_block(CYCLEGAN, self.trainer, self.folders, config, ModelCard(), name=name)
        self.history = LossHistory()

    def save(self, step: int, cycle: float) -> None:
        losses = {"cycle_a": cycle, "cycle_b": 0.0, "D_A_real": 1.0}
        self.history.add(step, losses)
        self.writer.observe(losses)
        log = StepLog(step, losses, float(step), {"domain_a": 6, "domain_b": 6})
        self.writer.save(self.trainer, run_record(CYCLEGAN, self.config, [], CPU, log, self.model), self.history)


def test_checkpoints_keep_the_last_n_and_the_best_and_are_never_listed_as_models(tmp_path):
    run = Writing(tmp_path, keep_last=2, keep_every=4)
    for step, cycle in enumerate([5.0, 1.0, 3.0, 4.0, 6.0, 7.0], start=1):
        run.save(step, cycle)
    kept = sorted(p.name for p in (run.runs / "pair" / CHECKPOINTS).iterdir())
    assert kept == ["best", "step-000004", "step-000005", "step-000006"]  # 5, 6 newest; 4 kept for good
    best = json.loads((run.runs / "pair" / CHECKPOINTS / "best" / "run.json").read_text())
    assert best["steps"] == 2 and best["best"]["value"] == 1.0
    record = json.loads((run.runs / "pair" / "run.json").read_text())
    assert record["steps"] == 6 and record["best"]["step"] == 2 and "cycle_a + cycle_b" in record["best"]["criterion"]
    registry = Registry()
    assert registry.add_runs_from(run.runs) == ["pair"]  # the checkpoints are inside the run
    assert Registry().add_run(run.runs / "pair" / CHECKPOINTS / "best").task == "translate"  # usable by path
    top, newest = (run.runs / "pair" / "a2b" / "model.safetensors"), (run.runs / "pair" / CHECKPOINTS / "step-000006")
    assert top.stat().st_ino == (newest / "a2b" / "model.safetensors").stat().st_ino  # linked, not copied


def test_a_failure_in_the_middle_of_a_save_leaves_no_run_listed_and_the_last_one_whole(tmp_path, monkeypatch):
    run = Writing(tmp_path)
    real_save = torch.save

    def half_written(obj, path, *args, **kwargs):
        Path(path).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoints.torch, "save", half_written)
    with pytest.raises(OSError, match="disk full"):
        run.save(1, 2.0)
    assert Registry().add_runs_from(run.runs) == [] and list(run.runs.iterdir()) == []  # no staging left
    monkeypatch.setattr(checkpoints.torch, "save", real_save)
    run.save(1, 2.0)
    monkeypatch.setattr(checkpoints.torch, "save", half_written)
    with pytest.raises(OSError):
        run.save(2, 1.0)
    assert Registry().add_runs_from(run.runs) == ["pair"] and [p.name for p in run.runs.iterdir()] == ["pair"]
    assert read_resume(run.runs / "pair").step == 1  # the previous save, whole and resumable


def test_the_model_card_gives_the_runs_numbers_and_a_hand_written_card_is_kept(tmp_path):
    from gan_demo.training.__main__ import main

    command = [*tiny_commands(tmp_path)["pix2pix"], *TINY["pix2pix"], "--steps", "3", "--seed", "5"]
    main([*command, "--out", str(tmp_path / "sketchy"), "--licence", "MIT"])
    card = (tmp_path / "sketchy" / "README.md").read_text()
    record = json.loads((tmp_path / "sketchy" / "run.json").read_text())
    l1 = record["loss_history"]["terms"]["G_L1"]
    assert card.startswith("---\nlicense: mit\n") and "| Data | 6 pairs |" in card and "| Steps | 3 |" in card
    assert "| Seed | 5 |" in card and "| Base model | none: trained from scratch |" in card
    assert f"| G_L1 | {sum(l1) / len(l1):.4g} |" in card and record["command"] in card
    assert "stroke widths varied at random" in card and f"{record['seconds']:.0f} s on cpu" in card

    (tmp_path / "sketchy" / "README.md").write_text("# My own card\n")
    main([*command, "--steps", "4", "--resume", str(tmp_path / "sketchy")])
    assert (tmp_path / "sketchy" / "README.md").read_text() == "# My own card\n"


def test_the_loss_history_thins_evenly_and_round_trips_through_json():
    history = LossHistory(limit=8)
    for step in range(1, 41):
        history.add(step, {"G": float(step), **({"D": 1.0} if step % 2 else {})})
    assert len(history.steps) <= 8 and history.spacing > 1
    gaps = {b - a for a, b in zip(history.steps, history.steps[1:], strict=False)}
    assert gaps == {history.spacing}
    again = LossHistory.from_json(json.loads(json.dumps(history.to_json())))
    assert (again.steps, again.points, again.spacing) == (history.steps, history.points, history.spacing)
