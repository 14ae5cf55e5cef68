"""Tab handlers are plain functions of a store: tested here with a fake one, without a browser or a server."""

from __future__ import annotations

import os

import pytest
import torch
from PIL import Image

from gan_demo.registry import Registry
from gan_demo.specs import TranslateOptions
from gan_demo.tasks.sample import WalkFolder
from gan_demo.ui import TABS, translate_tab
from tests.conftest import tiny_entry


class Invert(torch.nn.Module):
    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        return -batch


class FakeStore:
    """The store's interface, with networks that invert colours and a log of what was loaded."""

    def __init__(self, *entries) -> None:
        self.registry = Registry(entries)
        self.device = torch.device("cpu")
        self.loaded: list[tuple[str, str]] = []

    def get(self, key, role=None, *, task=None):
        entry = self.registry.get(key, task)
        role = role or next(iter(entry.weights))
        self.loaded.append((key, role))
        return entry, Invert()


def no_progress(*args, **kwargs) -> None:
    return None


def two_way(key: str = "pair"):
    import dataclasses

    entry = tiny_entry(key)
    return dataclasses.replace(
        entry, weights={**entry.weights, "b2a": entry.weights["a2b"]}, directions={"a2b": "x → y", "b2a": "y → x"}
    )


def test_translate_handler_runs_the_cycle_only_for_two_way_models_when_asked():
    store = FakeStore(tiny_entry("one"), two_way())
    photo = Image.new("RGB", (40, 20), (10, 200, 30))
    (before, after), result, back, note = translate_tab.translate(store, "pair", "", photo, 64, True, no_progress)
    assert before.getpixel((0, 0)) == back.getpixel((0, 0)) == (10, 200, 30) and result is after
    assert after.getpixel((0, 0)) == (245, 55, 225)
    assert "Cycle error" in note and store.loaded == [("pair", "a2b"), ("pair", "b2a")]
    store.loaded.clear()
    _, _, back, note = translate_tab.translate(store, "one", "a2b", photo, 64, True, no_progress)
    assert back is None and "only translates one way" in note and store.loaded == [("one", "a2b")]
    _, _, back, note = translate_tab.translate(store, "pair", "b2a", photo, 64, False, no_progress)
    assert back is None and note == "" and store.loaded[-1] == ("pair", "b2a")


def test_translate_handler_scales_to_max_side_and_honours_the_work_side():
    import dataclasses

    store = FakeStore(dataclasses.replace(tiny_entry("small"), options=TranslateOptions(work_side=16)))
    (before, after), *_ = translate_tab.translate(
        store, "small", "a2b", Image.new("RGB", (200, 100)), 64, False, no_progress
    )
    assert before.size == after.size == (64, 32)


def test_translate_handler_asks_for_a_picture():
    import gradio as gr

    with pytest.raises(gr.Error, match="Upload a picture"):
        translate_tab.translate(FakeStore(tiny_entry("one")), "one", "a2b", None, 64, False, no_progress)


def test_walk_gifs_go_to_one_private_folder_and_old_ones_are_removed():
    walks = WalkFolder(max_age_s=60)
    frames = [Image.new("RGB", (8, 8), (i * 60, 0, 0)) for i in range(3)]
    old = walks.write("old.gif", frames, fps=10)
    os.utime(old, (0, 0))
    new = walks.write("new.gif", frames, fps=10)
    assert new.parent == old.parent and not old.exists()
    assert Image.open(new).n_frames == 4  # forward and back: 0 1 2 1


def test_every_tab_is_one_row_with_a_unique_id_and_tabs_without_a_builder_name_their_command():
    ids = [row.id for row in TABS]
    assert len(ids) == len(set(ids)) and ids[0] == "sample" and ids[-1] == "finetune"
    assert all(row.command.startswith("gan-demo ") for row in TABS if row.build is None)
