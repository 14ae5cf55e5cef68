"""`gan-demo stylize`: a PNG from a photo and weighted styles; bad input is one line and a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest
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


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--style", f"{SWIRLS}:-1"], "style-image weights must not be negative"),
        (["--style", f"{SWIRLS}:0"], "style-image weights are all 0"),
        (["--style", f"{SWIRLS}:nan"], "must be finite"),
        (["--style", SWIRLS, "--size", "2000"], "between 64 and 1024 px, got 2000"),
        (["--style", SWIRLS, "--layer-weights", "1,1"], "expected 5 style-layer weights"),
        (["--style", SWIRLS, "--layer-weights", "1,x,1,1,1"], "numbers separated by commas"),
        (["--style", SWIRLS, "--preserve-colour", "sepia"], "unknown colour preservation 'sepia'"),
        (["--style", SWIRLS, "--network", "vintage"], "no stylize model called 'vintage'"),
        (["--style", SWIRLS, "--network", "vgg19"], "HF_HUB_OFFLINE"),
        (["--style", "missing.png"], "missing.png: no such file"),
    ],
)
def test_bad_stylize_requests_exit_non_zero_with_one_line(extra, message, tmp_path, capsys):
    out = tmp_path / "x.png"
    assert main(["stylize", "--content", CAT, *extra, "--steps", "1", "--out", str(out)]) != 0
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and not out.exists()
