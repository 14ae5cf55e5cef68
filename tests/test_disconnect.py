"""A client that goes away mid-request leaves nothing behind: the model slot is freed, the work stops,
no files keep arriving in Gradio's cache, and the server's threads come back to what they were.

The client is raw HTTP (Gradio's documented /call API): it starts a long style transfer, reads the event
stream until the first streamed picture and then drops the connection, as a closed tab or a killed script
does. Gradio marks the job dead when its stream closes; the painting generator stops at its next yield.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import httpx

from tests.bad_input_cases import DEFAULTS
from tests.test_bad_input import uploaded

ROOT = Path(__file__).resolve().parents[1]


def files_in(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file())


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def stylize_body(url: str, *, steps: int, size: int) -> str:
    """A /stylize request as raw JSON, its two images uploaded first."""
    sent = {}
    for role, name in (("content", "cat.jpg"), ("style_1", "styles/swirls.png")):
        _, text = uploaded(url, ROOT / "examples" / name)
        sent[role] = {"path": json.loads(text)[0], "meta": {"_type": "gradio.FileData"}}
    values = {**DEFAULTS["/stylize"], **sent, "steps": steps, "size": size}
    return json.dumps({"data": list(values.values())})


def abandon_after_first_picture(url: str, body: str) -> None:
    """Start the request, read its event stream until a picture streams in, then drop the connection."""
    with httpx.Client(timeout=60) as http:
        posted = http.post(f"{url}/gradio_api/call/stylize", content=body, headers={"content-type": "application/json"})
        event = posted.json()["event_id"]
        with http.stream("GET", f"{url}/gradio_api/call/stylize/{event}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event: generating"):
                    break  # leaving the block closes the connection mid-stream


def test_a_client_gone_mid_request_frees_its_slot_and_leaves_nothing_running(app):
    demo, client = app
    url = demo.test_url.rstrip("/")
    cache = Path(os.environ["GRADIO_TEMP_DIR"])
    client.predict("faces-dcgan", 1, 2, 1.0, 0.0, 64, api_name="/sample")  # warm: the worker threads exist
    threads = threading.active_count()
    abandon_after_first_picture(url, stylize_body(url, steps=2000, size=256))  # ~minutes of work if it went on
    assert wait_until(lambda: not any(demo._queue.active_jobs), 15), "the abandoned job still holds its slot"
    files = files_in(cache)
    started = time.perf_counter()
    _, gallery = client.predict("faces-dcgan", 2, 2, 1.0, 0.0, 64, api_name="/sample")  # the same model slot
    assert len(gallery) == 2 and time.perf_counter() - started < 15
    time.sleep(1.0)  # a painting still going would stream a picture into the cache every few steps
    assert files_in(cache) - files <= 3  # the sample's grid and two images, nothing more
    assert wait_until(lambda: threading.active_count() <= threads, 15), (threads, threading.enumerate())
