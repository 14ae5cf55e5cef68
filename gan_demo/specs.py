"""One spec per task: the options a model of that task may set, and how its networks are run.

A model entry (or a run.json "model" block, under "task_options") carries per-model values; the task's
options type checks them and gives the defaults. The inference policy is the task's: which networks may
run in bf16, be compiled or use the channels-last layout (measured in benchmarks/README.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Task = Literal["sample", "translate", "sketch", "attributes", "stylize"]
TASKS: tuple[Task, ...] = ("sample", "translate", "sketch", "attributes", "stylize")


@dataclass(frozen=True)
class InferencePolicy:
    bf16: bool = False  # bf16 autocast when the store's precision is bf16: measured faster for ResNet translators
    compile: bool = False  # torch.compile when compiling is asked for
    channels_last: bool = False  # channels-last memory layout (faster for the transposed convs of samplers)


@dataclass(frozen=True)
class SampleOptions:
    output_size: int | None = None  # display side (px) the tab and the CLI default to; None: the model's own


UPSCALER_ROLE = "upscaler"  # a sampler's optional learned ×2 enlargement (models/upscaler.py)


@dataclass(frozen=True)
class TranslateOptions:
    work_side: int | None = None  # run the network at most at this side and upscale (models trained small)


SIBLINGS_ROLE = "siblings"  # a sketch model's optional bank of training drawings (models/sibling_colours.py)


@dataclass(frozen=True)
class SketchOptions:
    frame_sketch: bool = False  # crop a drawing to its strokes and centre it, as the training sketches were
    min_stroke: float | None = None  # thicken thinner pen strokes to this width (px at the model's size)
    mirror_average: bool = False  # also translate the mirrored sketch and average the two (test-time augmentation)


@dataclass(frozen=True)
class StylizeOptions:
    content_layer: str = ""  # the feature network's layer the content loss compares
    style_layers: tuple[str, ...] = ()  # the layers whose Gram matrices the style loss compares, shallow to deep
    smoothing: float = 0.0  # softmax smoothing of the activations (Wang et al. 2021); 0 = off


@dataclass(frozen=True)
class AttributeOptions:
    exclusive: bool = True  # the labels are domains (one-hot in training), so the vector is one group
    groups: tuple[str, ...] = ()  # "Black_Hair|Blond_Hair|Brown_Hair": attributes that move as one group
    frame_faces: bool = False  # find the face, crop it as the training faces were, paste the edit back
    low: float = 0.0  # slider range; below 0 or above 1 extrapolates an attribute the model saw as 0 / 1
    high: float = 1.0


TaskOptions = SampleOptions | TranslateOptions | SketchOptions | AttributeOptions | StylizeOptions


@dataclass(frozen=True)
class TaskSpec:
    task: Task
    options: type[TaskOptions]  # what an entry's task_options may hold
    policy: InferencePolicy

    def parse_options(self, raw: Mapping[str, Any] | None, *, where: str = "task_options") -> TaskOptions:
        """The typed options of `raw` (JSON values); unknown names and wrong types raise ValueError."""
        fields = {f.name: f for f in dataclasses.fields(self.options)}
        unknown = sorted(set(raw or {}) - set(fields))
        if unknown:
            raise ValueError(f"{where}: {self.task} models have no option {', '.join(unknown)}")
        values = {
            name: _typed(value, str(fields[name].type), f"{where}: {name}") for name, value in (raw or {}).items()
        }
        return self.options(**values)


def _typed(value: Any, kind: str, where: str) -> Any:
    """A JSON value as the field type `kind` (its annotation) wants it, or ValueError naming `where`."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if value is None and kind.endswith("| None"):
        return None
    if kind.startswith("bool") and isinstance(value, bool):
        return value
    if kind.startswith(("int", "float")) and number and (kind.startswith("float") or float(value).is_integer()):
        return int(value) if kind.startswith("int") else float(value)
    if kind.startswith("str") and isinstance(value, str):
        return value
    if kind.startswith("tuple[str") and isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"{where} must be {kind}, got {value!r}")


SPECS: dict[Task, TaskSpec] = {
    "sample": TaskSpec("sample", SampleOptions, InferencePolicy(compile=True, channels_last=True)),
    "translate": TaskSpec("translate", TranslateOptions, InferencePolicy(bf16=True, compile=True)),
    "sketch": TaskSpec("sketch", SketchOptions, InferencePolicy(compile=True)),
    "attributes": TaskSpec("attributes", AttributeOptions, InferencePolicy()),
    "stylize": TaskSpec("stylize", StylizeOptions, InferencePolicy()),
}


def spec(task: str) -> TaskSpec:
    if task not in SPECS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    return SPECS[task]  # type: ignore[index]
