"""Start-up pays only for what it uses: the CLI loads neither torch._dynamo nor gradio, in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch._dynamo", "torch._inductor", "gradio")

# Import the CLI, note what is loaded, run a whole translation, note again.
PROBE = """
import json, sys
import gan_demo, gan_demo.cli
after_import = sorted(sys.modules)
code = gan_demo.cli.main(["translate", "--model", "emoji-flat-modern", "--input", sys.argv[1], "--out", sys.argv[2]])
print(json.dumps({"code": code, "after_import": after_import, "after_translate": sorted(sys.modules)}))
"""


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == name or m.startswith(name + ".") for name in names)]


def test_the_cli_imports_no_compiler_and_no_ui_even_when_it_translates(tmp_path):
    Image.new("RGB", (48, 40), (200, 120, 40)).save(tmp_path / "photo.png")
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "photo.png"), str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["code"] == 0 and (tmp_path / "out" / "photo.png").is_file()
    assert _loaded(report["after_import"], ("torch", *HEAVY)) == []  # `gan-demo --help` needs no torch at all
    assert _loaded(report["after_translate"], HEAVY) == []
    assert "torch" in report["after_translate"]  # the probe did run the network
