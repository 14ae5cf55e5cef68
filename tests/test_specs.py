"""Typed task specs: per-model options checked and defaulted by the task, and the task's inference policy."""

from __future__ import annotations

import dataclasses

import pytest

from gan_demo.entries import entry_from_run
from gan_demo.registry import CATALOGUE, CHECKPOINTS_DIR
from gan_demo.specs import SPECS, TASKS, SampleOptions, SketchOptions, StylizeOptions, TranslateOptions, spec
from tests.conftest import tiny_entry


def test_every_task_has_a_spec_and_only_translators_may_run_in_bf16():
    assert set(SPECS) == set(TASKS)
    assert [task for task in TASKS if spec(task).policy.bf16] == ["translate"]
    assert [task for task in TASKS if spec(task).policy.channels_last] == ["sample"]
    assert {task for task in TASKS if spec(task).policy.compile} == {"sample", "translate", "sketch"}


def test_bundled_run_json_options_load_typed():
    assert entry_from_run(CHECKPOINTS_DIR / "emoji-sketch").options == SketchOptions(
        frame_sketch=True, min_stroke=6.0, mirror_average=True
    )
    assert entry_from_run(CHECKPOINTS_DIR / "emoji-flat-modern").options == TranslateOptions(work_side=128)
    assert entry_from_run(CHECKPOINTS_DIR / "emoji-fluent").options == SampleOptions(output_size=128)


def test_an_entry_without_options_gets_its_task_defaults():
    assert tiny_entry("t").options == TranslateOptions()
    assert all(isinstance(entry.options, spec(entry.task).options) for entry in CATALOGUE)


def test_options_of_another_task_are_refused():
    with pytest.raises(ValueError, match="TranslateOptions"):
        dataclasses.replace(tiny_entry("t"), options=SketchOptions())


@pytest.mark.parametrize(
    ("task", "raw", "message"),
    [
        ("translate", {"work_sid": 128}, "no option work_sid"),
        ("translate", {"work_side": "128"}, "work_side must be int"),
        ("sketch", {"frame_sketch": 1}, "frame_sketch must be bool"),
        ("sample", {"output_size": True}, "output_size must be int"),
        ("sample", {"output_size": 128.5}, "output_size must be int"),
        ("stylize", {"style_layers": ["a", 1]}, "style_layers must be tuple"),
        ("sketch", {"frame_sketch": None}, "frame_sketch must be bool"),
    ],
)
def test_misspelt_or_mistyped_options_name_the_option(task, raw, message):
    with pytest.raises(ValueError, match=message):
        spec(task).parse_options(raw)


def test_json_numbers_become_the_declared_type():
    assert spec("sketch").parse_options({"min_stroke": 6, "frame_sketch": False}) == SketchOptions(False, 6.0)
    assert spec("translate").parse_options({"work_side": None}) == TranslateOptions()


def test_json_lists_of_layer_names_become_tuples():
    raw = {"content_layer": "stage4", "style_layers": ["stem", "stage1"], "smoothing": 0}
    assert spec("stylize").parse_options(raw) == StylizeOptions("stage4", ("stem", "stage1"), 0.0)
