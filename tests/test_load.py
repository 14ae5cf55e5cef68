"""Load: 20 concurrent clients across every inference tab while a fine-tune runs (bounded, loopback only).

Marked `load`: the quick default run skips it, `.ci/run` runs it. Every request must finish or be told the
queue is full (none hangs), the fine-tune's run must come out whole, and the process's peak memory is printed
(benchmarks/README.md keeps the figure).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from tests.test_app_style import arguments as style_arguments

pytestmark = pytest.mark.load
ROOT = Path(__file__).resolve().parents[1]
CLIENTS = 20
REQUEST_TIMEOUT_S = 120


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def calls() -> list[tuple[str, list]]:
    cat = handle_file(str(ROOT / "examples" / "cat.jpg"))
    heart = handle_file(str(ROOT / "examples" / "sketches" / "heart.png"))
    return [
        ("/sample", ["faces-dcgan", 7, 8, 1.0, 0.0, 64]),
        ("/translate", ["vintage", "a2b", cat, 128, False]),
        ("/sketch_upload", ["emoji-sketch", heart]),
        ("/stylize", style_arguments(steps=3, size=64)),
    ]


def one_client(url: str, index: int) -> str:
    endpoint, args = calls()[index % 4]
    client = Client(url, verbose=False)
    try:
        client.submit(*args, api_name=endpoint).result(timeout=REQUEST_TIMEOUT_S)
        return "done"
    except Exception as error:  # the only acceptable failure is a full queue
        if "queue is full" in str(error).lower():
            return "queue full"
        raise AssertionError(f"{endpoint}: {type(error).__name__}: {error}") from None
    finally:
        client.close()


def test_twenty_clients_and_a_fine_tune_at_once(app, tmp_path):
    demo, client = app
    rng = np.random.default_rng(0)
    files = []
    for index in range(8):
        Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(tmp_path / f"{index}.png")
        files.append(handle_file(str(tmp_path / f"{index}.png")))
    job_id, _ = client.predict(
        "gan",
        "emoji-fluent",
        "names",
        files,
        [],
        "under-load",
        20,
        5,
        1e-4,
        2,
        ["color"],
        1,
        0.9,
        None,
        api_name="/finetune_start",
    )
    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        outcomes = list(pool.map(lambda i: one_client(demo.test_url, i), range(CLIENTS)))
    seconds = time.perf_counter() - started
    deadline = time.time() + 240
    while not (status := client.predict(job_id, api_name="/finetune_status")[0]).startswith(("**Done**", "**Failed**")):
        assert time.time() < deadline, f"the fine-tune did not finish: {status}"
        time.sleep(1)
    assert status.startswith("**Done**"), status
    entry, _ = demo.test_store.get("under-load")  # the run came out whole and loads strictly
    assert entry.base_model == "emoji-fluent"
    print(
        f"\n{CLIENTS} clients: {outcomes.count('done')} done, {outcomes.count('queue full')} told the queue is full, "
        f"in {seconds:.1f} s; fine-tune finished; peak RSS of the process {peak_rss_mb():.0f} MB"
    )
    assert outcomes.count("done") >= 8
