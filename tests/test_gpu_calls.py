"""ZeroGPU: a fine-tune as a series of short GPU calls, each continuing from the last save and saving before it ends.

No ZeroGPU here: a stand-in for `spaces.GPU` runs each call in-process, but pickles its arguments and result
as ZeroGPU does and refuses a call that outlasts its declared duration.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import time

import pytest
import torch
import torch._dynamo  # the first optimiser of a process imports it (seconds): not inside a call

from gan_demo.device import gpu_task
from gan_demo.training import gpu_calls
from gan_demo.training.checkpoints import read_resume
from gan_demo.training.finetune import FineTuneFailed, FineTuneSpec, run_finetune
from gan_demo.training.gpu_calls import RESERVE_SECONDS, CallReport, train_in_gpu_calls, train_one_call
from tests.test_finetune import images

CPU = torch.device("cpu")
TRAIN_SECONDS = 2.0  # of each stand-in call, after the reserve for saving


class StandInGPU:
    """What `spaces.GPU(duration=…)` does to a call, minus the GPU: arguments and results cross by pickle."""

    def __init__(self, fn=train_one_call) -> None:
        self.fn, self.calls = fn, []

    def __call__(self, spec: FineTuneSpec, device: torch.device, seconds: float) -> CallReport:
        declared = gpu_calls._declared_seconds(spec, device, seconds)
        began = time.perf_counter()
        report = self.fn(*pickle.loads(pickle.dumps((spec, device, seconds))))
        took = time.perf_counter() - began
        if took > declared:
            raise RuntimeError(f"GPU task aborted: {took:.1f} s, more than the {declared} s declared")
        self.calls.append((read_resume(spec.resume).step if spec.resume else 0, took))
        return pickle.loads(pickle.dumps(report))


def spec_for(tmp_path, steps: int) -> FineTuneSpec:
    return FineTuneSpec(
        family="pix2pix",
        folders={"source": images(tmp_path / "a"), "target": images(tmp_path / "b", seed=1)},
        out=tmp_path / "runs" / "chunked",
        steps=steps,
        overrides={"batch_size": 2},
        preview_every=3,
    )


def test_each_call_trains_what_fits_continues_from_the_last_save_and_saves(tmp_path):
    call, updates = StandInGPU(), []
    spec = dataclasses.replace(spec_for(tmp_path, steps=10**6), minutes=TRAIN_SECONDS / 60)  # more than one call
    folder = train_in_gpu_calls(
        spec, device=CPU, on_update=updates.append, call=call, call_seconds=RESERVE_SECONDS + TRAIN_SECONDS
    )
    record = json.loads((folder / "run.json").read_text())
    assert len(call.calls) >= 2  # the budget did not fit in one call
    starts = [start for start, _ in call.calls]
    assert starts[0] == 0 and starts == sorted(set(starts))  # every call went on from the one before
    steps = [u.step for u in updates if u.losses]
    assert steps == list(range(1, record["steps"] + 1))  # one count across the calls, no step twice
    assert record["seconds"] >= TRAIN_SECONDS and record["finetune"]["base"] is None  # not the run itself


def test_every_call_leaves_a_saved_run_and_a_stop_takes_effect_when_the_call_ends(tmp_path):
    seen = []

    def one_call_then_look(spec, device, seconds):
        report = train_one_call(spec, device, seconds)
        seen.append(json.loads((report.folder / "run.json").read_text())["steps"])  # on disk before returning
        return report

    stop = {"now": False}

    def on_update(update):
        stop["now"] = update.step >= 1  # the page asked to stop during the first call

    folder = train_in_gpu_calls(
        spec_for(tmp_path, steps=10**6),
        device=CPU,
        should_stop=lambda: stop["now"],
        on_update=on_update,
        call=StandInGPU(one_call_then_look),
        call_seconds=RESERVE_SECONDS + TRAIN_SECONDS,
    )
    assert len(seen) == 1 and seen[0] >= 1 and json.loads((folder / "run.json").read_text())["steps"] == seen[0]


def test_a_run_that_ends_inside_one_call_is_one_call(tmp_path):
    call = StandInGPU()
    train_in_gpu_calls(spec_for(tmp_path, steps=2), device=CPU, call=call, call_seconds=RESERVE_SECONDS + 30)
    assert len(call.calls) == 1


def test_a_call_that_makes_no_progress_stops_the_run_with_a_reason(tmp_path):
    def stuck(spec, device, seconds):
        return CallReport(spec.out, [], 0, 0.0)

    with pytest.raises(FineTuneFailed, match="made no progress; the run stays at step 0"):
        train_in_gpu_calls(spec_for(tmp_path, steps=5), device=CPU, call=stuck, call_seconds=RESERVE_SECONDS + 1)
    with pytest.raises(ValueError, match="longer than the 10 s kept for saving"):
        train_in_gpu_calls(spec_for(tmp_path, steps=5), device=CPU, call=stuck, call_seconds=RESERVE_SECONDS)


def test_a_call_too_short_to_load_the_run_says_so(tmp_path):
    with pytest.raises(FineTuneFailed, match="took all of a 0 s GPU call; nothing was trained"):
        train_one_call(spec_for(tmp_path, steps=5), CPU, 0.0)


def test_on_zerogpu_the_call_declares_its_duration_and_the_worker_trains_in_calls(monkeypatch, zerogpu):
    gpu_task(duration=gpu_calls._declared_seconds)(train_one_call)
    assert zerogpu[-1](None, CPU, 50.0) == 50 + RESERVE_SECONDS  # the training time plus the save
    assert gpu_calls.finetune_runner() is train_in_gpu_calls
    monkeypatch.delenv("SPACES_ZERO_GPU")
    assert gpu_calls.finetune_runner() is run_finetune
