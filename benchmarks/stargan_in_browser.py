"""Use the StarGAN tab in headless Chromium as a person would: pick emoji-styles, upload a modern emoji, wait for
the estimated style, type flat = 1 into its box, wait for the result to say so; keep a screenshot (needs
`pip install playwright` and a Chromium at /usr/bin/chromium; not CI: tests/test_browser.py drags the slider).

    python -m benchmarks.stargan_in_browser http://127.0.0.1:7860/

Writes benchmarks/results/stargan-tab-flat-screen.png.
"""

from __future__ import annotations

import sys
import time

from benchmarks.common import EMOJI, OUT, browser_page


def main(url: str) -> None:
    with browser_page(url, height=1400) as page:
        page.get_by_role("tab", name="StarGAN").click()
        panel = page.locator("[role=tabpanel]:visible").first
        panel.get_by_label("Model").first.click()
        page.get_by_role("option", name="Emoji styles (StarGAN, 128 px)").click()
        page.wait_for_timeout(500)
        panel.locator("input[type=file]").first.set_input_files(str(EMOJI / "fluent-modern" / "red-apple.png"))
        panel.get_by_text("Estimated from the picture").wait_for(timeout=60000)
        box = panel.get_by_label("number input for flat")
        start = time.perf_counter()
        box.fill("1")
        box.press("Enter")
        note = panel.get_by_text("Made with:")
        for _ in range(150):
            if "flat 1.00" in note.inner_text():
                break
            page.wait_for_timeout(200)
        print("note:", note.inner_text(), f"after {time.perf_counter() - start:.1f} s")
        page.wait_for_timeout(800)
        page.screenshot(path=str(OUT / "stargan-tab-flat-screen.png"), full_page=True)
        print("toasts:", page.locator(".toast-body").all_inner_texts() or "none")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:7860/")
