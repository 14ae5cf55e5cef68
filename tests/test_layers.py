"""Imports point down only: a static scan of every import in gan_demo/ (lazy ones inside functions too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "gan_demo"

# (who, what it must not import, why): "who" names folders or modules of gan_demo, or is "core" for
# everything outside ui/; "what" are module names, matched with their sub-modules.
RULES = [
    ("ui", ("torch",), "the UI is Gradio glue; tensors stay in tasks/"),
    ("core", ("gradio", "gradio_client"), "the core runs without a web UI (CLI, training, tests)"),
    ("core", ("gan_demo.ui",), "only app.py builds the UI"),
    ("tasks", ("gan_demo.ui",), "tasks are pure functions the UI calls"),
    ("training", ("gan_demo.tasks", "gan_demo.ui"), "training sits beside tasks: both build on the core below"),
    (
        (
            "registry",
            "entries",
            "specs",
            "settings",
            "hub",
            "store",
            "optimise",
            "imaging",
            "device",
            "tensors",
            "metrics",
        ),
        ("gan_demo.tasks", "gan_demo.training", "gan_demo.ui"),
        "the catalogue, the weight loader and the model store serve tasks and training, not the reverse",
    ),
    (
        "models",
        tuple(f"gan_demo.{name}" for name in ("tasks", "training", "ui", "registry", "entries", "store", "hub")),
        "models are nn.Modules only; everything else builds on them",
    ),
]


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) for every absolute import in `source`, at any depth."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, node.module)]
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            raise AssertionError(f"line {node.lineno}: relative import; this scan (and the house style) wants absolute")
    return found


def _files(who: str | tuple[str, ...]) -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    if who == "core":
        return [f for f in files if f.relative_to(PACKAGE).parts[0] != "ui"]
    names = (who,) if isinstance(who, str) else who
    return [f for f in files if f.relative_to(PACKAGE).parts[0] in {*names, *(f"{name}.py" for name in names)}]


def _matches(module: str, banned: tuple[str, ...]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in banned)


@pytest.mark.parametrize(
    ("who", "banned", "why"),
    RULES,
    ids=[f"{who if isinstance(who, str) else who[0]}-{banned[0]}" for who, banned, _ in RULES],
)
def test_imports_point_down(who, banned, why):
    files = _files(who)
    assert files, f"no files for {who!r}"
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in files
        for line, module in imported_modules(path.read_text())
        if _matches(module, banned)
    ]
    assert not bad, f"{why}:\n" + "\n".join(bad)


def test_the_scan_finds_lazy_and_from_imports():
    source = "import os\ndef f():\n    from gan_demo.ui import common\n    import torch.nn as nn\n"
    modules = [module for _, module in imported_modules(source)]
    assert _matches(modules[1], ("gan_demo.ui",)) and "torch.nn" in modules
    assert not _matches("torchvision", ("torch",))
