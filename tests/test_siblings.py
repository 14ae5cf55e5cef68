"""Sibling colours: the bank of training drawings, its blend, its save and load, and the command that adds it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gan_demo.entries import entry_from_run
from gan_demo.hub import load_network
from gan_demo.models import build_module
from gan_demo.models.sibling_colours import SiblingColours
from gan_demo.registry import Registry
from gan_demo.specs import SIBLINGS_ROLE
from gan_demo.store import ModelStore
from gan_demo.tasks.sketch import borrowed_colours, sketch_to_image
from gan_demo.tensors import from_signed_unit
from gan_demo.training.siblings import jpeg_bytes
from gan_demo.ui import sketch_tab
from tests.test_exemplars import shapes
from tests.test_training import CPU

ROOT = Path(__file__).resolve().parents[1]


def colours(count: int, size: int = 64) -> torch.Tensor:
    """`count` distinct flat colour images, uint8 [N, 3, size, size]."""
    rng = np.random.default_rng(0)
    tint = torch.from_numpy(rng.integers(0, 256, (count, 3, 1, 1), dtype=np.uint8))
    return tint.expand(count, 3, size, size).contiguous()


def filled(count: int = 5, **settings) -> tuple[SiblingColours, torch.Tensor, torch.Tensor]:
    bank, art, colour = SiblingColours(**settings), shapes(count), colours(count)
    bank.fill(art, jpeg_bytes(colour, 95))
    return bank, art, colour


def test_a_drawing_that_repeats_a_bank_drawing_takes_its_colours_and_one_unlike_all_is_left_alone():
    bank, art, colour = filled(strength=1.0)
    generated = torch.zeros(2, 3, 64, 64)
    out = bank(torch.stack([art[1], torch.ones(3, 64, 64)]), generated)  # shape 1 again; a blank page
    expected = colour[1].float() / 127.5 - 1
    assert (out[0] - expected).abs().max() < 0.05  # JPEG of a flat colour: within a few levels
    assert torch.equal(out[1], generated[1])  # no bank drawing is near a blank page (beyond the cutoff)
    distance, index = bank.nearest(art, exclude=torch.arange(5))
    assert (index != torch.arange(5)).all() and (distance > 0).all()  # leave-one-out never finds itself


def test_the_borrowed_sibling_is_reported_with_its_share_only_when_there_is_one():
    bank, art, colour = filled(strength=0.8)
    assert bank.borrowed(torch.stack([art[3], torch.ones(3, 64, 64)])) == [(3, pytest.approx(0.8, abs=1e-3)), None]
    image, peak = borrowed_colours(bank, from_signed_unit(art[3][None])[0], device=CPU)
    assert image.size == (64, 64) and peak == pytest.approx(0.8, abs=1e-3)
    assert np.abs(np.asarray(image, dtype=float) - colour[3].permute(1, 2, 0).numpy()).max() < 12  # JPEG levels
    assert borrowed_colours(bank, Image.new("RGB", (64, 64), "white"), device=CPU) is None
    assert borrowed_colours(None, image, device=CPU) is None


def test_the_weight_falls_with_the_distance_and_where_the_drawings_differ():
    bank, art, _ = filled()
    moved = art[0].clone()
    moved[:, 20:40, 20:40] = 1.0  # part of the drawing erased: a near sibling that differs in one place
    distance, index = bank.nearest(torch.stack([art[0], moved]))
    assert index.tolist() == [0, 0] and distance[0] < distance[1]
    weight = bank.weights(torch.stack([art[0], moved]), distance, index)
    assert weight[0].min() > weight[1].max() * 0.99  # the exact repeat is trusted more everywhere
    assert weight[1, 0, 30, 30] < weight[1, 0, 5, 5]  # and the near one less where it was changed


def test_the_bank_saves_and_loads_strictly_at_its_size_and_refuses_an_inconsistent_file(tmp_path):
    bank, art, _ = filled(reach=0.04)
    bank.save_pretrained(tmp_path / "siblings")
    config = json.loads((tmp_path / "siblings" / "config.json").read_text())
    loaded = build_module("sibling_colours", config)
    from safetensors.torch import load_file

    state = load_file(tmp_path / "siblings" / "model.safetensors")
    loaded.load_state_dict(state, strict=True)
    assert len(loaded) == 5 and loaded.reach == 0.04
    generated = torch.zeros(1, 3, 64, 64)
    assert torch.equal(loaded(art[:1], generated), bank(art[:1], generated))
    state["offsets"] = state["offsets"][:-1]
    with pytest.raises(RuntimeError, match="inconsistent bank"):
        build_module("sibling_colours", config).load_state_dict(state)
    with pytest.raises(ValueError, match="empty"):
        SiblingColours().nearest(art)
    with pytest.raises(ValueError, match="strength in"):
        SiblingColours(strength=2.0)


def test_the_command_adds_a_fitted_bank_that_the_sketch_task_uses(tmp_path):
    from gan_demo.training.siblings import main

    art, colour = tmp_path / "art", tmp_path / "colour"
    art.mkdir(), colour.mkdir()
    for index, (drawing, tint) in enumerate(zip(shapes(5, 128), colours(5, 128), strict=True)):
        pixels = ((drawing + 1) * 127.5).round().to(torch.uint8).permute(1, 2, 0).numpy()
        Image.fromarray(pixels).save(art / f"e{index}.png")
        Image.fromarray(tint.permute(1, 2, 0).numpy()).save(colour / f"e{index}.png")
    base = tmp_path / "sketch"
    shutil.copytree(ROOT / "checkpoints" / "emoji-sketch", base)
    out = tmp_path / "sketch-siblings"
    argv = ["--model", str(base), "--source", str(art), "--target", str(colour), "--out", str(out)]
    assert main(argv) == 0
    record = json.loads((out / "run.json").read_text())
    assert record["model"]["roles"] == ["generator", SIBLINGS_ROLE]
    fit = record["siblings"]
    best = min(row["l1"] for row in fit["grid"])
    assert fit["pairs"] == 5 and len(fit["grid"]) == 225 and fit["leave_one_out_l1_with"] == round(best, 5)
    assert fit["leave_one_out_l1_with"] < fit["leave_one_out_l1_without"]
    assert main(argv) == 2  # the folder exists now: refused
    registry = Registry()
    registry.add_run(out)
    entry = registry.get("sketch-siblings")
    store = ModelStore(registry, CPU)
    bank = store.optional(entry, SIBLINGS_ROLE)
    assert isinstance(bank, SiblingColours) and len(bank) == 5
    assert (
        store.optional(Registry().get("emoji-sketch"), SIBLINGS_ROLE) is None
        or "siblings" in Registry().get("emoji-sketch").weights
    )
    generator = load_network(entry, "generator", device=CPU)
    drawing = Image.open(art / "e1.png")
    _, plain = sketch_to_image(generator, drawing, device=CPU, size=128, fit_to_ink=False)
    _, borrowed = sketch_to_image(generator, drawing, device=CPU, size=128, fit_to_ink=False, siblings=bank)
    truth = np.asarray(Image.open(colour / "e1.png"), dtype=float)
    error = [np.abs(np.asarray(image, dtype=float) - truth).mean() for image in (plain, borrowed)]
    assert error[1] < error[0]  # its own drawing again: the bank's colours are closer to the truth
    *_, shown = sketch_tab.colour(store, "sketch-siblings", drawing, lambda *args, **kwargs: None)
    assert shown.visible and "borrowed" in shown.label and shown.value is not None  # the tab shows the sibling
    assert "almost like yours: up to 90%" in sketch_tab.borrowed_label(0.9)  # a near repeat says so
    small = sketch_tab.borrowed_label(0.27)
    assert small.startswith("A few colours borrowed")  # a small share claims less
    assert "almost" not in small and "up to 27%" in small
    assert entry_from_run(out).role_architectures[SIBLINGS_ROLE] == "sibling_colours"
