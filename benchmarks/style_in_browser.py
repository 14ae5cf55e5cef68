"""Use the Style transfer tab in headless Chromium as a person would: upload a photo and a style, paint with
the balanced preset, take a screenshot while it paints, press Stop, and keep the final page (needs
`pip install playwright` and a Chromium at /usr/bin/chromium; not CI).

    python -m benchmarks.style_in_browser http://127.0.0.1:7860/

Writes benchmarks/results/style-tab-painting-screen.png and style-tab-screen.png.
"""

from __future__ import annotations

import re
import sys
import time

from benchmarks.common import OUT, ROOT, browser_page


def main(url: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with browser_page(url, height=1900) as page:
        page.get_by_role("tab", name="Style transfer").click()
        panel = page.locator("[role=tabpanel]:visible").first
        page.locator("#content input[type=file]").set_input_files(str(ROOT / "examples" / "cat.jpg"))
        page.locator("#style-1 input[type=file]").set_input_files(str(ROOT / "examples" / "styles" / "swirls.png"))
        page.wait_for_timeout(1500)
        start = time.perf_counter()
        panel.get_by_role("button", name="Paint").click()
        panel.get_by_text("Painting: step").wait_for(timeout=60_000)
        page.wait_for_timeout(5_000)
        page.screenshot(path=str(OUT / "style-tab-painting-screen.png"), full_page=True)
        panel.get_by_role("button", name="Stop").click()
        panel.get_by_text(re.compile(r"^(Stopped after|Done:)")).wait_for(timeout=60_000)
        print(f"result shown after {time.perf_counter() - start:.1f} s")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(OUT / "style-tab-screen.png"), full_page=True)
        errors = page.locator(".toast-body").all_inner_texts()
        print("error toasts:", errors or "none")
        if errors:
            raise SystemExit("the tab showed an error (see the screenshot)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:7860/")
