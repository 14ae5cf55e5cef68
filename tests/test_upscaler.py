"""The learned ×2 upscaler of a small sampler: the network, its training, the command that adds it, its use."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from gan_demo.entries import entry_from_run
from gan_demo.models.upscaler import Upscaler
from gan_demo.registry import Registry
from gan_demo.specs import UPSCALER_ROLE
from gan_demo.store import ModelStore
from gan_demo.tasks.sample import sample_images
from gan_demo.training.upscaler import degrade, fit, l1_against_bicubic, main
from gan_demo.ui import sample_tab
from tests.test_training import CPU

ROOT = Path(__file__).resolve().parents[1]


def discs(count: int, size: int) -> torch.Tensor:
    """Sharp-edged coloured discs on white, [N, 3, size, size] in [-1, 1]: detail bicubic enlargement blurs."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:size, :size] / size
    images = []
    for _ in range(count):
        cy, cx, radius = rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7), rng.uniform(0.15, 0.3)
        inside = (yy - cy) ** 2 + (xx - cx) ** 2 < radius**2
        image = np.ones((3, size, size))
        image[:, inside] = rng.uniform(-1, 0.5, (3, 1))
        images.append(image)
    return torch.tensor(np.stack(images), dtype=torch.float32)


def test_an_untrained_upscaler_is_bicubic_enlargement_and_doubles_the_side():
    image = discs(2, 16)
    enlarged = Upscaler(channels=4, blocks=1)(image)
    assert enlarged.shape == (2, 3, 32, 32)
    bicubic = F.interpolate(image, scale_factor=2, mode="bicubic", align_corners=False).clamp(-1, 1)
    assert torch.equal(enlarged, bicubic)


def test_degrading_blurs_and_adds_noise_and_does_nothing_when_both_are_zero():
    image = discs(4, 24)
    generator = torch.Generator().manual_seed(0)
    assert torch.equal(degrade(image, blur=0, noise=0, generator=generator), image)
    blurred = degrade(image, blur=3.0, noise=0, generator=generator)
    assert blurred.shape == image.shape
    edges = [(x[..., 1:] - x[..., :-1]).abs().sum().item() for x in (image, blurred)]
    assert edges[1] < edges[0]  # softer edges
    noisy = degrade(image, blur=0, noise=0.1, generator=generator)
    assert 0 < (noisy - image).abs().mean() < 0.1


def test_a_short_fit_enlarges_sharp_edges_better_than_bicubic():
    torch.manual_seed(0)
    large = discs(8, 48)
    upscaler = Upscaler(channels=8, blocks=1)
    losses = fit(large, steps=120, blur=0.5, noise=0.01, seed=0, upscaler=upscaler)
    assert len(losses) == 2 and not upscaler.training
    bicubic, learned = l1_against_bicubic(upscaler, large)
    assert learned < 0.9 * bicubic


def _images(folder: Path, count: int = 6) -> None:
    folder.mkdir()
    for index, image in enumerate(discs(count, 128)):
        pixels = ((image + 1) * 127.5).round().to(torch.uint8).permute(1, 2, 0).numpy()
        Image.fromarray(pixels).save(folder / f"disc{index}.png")


def test_the_command_adds_an_upscaler_that_the_sample_tab_and_task_use(tmp_path):
    images, base, out = tmp_path / "images", tmp_path / "sampler", tmp_path / "sampler-up"
    _images(images)
    shutil.copytree(ROOT / "checkpoints" / "emoji-fluent", base)
    (base / UPSCALER_ROLE).exists() and shutil.rmtree(base / UPSCALER_ROLE)
    argv = ["--model", str(base), "--images", str(images), "--steps", "30", "--channels", "8", "--blocks", "1"]
    assert main([*argv, "--out", str(out)]) == 0
    record = json.loads((out / "run.json").read_text())
    assert record["model"]["roles"][-1] == UPSCALER_ROLE and record["model"]["roles"].count(UPSCALER_ROLE) == 1
    assert record[UPSCALER_ROLE]["images"] == 6 and record[UPSCALER_ROLE]["size"] == [64, 128]
    assert entry_from_run(out).role_architectures[UPSCALER_ROLE] == "upscaler"
    assert main([*argv, "--out", str(out)]) == 2  # the folder exists now: refused
    registry = Registry()
    registry.add_run(out)
    store = ModelStore(registry, CPU)
    entry, generator = store.get("sampler-up", task="sample")
    upscaler = store.optional(entry, UPSCALER_ROLE)
    assert isinstance(upscaler, Upscaler)
    assert store.optional(registry.get("emoji-sketch"), UPSCALER_ROLE) is None  # a model without one: bicubic
    common = {"n": 2, "seed": 5, "device": CPU}
    learned = sample_images(generator, output_size=128, upscaler=upscaler, **common)
    plain = sample_images(generator, output_size=128, **common)
    assert learned[0].size == (128, 128)
    assert not np.array_equal(np.asarray(learned[0]), np.asarray(plain[0]))  # the upscaler made these
    at_own_size = [sample_images(generator, output_size=64, upscaler=u, **common)[0] for u in (upscaler, None)]
    assert np.array_equal(*map(np.asarray, at_own_size))  # no enlargement, no upscaler
    _, captioned = sample_tab.sample(store, "sampler-up", 5, 2, 1.0, 0, 128, lambda *a, **k: None)
    assert np.array_equal(np.asarray(captioned[0][0]), np.asarray(learned[0]))  # the tab shows the same pictures


def test_the_command_refuses_what_is_not_a_sampler_and_a_missing_folder(tmp_path, capsys):
    images = tmp_path / "images"
    _images(images, 2)
    sketch = ["--model", str(ROOT / "checkpoints" / "emoji-sketch"), "--images", str(images)]
    assert main([*sketch, "--out", str(tmp_path / "x")]) == 2
    assert "not a sampler" in capsys.readouterr().err
    missing = ["--model", str(tmp_path / "nowhere"), "--images", str(images), "--out", str(tmp_path / "y")]
    assert main(missing) == 2
    assert "not a run folder" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
