"""Outputs in Gradio's cache are always whole, even while other requests write the same picture again."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from gradio import processing_utils
from PIL import Image

from gan_demo.ui import cache_files


def short_reads(save, cache: Path, *, seconds: float = 0.4) -> int:
    """Reads of the cached file that came out shorter than the picture, while two threads keep saving it."""
    picture = Image.fromarray(np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8))
    path = Path(save(picture, str(cache), format="png"))
    size, done, short = path.stat().st_size, threading.Event(), [0]

    def keep_saving() -> None:
        while not done.is_set():
            save(picture, str(cache), format="png")

    def keep_reading() -> None:
        while not done.is_set():
            short[0] += len(path.read_bytes()) != size

    threads = [threading.Thread(target=f) for f in (keep_saving, keep_saving, keep_reading)]
    for thread in threads:
        thread.start()
    done.wait(seconds)
    done.set()
    for thread in threads:
        thread.join()
    return short[0]


def test_a_picture_saved_again_while_it_is_read_is_read_whole_with_ours_and_short_with_gradios(tmp_path):
    assert short_reads(cache_files.save_pil_to_cache, tmp_path / "ours") == 0
    assert not [p for p in (tmp_path / "ours").rglob(".*") if p.is_file()]  # no staging file left behind
    assert short_reads(cache_files.GRADIOS_SAVE_PIL_TO_CACHE, tmp_path / "gradio") > 0  # thousands, measured


def test_the_app_caches_its_outputs_with_the_whole_file_writers(app):
    assert processing_utils.save_pil_to_cache is cache_files.save_pil_to_cache
    assert processing_utils.save_bytes_to_cache is cache_files.save_bytes_to_cache
