"""Use the CycleGAN tab in headless Chromium as a person would: open the tab, upload a modern emoji, pick
modern → flat with the cycle reconstruction, translate, then run an example row; keep screenshots (needs
`pip install playwright` and a Chromium at /usr/bin/chromium; not CI).

    python -m benchmarks.translate_in_browser http://127.0.0.1:7860/

Writes benchmarks/results/translate-tab-screen.png and translate-example-screen.png.
"""

from __future__ import annotations

import sys
import time

from benchmarks.common import EMOJI, OUT, browser_page


def main(url: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with browser_page(url, height=1400) as page:
        page.get_by_role("tab", name="CycleGAN").click()
        panel = page.locator("[role=tabpanel]:visible").first
        panel.get_by_label("Model").first.click()
        page.get_by_role("option", name="Emoji: flat ↔ modern (CycleGAN, 128 px)").click()
        page.wait_for_timeout(500)
        panel.get_by_label("modern → flat").check()
        panel.locator("input[type=file]").first.set_input_files(str(EMOJI / "fluent-modern" / "red-apple.png"))
        panel.get_by_label("Show the cycle reconstruction (A → B → A)").check()
        page.wait_for_timeout(1000)
        start = time.perf_counter()
        panel.get_by_role("button", name="Translate").click()
        panel.get_by_text("Cycle error").wait_for(timeout=60_000)
        print(f"result and cycle error shown after {time.perf_counter() - start:.1f} s")
        page.wait_for_timeout(1000)
        page.screenshot(path=str(OUT / "translate-tab-screen.png"), full_page=True)
        start = time.perf_counter()
        panel.get_by_text("Try these (click a row to run it)").scroll_into_view_if_needed()
        panel.locator(".gallery-item, tr.tr-body").last.click()
        # the row runs the model's first direction: the radio must move from modern → flat to flat → modern
        # (a failed handler leaves it where it was; the app's error toast alone was missed once)
        first_direction = panel.get_by_label("flat → modern")
        for _ in range(60):
            if first_direction.is_checked():
                break
            page.wait_for_timeout(500)
        done = first_direction.is_checked()
        print(f"example row: direction set to its model's first: {done} after {time.perf_counter() - start:.1f} s")
        page.wait_for_timeout(1000)
        page.screenshot(path=str(OUT / "translate-example-screen.png"), full_page=True)
        errors = page.locator(".toast-body").all_inner_texts()
        print("error toasts:", errors or "none")
        if not done or errors:
            raise SystemExit("the example row did not run cleanly (see the screenshot)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:7860/")
