"""Faults: a damaged model, an exhausted device, half-written runs, a runs folder that cannot be written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from gan_demo.registry import Registry
from gan_demo.store import ModelStore
from gan_demo.ui.common import model_choices

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = Path("emoji-fluent") / "generator" / "model.safetensors"


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-1000])


def reshape(path: Path) -> None:
    tensors = load_file(path)
    name = next(iter(tensors))
    tensors[name] = torch.zeros(3, 3)
    save_file(tensors, path)


def poison(path: Path) -> None:
    tensors = load_file(path)
    name = next(name for name, t in tensors.items() if t.is_floating_point())
    tensors[name] = torch.full_like(tensors[name], float("nan"))
    save_file(tensors, path)


@pytest.mark.parametrize(
    ("damage", "message"),
    [(truncate, "cannot read"), (reshape, "does not fit"), (poison, "non-finite")],
)
def test_a_damaged_checkpoint_breaks_only_its_model_and_is_retried(tmp_path, damage, message):
    checkpoints = tmp_path / "checkpoints"
    shutil.copytree(ROOT / "checkpoints", checkpoints)
    damage(checkpoints / WEIGHTS)
    store = ModelStore(Registry(), torch.device("cpu"), checkpoints_dir=checkpoints)
    with pytest.raises(ValueError, match=message):
        store.get("emoji-fluent")
    assert "broken" in dict((key, label) for label, key in model_choices(store, "sample"))["emoji-fluent"]
    store.get("faces-dcgan")
    store.get("emoji-sketch")  # every other model keeps working
    shutil.copy(ROOT / "checkpoints" / WEIGHTS, checkpoints / WEIGHTS)
    store.get("emoji-fluent")  # nothing broken was cached
    assert store.broken("emoji-fluent") is None


def test_running_out_of_memory_is_reported_and_the_next_request_works(app, monkeypatch):
    import gan_demo.tasks.sample as sample

    _, client = app
    real = sample.render_latents
    calls = []

    def exhausted_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(*args, **kwargs)

    monkeypatch.setattr(sample, "render_latents", exhausted_once)
    with pytest.raises(Exception, match="ran out of memory"):
        client.predict("faces-dcgan", 3, 2, 1.0, 0.0, 64, api_name="/sample")
    _, gallery = client.predict("faces-dcgan", 3, 2, 1.0, 0.0, 64, api_name="/sample")
    assert len(gallery) == 2


def test_only_complete_runs_are_listed_after_a_crash(tmp_path):
    runs = tmp_path / "runs"
    shutil.copytree(ROOT / "checkpoints" / "emoji-fluent", runs / "finished")
    shutil.copytree(ROOT / "checkpoints" / "emoji-fluent", runs / ".finished-x1y2")  # a save cut short
    (runs / "half").mkdir()  # a folder with no run record
    (runs / "half" / "generator").mkdir()
    (runs / "garbled").mkdir()
    (runs / "garbled" / "run.json").write_text("{ not json")
    shutil.copytree(ROOT / "checkpoints" / "emoji-fluent", runs / "emoji-sketch")  # may not shadow a bundled model
    registry = Registry()
    assert registry.add_runs_from(runs) == ["finished"]
    assert registry.get("emoji-sketch").source_kind == "bundled"
    assert registry.get("finished").source_kind == "run"


def test_a_runs_folder_that_cannot_be_written_is_refused_before_training(tmp_path, capsys):
    from gan_demo.cli import main
    from gan_demo.training.finetune import folder_problem

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert "is not writable" in folder_problem(blocker / "runs")
    assert "MB free" in folder_problem(tmp_path, min_free_bytes=2**62)
    assert main(["finetune", "gan", "--data", str(tmp_path), "--out", str(blocker / "runs" / "r")]) == 1
    assert "the run cannot be saved" in capsys.readouterr().err


def test_one_process_trains_a_run_folder_at_a_time_and_a_killed_one_frees_it(tmp_path):
    import os
    import subprocess
    import sys

    from gan_demo.training.run_lock import RunBusy, writing

    run = tmp_path / "runs" / "r"
    holder = "import sys, time\nfrom gan_demo.training.run_lock import writing\nwith writing(sys.argv[1]):\n"
    holder += "    print('held', flush=True)\n    time.sleep(600)\n"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", holder, str(run)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(RunBusy, match=f"is being trained by process {child.pid}"), writing(run):
            pass
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    with writing(run):  # the kernel let go of the lock with the process
        pass
    assert [path.name for path in run.parent.iterdir()] == [".r.lock"]  # nothing listed as a run


def test_deleting_a_run_renames_it_away_first_and_leaves_nothing(tmp_path, monkeypatch):
    import gan_demo.training.loop as loop
    from gan_demo.training.worker import TrainingWorker
    from gan_demo.ui.finetune_jobs import FineTuneHandlers

    runs = tmp_path / "runs"
    shutil.copytree(ROOT / "checkpoints" / "emoji-fluent", runs / "mine")
    registry = Registry()
    registry.add_runs_from(runs)
    seen = []
    real = loop.shutil.rmtree
    monkeypatch.setattr(loop.shutil, "rmtree", lambda path, **kw: (seen.append(Path(path).name), real(path, **kw)))
    handlers = FineTuneHandlers(
        ModelStore(registry, torch.device("cpu")), TrainingWorker(device=torch.device("cpu")), runs
    )
    _, note = handlers.delete("mine")
    assert note == "Deleted mine." and "mine" not in {entry.key for entry in registry}
    assert seen and seen[0].startswith(".mine-deleted-")  # a kill mid-delete leaves only a hidden folder
    assert list(runs.iterdir()) == []
