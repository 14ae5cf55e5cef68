"""Time from `python app.py` to the first HTTP 200, and the first Sample and CycleGAN answers.

python benchmarks/startup.py            # prints a Markdown row for benchmarks/README.md
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORT = int(os.environ.get("BENCH_PORT", "7899"))


def wait_for_http(url: str, timeout: float = 60.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def main() -> None:
    env = {**os.environ, "GRADIO_SERVER_PORT": str(PORT), "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{PORT}/"
        wait_for_http(url)
        ready = time.perf_counter() - start
        from gradio_client import Client, handle_file

        client = Client(url, verbose=False)
        t0 = time.perf_counter()
        client.predict("faces-dcgan", 0, 16, 1.0, 0.0, 128, api_name="/sample")
        first_sample = time.perf_counter() - t0
        t0 = time.perf_counter()
        client.predict(
            "vintage", "a2b", handle_file(str(ROOT / "examples" / "cat.jpg")), 512, False, api_name="/translate"
        )
        first_translate = time.perf_counter() - t0
        t0 = time.perf_counter()
        client.predict(
            "vintage", "a2b", handle_file(str(ROOT / "examples" / "cat.jpg")), 512, False, api_name="/translate"
        )
        warm_translate = time.perf_counter() - t0
        client.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print("| app answers HTTP | first Sample (16 faces) | first CycleGAN 512 px | warm CycleGAN 512 px |")
    print("|---|---|---|---|")
    print(f"| {ready:.1f} s | {first_sample:.2f} s | {first_translate:.2f} s | {warm_translate:.2f} s |")


if __name__ == "__main__":
    main()
