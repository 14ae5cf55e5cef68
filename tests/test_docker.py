"""The Dockerfile's promises, read from its text: this machine has the docker client but no engine, so the
image is never built here (`.ci/docker-check` builds, runs and probes it where an engine exists)."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_the_image_runs_as_uid_1000_and_makes_the_folders_it_writes_as_that_user():
    steps = instructions()
    users = [(index, args) for index, (op, args) in enumerate(steps) if op == "USER"]
    assert users and users[-1][1] == "user"  # the last USER, so the CMD runs as it
    assert any(op == "RUN" and "--uid 1000 user" in args for op, args in steps[: users[0][0]])
    env = " ".join(args for op, args in steps if op == "ENV")
    assert "HF_HOME=/home/user/" in env and "GAN_DEMO_RUNS=/home/user/" in env and "GRADIO_SERVER_NAME=0.0.0.0" in env
    made = [args for op, args in steps[users[-1][0] :] if op == "RUN" and args.startswith("mkdir")]
    workdir = next(args for op, args in steps if op == "WORKDIR")
    assert made and all(folder in made[0] for folder in ('"$HF_HOME"', '"$GAN_DEMO_RUNS"', workdir))
    assert all("--chown=user" in args for op, args in steps if op == "COPY")
    assert steps[-1] == ("CMD", '["python", "app.py"]')


def test_the_build_context_leaves_out_runs_and_environments_and_the_check_script_is_there():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"runs", ".venv*", ".git"} <= set(ignored)
    check = ROOT / ".ci" / "docker-check"
    assert os.access(check, os.X_OK) and "docker build" in check.read_text()
    assert ".ci/docker-check" in (ROOT / "README.md").read_text()
