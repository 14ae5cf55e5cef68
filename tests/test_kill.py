"""The process killed during training and during a save: afterwards only complete runs are listed.

A child process trains a tiny DCGAN with `python -m gan_demo.training`, saving after every step. A hook
(below, run with `python -c`) parks it at one point of its second save and writes a marker; the test then
SIGKILLs it there. Whatever the point, `Registry.add_runs_from` and `gan-demo models` list the run only
if it is whole (it loads strictly), never a half-written or half-deleted folder, and `--resume` goes on
from it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gan_demo.cli import main
from gan_demo.registry import Registry
from gan_demo.store import ModelStore
from gan_demo.training.__main__ import main as training_main

ROOT = Path(__file__).resolve().parents[1]
CHILD = r"""
import os, shutil, sys, time
from pathlib import Path
import gan_demo.training.__main__ as training
import gan_demo.training.checkpoints as checkpoints

hook, marker, runs = os.environ["HOOK"], Path(os.environ["MARKER"]), Path(os.environ["RUNS"])
saves, real_save, real_replace, real_rmtree = 0, checkpoints.save_run, os.replace, shutil.rmtree

def park():  # say where we are, then wait for the kill
    marker.write_text(hook)
    time.sleep(600)

def save_run(*args, **kwargs):
    global saves
    saves += 1
    if saves == 2 and hook == "training":  # the first save is complete; the process is between saves
        park()
    return real_save(*args, **kwargs)

def replace(src, dst, *args, **kwargs):  # the renames of whole run folders (not of files inside them)
    if saves == 2 and hook == "staged" and runs in (Path(src).parent, Path(dst).parent):
        park()
    return real_replace(src, dst, *args, **kwargs)

def rmtree(path, *args, **kwargs):  # deleting an earlier save: the weights go first, then park
    if saves == 2 and hook == "deleting" and Path(path).parent == runs:
        for weights in sorted(Path(path).rglob("model.safetensors")):
            weights.unlink()
        park()
    return real_rmtree(path, *args, **kwargs)

checkpoints.save_run, os.replace, shutil.rmtree = save_run, replace, rmtree  # RunWriter saves through it
sys.exit(training.main(sys.argv[1:]))
"""


def tiny_images(folder: Path) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(4):
        Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(folder / f"{index}.png")
    return folder


def training_argv(folder: Path, *, steps: int = 1000) -> list[str]:
    """`python -m gan_demo.training` arguments: a tiny DCGAN on 4 images, saved after every step."""
    argv = ["gan", "--images", str(folder / "data"), "--architecture", "dcgan", "--latent-dim", "8"]
    argv += ["--base-channels", "4", "--disc-channels", "4", "--batch-size", "2", "--augment", "", "--ema", "0"]
    return [*argv, "--steps", str(steps), "--save-every", "0", "--log-every", "1000", "--out", str(folder / "runs/mid")]


def start_child(hook: str, folder: Path) -> tuple[subprocess.Popen, Path, Path]:
    """Train in a child that its hook will park: (process, its runs folder, the marker it writes when parked)."""
    folder.mkdir()
    tiny_images(folder / "data")
    runs, marker = folder / "runs", folder / "parked"
    argv = [*training_argv(folder), "--threads", "1"]
    env = {**os.environ, "HOOK": hook, "MARKER": str(marker), "RUNS": str(runs), "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, *argv], env=env, stderr=subprocess.PIPE, text=True)
    return child, runs, marker


def kill_when_parked(child: subprocess.Popen, marker: Path, *, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not marker.exists():
        assert child.poll() is None, f"the child ended first: {child.stderr.read()}"
        assert time.monotonic() < deadline, "the child never reached the hook"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL


HOOKS = {  # where the child is killed → the step of the run that must be listed afterwards
    "training": 1,  # between two saves: the first is there, whole
    "staged": 1,  # the second save fully written under a hidden name, not yet renamed: the first stays
    "deleting": 2,  # the second save in place, the first (renamed aside) half deleted
}


def test_a_run_killed_mid_training_or_mid_save_is_listed_whole_or_not_at_all(tmp_path, capsys):
    children = {hook: start_child(hook, tmp_path / hook) for hook in HOOKS}  # side by side: import time overlaps
    try:
        for child, _, marker in children.values():
            kill_when_parked(child, marker)
    finally:  # none is left training if one never parks
        for child, _, _ in children.values():
            if child.poll() is None:
                child.kill()
                child.wait()
            child.stderr.close()
    for hook, (_, runs, _) in children.items():
        registry = Registry()
        assert registry.add_runs_from(runs) == ["mid"], hook  # hidden staging or half-deleted folders: never
        entry, generator = ModelStore(registry, torch.device("cpu")).get("mid")  # whole: it loads strictly
        assert entry.source_kind == "run" and generator(torch.zeros(1, 8)).shape == (1, 3, 64, 64)
        assert json.loads((runs / "mid" / "run.json").read_text())["steps"] == HOOKS[hook], hook
        assert main(["models", "--runs", str(runs), "--json"]) == 0
        listed = {row["key"]: row for row in json.loads(capsys.readouterr().out) if row["source"] == "run"}
        assert list(listed) == ["mid"] and listed["mid"]["available"], hook
    # the same command with --resume goes on from what is listed: here one step more than that save had
    folder = tmp_path / "staged"
    assert training_main([*training_argv(folder, steps=HOOKS["staged"] + 1), "--resume", str(folder / "runs/mid")]) == 0
    assert json.loads((folder / "runs" / "mid" / "run.json").read_text())["steps"] == HOOKS["staged"] + 1
