"""Use the Sample tab in headless Chromium as a person would: pick the emoji model, generate, make a latent
walk, and keep screenshots (needs `pip install playwright` and a Chromium at /usr/bin/chromium; not CI).

    python -m benchmarks.sample_in_browser http://127.0.0.1:7860/

Writes benchmarks/results/sample-tab-screen.png and sample-walk-screen.png.
"""

from __future__ import annotations

import sys
import time

from benchmarks.common import OUT, browser_page


def main(url: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with browser_page(url, height=1300) as page:
        page.get_by_label("Model").first.click()
        page.get_by_role("option", name="Emoji (FastGAN, 64 px)").click()
        page.get_by_label("Seed").first.fill("3")
        start = time.perf_counter()
        page.get_by_role("button", name="Generate").click()
        page.locator("img[src*='gradio_api/file=']").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        print(f"grid shown after {time.perf_counter() - start:.1f} s")
        page.screenshot(path=str(OUT / "sample-tab-screen.png"), full_page=True)
        page.get_by_text("Latent walk: morph between two seeds").click()
        start = time.perf_counter()
        page.get_by_role("button", name="Make the walk").click()
        page.locator("img[src*='.gif']").first.wait_for(timeout=60_000)
        print(f"walk shown after {time.perf_counter() - start:.1f} s")
        page.wait_for_timeout(1000)
        page.screenshot(path=str(OUT / "sample-walk-screen.png"), full_page=True)
        errors = page.locator(".toast-body").all_inner_texts()
        print("error toasts:", errors or "none")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:7860/")
