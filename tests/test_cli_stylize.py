"""`gan-demo stylize`: a PNG from a photo and weighted styles; bad input is one line and a non-zero exit."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from gan_demo.cli import main
from gan_demo.cli_stylize import parse_style

ROOT = Path(__file__).resolve().parents[1]
CAT = str(ROOT / "examples" / "cat.jpg")
SWIRLS = str(ROOT / "examples" / "styles" / "swirls.png")
DOTS = str(ROOT / "examples" / "styles" / "dots.png")


def test_stylize_writes_a_png_with_the_photo_aspect_and_shows_progress(tmp_path, capsys):
    out = tmp_path / "cat-swirls.png"
    argv = ["stylize", "--content", CAT, "--style", SWIRLS, "--style", f"{DOTS}:0.5", "--steps", "3", "--size", "64"]
    assert main([*argv, "--preserve-colour", "luminance", "--out", str(out)]) == 0
    assert Image.open(out).size == (64, 43)
    captured = capsys.readouterr()
    assert captured.out.strip() == str(out) and "3/3 at 64×43 px" in captured.err


def test_a_style_weight_follows_the_last_colon_of_the_path():
    assert parse_style("a/b.png:0.25") == (Path("a/b.png"), 0.25)
    assert parse_style("c:/styles/b.png") == (Path("c:/styles/b.png"), 1.0)  # not a number: part of the path
