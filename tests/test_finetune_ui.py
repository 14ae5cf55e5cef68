"""The Fine-tune tab's handlers with a stand-in worker: the loss plot's data, and the time estimate."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from gan_demo.registry import Registry
from gan_demo.training.estimate import StepTiming
from gan_demo.training.finetune import FineTuneSpec
from gan_demo.training.worker import Job
from gan_demo.ui.common import user_errors
from gan_demo.ui.finetune_jobs import FineTuneHandlers, plot_value


def job(history, state="running"):
    spec = FineTuneSpec(family="gan", folders={}, out=Path("unused"), steps=10)
    return Job(id="j", spec=spec, state=state, step=len(history), total=10, seconds=1.0, history=history)


class StandInWorker:
    def __init__(self, jobs=None, busy: bool = False) -> None:
        self.jobs, self.busy, self.measured = jobs or {}, busy, []

    def get(self, job_id):
        return self.jobs.get(job_id)

    def position(self, _job):
        return 0

    def measure(self, spec):
        if self.busy:
            raise ValueError("a training job is running or waiting")
        self.measured.append(spec)
        return StepTiming(seconds_per_step=0.5, timed_steps=3, setup_seconds=2.0)


def handlers(tmp_path: Path, worker: StandInWorker) -> FineTuneHandlers:
    return FineTuneHandlers(SimpleNamespace(registry=Registry()), worker, tmp_path / "runs")


D_ONLY = [{"step": 1.0, "D_real": 1.0, "D_fake": 0.5}]
WITH_G = [*D_ONLY, {"step": 2.0, "D_real": 0.9, "D_fake": 0.4, "G_rec": 3.0}]


def test_the_loss_plot_gets_no_frame_until_there_is_data(tmp_path):
    refresh = handlers(tmp_path, StandInWorker({"j": job([])})).refresh
    _, frame, _, _, plotted, _ = refresh("j", None, [])
    assert frame is None and plotted == []  # an empty frame would fix an empty colour domain: no lines ever
    _, frame, _, _, plotted, _ = refresh(None, None, [])
    assert frame is None


def test_a_new_set_of_loss_terms_reaches_the_plot_only_after_an_empty_tick(tmp_path):
    worker = StandInWorker({"j": job(D_ONLY)})
    refresh = handlers(tmp_path, worker).refresh
    _, frame, _, _, plotted, _ = refresh("j", None, [])
    assert plotted == ["D_fake", "D_real"] and set(frame["term"]) == set(plotted) and len(frame) == 2
    assert frame.dtypes["step"].kind == "f" and frame.dtypes["loss"].kind == "f"  # numeric axes
    worker.jobs["j"] = job(WITH_G, state="done")  # StarGAN's G terms arrive on its first G step
    _, frame, _, _, plotted, timer = refresh("j", None, plotted)
    assert frame is None and plotted == [] and timer.active  # cleared, and one more tick although the job ended
    _, frame, _, _, plotted, timer = refresh("j", None, plotted)
    assert plotted == ["D_fake", "D_real", "G_rec"] and len(frame) == 5 and not timer.active


def test_the_same_terms_keep_coming_as_plain_data_updates():
    frame, plotted, redraw = plot_value(job(WITH_G), ["D_fake", "D_real", "G_rec"])
    assert frame is not None and not redraw and plotted == ["D_fake", "D_real", "G_rec"]


def uploads(folder: Path, count: int = 8) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    paths = []
    for index in range(count):
        path = folder / f"e{index}.png"
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(path)
        paths.append(str(path))
    return paths


SETTINGS = (300, 5, 1e-4, 2, ["color"], 1, 0.9)  # steps, minutes, lr, batch, augment, freeze, ema


def test_the_estimate_times_the_chosen_settings_through_the_worker(tmp_path):
    worker = StandInWorker()
    note = handlers(tmp_path, worker).estimate("gan", "emoji-fluent", "names", uploads(tmp_path / "u"), [], *SETTINGS)
    (spec,) = worker.measured
    assert spec.steps == 300 and spec.minutes == 5 and spec.freeze_d == 1 and spec.base.name == "emoji-fluent"
    assert spec.overrides == {"lr": 1e-4, "batch_size": 2, "augment": "color", "ema": 0.9}
    assert note.startswith("**Estimate:** about 0.50 s per step") and "300 steps take about 2.5 min" in note
    assert not spec.out.exists()


def test_an_estimate_while_a_job_runs_is_refused_with_a_message(tmp_path):
    estimate = user_errors(handlers(tmp_path, StandInWorker(busy=True)).estimate)
    with pytest.raises(gr.Error, match="a training job is running or waiting"):
        estimate("gan", "emoji-fluent", "names", uploads(tmp_path / "u"), [], *SETTINGS)


def test_the_runs_list_skips_a_save_in_progress(tmp_path):
    from gan_demo.ui.finetune_jobs import run_keys

    for name in ("mine", ".mine-x1y2", ".mine-x1y2-old"):  # save_run's staging and retired folders
        (tmp_path / name).mkdir()
        (tmp_path / name / "run.json").write_text("{}")
    assert run_keys(tmp_path) == ["mine"]
