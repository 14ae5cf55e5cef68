"""Every row of the bad-input table (tests/bad_input_cases.py), through the running app and through the CLI.

API rows go through gradio_client like a user's script (raw JSON for NaN and ∞, which JSON clients refuse
to send, and a raw upload for the size limit): the message reaches the client, and the server goes on to
serve the next row. CLI rows run `gan-demo` in-process: the exit code, the message on stderr, every stderr
line a `gan-demo` line (no usage block, no traceback), and nothing written.
"""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image, ImageDraw

from gan_demo.cli import main
from gan_demo.training.run_lock import writing
from tests.bad_input_cases import CASES, DEFAULTS, Case, File, Out, RunningJob, Upload, markdown
from tests.test_app_limits import call

ROOT = Path(__file__).resolve().parents[1]
README_START = "<!-- bad-input table: python -m tests.bad_input_cases -->"
README_END = "<!-- end of the bad-input table -->"
EXAMPLES = {"cat.jpg": "cat.jpg", "swirls.png": "styles/swirls.png", "heart.png": "sketches/heart.png"}


def noise(seed: int, size: tuple[int, int] = (48, 48), mode: str = "RGB") -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels).convert(mode)


def encoded(image: Image.Image, format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()


def stroke() -> Image.Image:
    layer = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    ImageDraw.Draw(layer).line((0, 0, 63, 63), fill=(0, 0, 0, 255), width=4)
    return layer


FILES: dict[str, Callable[[], bytes]] = {  # one file each
    "text.png": lambda: b"this is not a picture",
    "empty.jpg": lambda: b"",
    "truncated.png": lambda: encoded(noise(1, (64, 64)))[:200],
    "bomb.png": lambda: encoded(Image.new("L", (8000, 5001))),  # 40 MP of zeros: 39 KB
    "tiny.png": lambda: encoded(noise(2, (4, 4))),
    "21mb.png": lambda: bytes(21 * 2**20),
    "blank.png": lambda: encoded(Image.new("RGB", (64, 64), "white")),
    "stroke.png": lambda: encoded(stroke()),
}
MIXED = [((48, 48), "RGB"), ((200, 100), "RGBA"), ((30, 90), "L"), ((640, 480), "P")]
MIXED += [((64, 64), "CMYK"), ((100, 100), "LA"), ((20, 300), "RGB"), ((1000, 10), "1")]
THREE_OK = {f"ok/{index}.png": encoded(noise(60 + index)) for index in range(3)}
SETS: dict[str, dict[str, Callable[[], bytes]]] = {  # a folder of files each ("upload.zip": a zip)
    "8 images": {f"e{i}.png": (lambda i=i: encoded(noise(i))) for i in range(8)},
    "3 images": {f"t{i}.png": (lambda i=i: encoded(noise(20 + i))) for i in range(3)},
    "8 mixed images": {
        f"m{i}.{'jpg' if mode == 'CMYK' else 'png'}": (
            lambda i=i, size=size, mode=mode: encoded(noise(70 + i, size, mode), "JPEG" if mode == "CMYK" else "PNG")
        )
        for i, (size, mode) in enumerate(MIXED)
    },
    "8 inputs": {f"in{i}.png": (lambda i=i: encoded(noise(30 + i))) for i in range(8)},
    "8 outputs, other names": {f"out{i}.png": (lambda i=i: encoded(noise(40 + i))) for i in range(8)},
    "8 outputs, one wide": {
        f"in{i}.png": (lambda i=i: encoded(noise(50 + i, (96, 48) if i == 7 else (48, 48)))) for i in range(8)
    },
    "zip with ../ and absolute paths": {
        "upload.zip": lambda: zipped({"../../evil.png": encoded(noise(9)), "/abs.png": encoded(noise(8)), **THREE_OK})
    },
    "zip bomb": {"upload.zip": lambda: zipped({"zeros.png": bytes(30 * 2**20), **THREE_OK})},  # 30 MB in 30 KB
    "zip of cats/ and dogs/": {
        "upload.zip": lambda: zipped(
            {f"{pet}/{i}.png": encoded(noise(80 + i)) for pet in ("cats", "dogs") for i in range(8)}
        )
    },
}


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


class Kit:
    """The table's files and upload sets, each written on first use."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.written = folder, set()

    def file(self, name: str) -> Path:
        if name in EXAMPLES:
            return ROOT / "examples" / EXAMPLES[name]
        path = self.folder / name
        if name not in self.written:
            path.write_bytes(FILES[name]())
            self.written.add(name)
        return path

    def upload(self, name: str) -> Path:
        """The folder of the set, or its .zip."""
        folder = self.folder / re.sub(r"\W+", "-", name).strip("-")
        if name not in self.written:
            folder.mkdir()
            for member, data in SETS[name].items():
                (folder / member).write_bytes(data())
            self.written.add(name)
        return folder / "upload.zip" if "upload.zip" in SETS[name] else folder


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    return Kit(tmp_path_factory.mktemp("bad-input-kit"))


def row_id(row: Case) -> str:
    return re.sub(r"[^\w.-]+", "-", row.case).strip("-")


def test_the_table_has_one_row_per_case_and_interface_and_the_readme_shows_it():
    keys = [(row.case, row.interface) for row in CASES]
    assert len(keys) == len(set(keys)), [key for key in keys if keys.count(key) > 1]
    assert all(row.target in DEFAULTS for row in CASES if row.interface == "api")
    readme = (ROOT / "README.md").read_text()
    shown = readme[readme.index(README_START) + len(README_START) : readme.index(README_END)].strip()
    assert shown == markdown(), "README.md's bad-input table is stale: paste `python -m tests.bad_input_cases`"


def cli_value(value: Any, kit: Kit, out: Path, locks: ExitStack) -> str:
    if isinstance(value, File):
        return str(kit.file(value.name)) + value.suffix
    if isinstance(value, Upload):
        return str(kit.upload(value.name))
    if isinstance(value, Out):
        path = out / value.name if value.name else out
        if value.locked:
            locks.enter_context(writing(path))
        return str(path)
    return str(value)


@pytest.mark.parametrize("row", [row for row in CASES if row.interface == "cli"], ids=row_id)
def test_the_command_line_explains_bad_input_in_one_line(row, kit, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # names such as missing.png resolve to nothing
    out = tmp_path / "out"
    with ExitStack() as locks:
        argv = [row.target, *(cli_value(value, kit, out, locks) for value in row.inputs)]
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse
            code = exit_.code
    err = capsys.readouterr().err
    assert f"exit {code}" == row.outcome, err
    assert row.message in err
    if code != 0:
        assert all(line.startswith("gan-demo") for line in err.splitlines()), err
        written = [path for path in out.rglob("*") if path.is_file() and not path.name.startswith(".")]
        assert not written, written


def uploaded(url: str, path: Path) -> tuple[int, str]:
    """POST one file to Gradio's upload route: (status, body)."""
    with httpx.Client(timeout=60) as http:
        response = http.post(f"{url.rstrip('/')}/gradio_api/upload", files={"files": (path.name, path.read_bytes())})
    return response.status_code, response.text


class Sender:
    """Turns table values into what a client sends: gradio_client's file handles, or for the raw HTTP API
    the FileData of each file uploaded once."""

    def __init__(self, kit: Kit, url: str, job: dict | None) -> None:
        self.kit, self.url, self.job, self.sent = kit, url, job, {}

    def file(self, path: Path, *, raw: bool) -> Any:
        if not raw:
            return handle_file(str(path))
        if path not in self.sent:
            server_path = json.loads(uploaded(self.url, path)[1])[0]
            self.sent[path] = {"path": server_path, "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}
        return self.sent[path]

    def value(self, value: Any, *, raw: bool) -> Any:
        if isinstance(value, File):
            return self.file(self.kit.file(value.name), raw=raw)
        if isinstance(value, Upload):
            folder = self.kit.upload(value.name)
            paths = [folder] if folder.suffix == ".zip" else sorted(folder.iterdir())
            return [self.file(path, raw=raw) for path in paths]
        if isinstance(value, RunningJob):
            return self.job[value.part]
        if isinstance(value, dict):
            return {key: self.value(v, raw=raw) for key, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, raw=raw) for v in value]
        return value


@pytest.fixture(scope="module")
def sender(app, kit) -> Sender:
    demo, _ = app
    return Sender(kit, demo.test_url.rstrip("/"), None)


@pytest.fixture(scope="module")
def running_job(app, sender):
    """A long fine-tune job (the rows that need one come last); stopped after them."""
    _, client = app
    values = {**DEFAULTS["/finetune_start"], "name": "busy-run", "steps": 5000}
    job_id, _ = client.predict(*(sender.value(v, raw=False) for v in values.values()), api_name="/finetune_start")
    sender.job = {"id": job_id, "name": "busy-run"}
    yield
    client.predict(job_id, api_name="/finetune_stop")
    deadline = time.monotonic() + 120
    while client.predict(job_id, api_name="/finetune_status")[0].startswith(("**Queued", "**Running", "**Stopping")):
        assert time.monotonic() < deadline, "the job did not stop"
        time.sleep(0.2)


def sse_data(stream: str) -> str:
    """The JSON of every `data:` line of an event stream, decoded (so that "×" reads as itself)."""
    lines = [line.removeprefix("data:").strip() for line in stream.splitlines() if line.startswith("data:")]
    return "\n".join(json.dumps(json.loads(line), ensure_ascii=False) for line in lines if line)


def needs_job(value: Any) -> bool:
    return isinstance(value, RunningJob) or (isinstance(value, dict) and any(map(needs_job, value.values())))


@pytest.mark.parametrize("row", [row for row in CASES if row.interface == "api"], ids=row_id)
def test_the_app_explains_bad_input_to_the_client(row, app, kit, sender, request):
    demo, client = app
    if needs_job(row.inputs):
        request.getfixturevalue("running_job")
    values = {**DEFAULTS[row.target], **row.inputs}
    if row.via == "upload":
        status, text = uploaded(demo.test_url, kit.file(values["files"].name))
        assert f"HTTP {status}" == row.outcome and row.message in text
    elif row.via == "http":
        data = [sender.value(v, raw=True) for v in values.values()]
        status, text = call(app, row.target.lstrip("/"), json.dumps({"data": data}))
        event = "event: complete" if row.outcome == "accepted" else "event: error"
        assert status == 200 and event in text and row.message in sse_data(text), text
    elif row.outcome == "accepted":
        assert row.message in str(
            client.predict(*(sender.value(v, raw=False) for v in values.values()), api_name=row.target)
        )
    else:
        with pytest.raises(Exception) as raised:
            client.predict(*(sender.value(v, raw=False) for v in values.values()), api_name=row.target)
        assert row.message in str(raised.value)
