"""Shared fixtures: everything offline, tiny models, a throwaway Hub cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from gan_demo.registry import ModelEntry, WeightSource

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
torch.set_num_threads(1)  # tiny models: one thread is fastest, and leaves a core free

TINY_RESNET = {"base_channels": 4, "n_blocks": 1, "norm": "instance"}
TINY_DCGAN = {"latent_dim": 8, "base_channels": 4, "image_channels": 3}
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory):
    """The app as `python app.py` serves it (same launch options), on a free loopback port, with a client."""
    from gradio_client import Client

    os.environ["GRADIO_TEMP_DIR"] = str(tmp_path_factory.mktemp("gradio"))
    from app import create_app, launch_options

    runs_dir = tmp_path_factory.mktemp("runs")
    demo, store = create_app(runs_dir=runs_dir)
    _, url, _ = demo.launch(
        prevent_thread_lock=True, server_name="127.0.0.1", server_port=None, quiet=True, **launch_options()
    )
    client = Client(url, verbose=False)
    demo.test_store = store  # type: ignore[attr-defined]
    demo.test_url = url  # type: ignore[attr-defined]
    demo.test_runs_dir = runs_dir  # type: ignore[attr-defined]
    yield demo, client
    client.close()
    demo.close()


@pytest.fixture(autouse=True)
def _offline_hub(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty Hub cache and HF_HUB_OFFLINE=1: no test can touch the network."""
    cache = tmp_path_factory.mktemp("hf-cache")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    return cache


@pytest.fixture
def zerogpu(monkeypatch: pytest.MonkeyPatch) -> list:
    """A stand-in `spaces` package and SPACES_ZERO_GPU=true: `spaces.GPU(duration=…)` records each duration
    it is given (in the returned list) and leaves the function as it is."""
    import importlib.machinery
    import sys
    import types

    declared: list = []

    class GPU:
        def __init__(self, duration):
            declared.append(duration)

        def __call__(self, fn):
            return fn

    spaces = types.ModuleType("spaces")
    spaces.__spec__ = importlib.machinery.ModuleSpec("spaces", None)
    spaces.GPU = GPU
    monkeypatch.setitem(sys.modules, "spaces", spaces)
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    return declared


@pytest.fixture
def hub_cache(_offline_hub: Path) -> Path:
    return _offline_hub


def hub_snapshot(cache: Path, repo_id: str, *, repo_type: str = "model", commit: str = COMMIT) -> Path:
    """Create the folder huggingface_hub uses for one pinned revision of a repo, as a download would."""
    repo = cache / f"{repo_type}s--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot


def tiny_entry(key: str = "tiny", *, task: str = "translate", **source: object) -> ModelEntry:
    """A registry entry for a tiny ResNet (translate) or DCGAN (sample) generator."""
    translate = task == "translate"
    return ModelEntry(
        key=key,
        task=task,  # type: ignore[arg-type]
        title=f"Tiny {key}",
        description="A tiny test model.",
        architecture="resnet_generator" if translate else "dcgan_generator",
        config=TINY_RESNET if translate else TINY_DCGAN,
        weights={("a2b" if translate else "generator"): WeightSource(**source)},  # type: ignore[arg-type]
        directions={"a2b": "x → y"} if translate else {},
        image_size=32 if translate else 64,
        licence="MIT",
        credit="tests",
    )


def generator_entry(architecture: str, task: str, *, config: dict | None = None, **source: object) -> ModelEntry:
    """A registry entry with one "generator" network of any architecture (config from its config.json)."""
    return ModelEntry(
        key="run",
        task=task,  # type: ignore[arg-type]
        title="t",
        description="d",
        architecture=architecture,
        config=config or {},
        weights={"generator": WeightSource(**source)},  # type: ignore[arg-type]
        image_size=64,
        licence="MIT",
        credit="tests",
    )


def l1_before_and_after_fitting(
    module: torch.nn.Module, inputs: torch.Tensor, target: torch.Tensor, *, steps: int
) -> tuple[float, float]:
    """Mean L1 of module(inputs) to target, before and after `steps` Adam steps (lr 0.01) on that L1."""
    optimiser = torch.optim.Adam(module.parameters(), lr=1e-2)
    before = (module(inputs) - target).abs().mean().item()
    for _ in range(steps):
        optimiser.zero_grad()
        (module(inputs) - target).abs().mean().backward()
        optimiser.step()
    return before, (module(inputs) - target).abs().mean().item()


def tiny_stargan_run(folder: Path, *, domains: tuple[str, ...] = ("red", "green", "blue"), size: int = 16) -> Path:
    """A run folder of an untrained tiny StarGAN (generator and discriminator) over `domains`, as training
    writes one: a model of the StarGAN tab and `gan-demo edit`, in a few milliseconds."""
    import json

    from gan_demo.models import StarGANDiscriminator, StarGANGenerator

    torch.manual_seed(0)
    networks = {
        "generator": StarGANGenerator(c_dim=len(domains), conv_dim=4, repeat_num=1),
        "discriminator": StarGANDiscriminator(image_size=size, conv_dim=4, c_dim=len(domains), repeat_num=2),
    }
    for role, network in networks.items():
        network.save_pretrained(folder / role)
    model = {
        "task": "attributes",
        "title": f"Tiny styles ({folder.name})",
        "description": "An untrained tiny StarGAN for tests.",
        "architecture": "stargan_generator",
        "role_architectures": {"discriminator": "stargan_discriminator"},
        "roles": list(networks),
        "image_size": size,
        "licence": "MIT",
        "credit": "tests",
        "attributes": list(domains),
    }
    (folder / "run.json").write_text(json.dumps({"family": "stargan", "model": model}))
    return folder


@pytest.fixture(scope="session")
def face_photo():
    """A DCGAN face (the installed `faces-dcgan` package model) on a plain background: face-like enough for
    the Haar cascade, and offline."""
    from PIL import Image

    from gan_demo.hub import load_network
    from gan_demo.registry import Registry
    from gan_demo.tasks.sample import sample_images

    cpu = torch.device("cpu")
    generator = load_network(Registry().get("faces-dcgan"), "generator", device=cpu)
    (face,) = sample_images(generator, n=1, seed=0, device=cpu, output_size=256)
    photo = Image.new("RGB", (512, 384), (200, 210, 220))
    photo.paste(face, (100, 60))
    return photo
