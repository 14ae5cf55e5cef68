"""Fine-tunes that go on from their last save, and the time estimate before a run starts."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from pathlib import Path

import pytest
import torch

from gan_demo.training.checkpoints import read_resume
from gan_demo.training.estimate import StepTiming, measure_steps
from gan_demo.training.finetune import FineTuneFailed, FineTuneSpec, Update, run_finetune
from gan_demo.training.worker import TrainingWorker
from tests.test_finetune import emoji_fluent_spec, images, wait_for
from tests.test_resume import TINY, flat, same, tiny_commands

CPU = torch.device("cpu")


def tiny_base(tmp_path) -> Path:
    """A one-step run of a tiny FastGAN (with its weight average) to fine-tune from: cheaper than a bundled base."""
    from gan_demo.training.__main__ import main

    command = [*tiny_commands(tmp_path)["gan"], *TINY["gan"], "--steps", "1", "--out", str(tmp_path / "base")]
    main(command)
    return tmp_path / "base"


def tiny_spec(tmp_path, out: str, steps: int) -> FineTuneSpec:
    folders = {"images": images(tmp_path / "data")}
    return FineTuneSpec(family="gan", folders=folders, out=tmp_path / out, steps=steps, base=tiny_base(tmp_path))


def test_a_stopped_fine_tune_resumed_ends_as_one_run_straight_through(tmp_path):
    whole = tiny_spec(tmp_path, "whole", 4)  # the sampler: an EMA generator, FreezeD hooks
    whole.freeze_d = 1
    run_finetune(whole, device=CPU)
    part = dataclasses.replace(whole, out=tmp_path / "part")
    updates: list[Update] = []
    run_finetune(part, device=CPU, should_stop=lambda: len(updates) > 2, on_update=updates.append)  # stops at 2
    assert read_resume(part.out).step == 2
    updates.clear()
    again = dataclasses.replace(part, base=None, freeze_d=0, resume=part.out)  # the run's own base and FreezeD
    run_finetune(again, device=CPU, on_update=updates.append)

    assert [u.step for u in updates] == [2, 3, 4]
    assert [row["step"] for row in updates[0].history] == [1.0, 2.0]  # the tab's curve goes on from the saved one
    expected, got = flat(read_resume(whole.out).trainer), flat(read_resume(part.out).trainer)
    assert "/objects/averaged/to_rgb.0.weight" in expected  # the generator's weight average is saved too
    assert [key for key in expected if not same(expected[key], got[key])] == []
    record = json.loads((part.out / "run.json").read_text())
    assert record["finetune"] == {"base": str(whole.base), "freeze_d": 1, "precision": "fp32"}
    assert record["model"]["base_model"] == "base"
    with pytest.raises(FineTuneFailed, match="already at step 4 of 4"):
        run_finetune(again, device=CPU)


def test_the_cli_resumes_a_fine_tune_and_refuses_other_settings_in_one_line(tmp_path, capsys):
    from gan_demo.cli import main

    data, run = images(tmp_path / "data", count=8), tmp_path / "runs" / "mine"  # the CLI checks uploads as the tab
    argv = ["finetune", "gan", "--data", str(data), "--batch-size", "2"]
    base = str(tiny_base(tmp_path))
    credit = ["--credit", "drawings by  me"]
    assert main([*argv, "--from", base, "--steps", "1", "--out", str(run), "--licence", "MIT", *credit]) == 0
    assert main([*argv, "--steps", "2", "--resume", str(run)]) == 0
    record = json.loads((run / "run.json").read_text())
    assert (record["steps"], record["resumed_at"], record["model"]["licence"]) == (2, [1], "MIT")
    assert record["model"]["credit"].startswith("drawings by me; fine-tuned with gan-demo finetune from base (its")
    assert f"--from {base}" in record["command"] and (run / "README.md").is_file()
    capsys.readouterr()
    assert main([*argv, "--lr", "0.001", "--steps", "3", "--resume", str(run)]) == 2
    err = capsys.readouterr().err
    assert "a resumed run keeps its settings: lr is 0.0002 in the run, 0.001 here" in err and err.count("\n") == 1


def test_an_estimate_times_a_few_real_steps_after_a_warm_up(tmp_path):
    spec = emoji_fluent_spec(tmp_path, "never-written", 300)
    timing = measure_steps(spec, device=CPU, steps=2)
    assert timing.timed_steps == 2 and 0 < timing.seconds_per_step < 30 and timing.setup_seconds > 0
    assert not spec.out.exists()  # nothing is saved


def test_the_estimate_says_how_long_the_steps_take_and_where_the_budget_stops_them():
    timing = StepTiming(seconds_per_step=2.0, timed_steps=3, setup_seconds=1.2)
    text = timing.summary(300, 5)
    assert text.startswith("about 2.00 s per step (3 steps timed after a warm-up; loading took 1.2 s)")
    assert "300 steps take about 10.0 min" in text and "5-minute budget stops the run near step 150" in text
    assert "budget" not in timing.summary(30, 5)  # 60 s: inside the budget


def test_the_worker_refuses_an_estimate_while_a_job_runs_and_a_job_waits_for_an_estimate(tmp_path):
    go_on, measuring = threading.Event(), threading.Event()

    def training(spec, *, device, should_stop, on_update):
        go_on.wait(5)
        return spec.out

    def measurer(spec, *, device):
        measuring.set()
        go_on.wait(5)
        return StepTiming(0.5, 3, 0.1)

    worker = TrainingWorker(device=CPU, trainer=training, measurer=measurer)
    spec = FineTuneSpec(family="gan", folders={}, out=tmp_path / "a", steps=1)
    job = worker.submit(spec)
    with pytest.raises(ValueError, match="a training job is running or waiting"):
        worker.measure(spec)
    go_on.set()
    wait_for(lambda: job.state == "done")
    go_on.clear()
    results = []
    thread = threading.Thread(target=lambda: results.append(worker.measure(spec)))
    thread.start()
    measuring.wait(5)
    second = worker.submit(dataclasses.replace(spec, out=tmp_path / "b"))
    time.sleep(0.2)
    assert second.state == "queued"  # the estimate holds the one training slot
    go_on.set()
    thread.join(5)
    wait_for(lambda: second.state == "done")
    assert results == [StepTiming(0.5, 3, 0.1)]


def test_the_worker_shows_a_resumed_jobs_earlier_curve_first(tmp_path):
    earlier = [{"step": 1.0, "G": 2.0}, {"step": 2.0, "G": 1.5}]

    def resumed(spec, *, device, should_stop, on_update):
        on_update(Update(2, 3, {}, 1.0, history=earlier))
        on_update(Update(3, 3, {"G": 1.0}, 1.5))
        return spec.out

    worker = TrainingWorker(device=CPU, trainer=resumed)
    job = worker.submit(FineTuneSpec(family="gan", folders={}, out=tmp_path / "r", steps=3, resume=tmp_path / "r"))
    wait_for(lambda: job.state == "done")
    assert [point["step"] for point in job.history] == [1.0, 2.0, 3.0]


def test_on_zerogpu_an_estimate_is_one_gpu_call_of_a_declared_duration(zerogpu):
    from gan_demo.device import gpu_task
    from gan_demo.training import estimate

    gpu_task(duration=estimate._declared_seconds)(measure_steps)
    assert zerogpu[-1](None, device=CPU) == estimate.LOAD_SECONDS + 20  # loading, warm-up and timed steps
    assert TrainingWorker(device=CPU)._measure is estimate.measure_on_device
