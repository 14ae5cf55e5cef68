"""Draw emoji freehand on the Sketch tab's sketchpad in headless Chromium, as a person would, and keep
what the app returns (needs `pip install playwright` and a Chromium at /usr/bin/chromium; not part of CI).

    python -m benchmarks.draw_in_browser http://127.0.0.1:7860/

Writes benchmarks/results/freehand/<name>-drawn.png (what the model saw), <name>-result.png and, for a model
with an exemplar bank, <name>-hint.png (the colour hint it took).
"""

from __future__ import annotations

import math
import sys
import time
import urllib.request

from benchmarks.common import OUT, browser_page


def circle(cx, cy, r, start=0.0, end=360.0, n=40):
    return [
        (cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a)))
        for a in [start + (end - start) * i / n for i in range(n + 1)]
    ]


def heart(cx, cy, s, n=60):
    points = []
    for i in range(n + 1):
        t = 2 * math.pi * i / n
        x = 16 * math.sin(t) ** 3
        y = -(13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t))
        points.append((cx + s * x, cy + s * y))
    return points


DRAWINGS = {
    "smiley": lambda: [
        circle(0.5, 0.5, 0.38),
        circle(0.37, 0.4, 0.04),
        circle(0.63, 0.4, 0.04),
        circle(0.5, 0.52, 0.22, 20, 160),
    ],
    "heart": lambda: [heart(0.5, 0.48, 0.022)],
    "cat-face": lambda: [
        circle(0.5, 0.56, 0.34),
        [(0.22, 0.42), (0.24, 0.12), (0.4, 0.26)],
        [(0.78, 0.42), (0.76, 0.12), (0.6, 0.26)],
        circle(0.38, 0.52, 0.04),
        circle(0.62, 0.52, 0.04),
        [(0.46, 0.62), (0.54, 0.62), (0.5, 0.66), (0.46, 0.62)],
        [(0.1, 0.6), (0.3, 0.64)],
        [(0.9, 0.6), (0.7, 0.64)],
    ],
}


def main(url: str) -> None:
    folder = OUT / "freehand"
    folder.mkdir(parents=True, exist_ok=True)
    with browser_page(url, height=1400) as page:
        page.get_by_role("tab", name="Sketch → image").click()
        for name, strokes in DRAWINGS.items():
            page.get_by_role("button", name="Clear canvas").click()
            page.get_by_role("button", name="Brush", exact=True).click()  # as a person must, before drawing
            canvas = page.locator("canvas:visible").first
            canvas.wait_for()
            box = canvas.bounding_box()
            side = min(box["width"], box["height"])
            x0, y0 = box["x"] + (box["width"] - side) / 2, box["y"] + (box["height"] - side) / 2
            for stroke in strokes():
                page.mouse.move(x0 + stroke[0][0] * side, y0 + stroke[0][1] * side)
                page.mouse.down()
                for x, y in stroke[1:]:
                    page.mouse.move(x0 + x * side, y0 + y * side, steps=3)
                page.mouse.up()
            page.keyboard.press("Escape")
            page.get_by_role("button", name="Colour my drawing").click()
            time.sleep(8)
            outputs = [
                src
                for src in page.locator("img:visible").evaluate_all("els => els.map(e => e.src)")
                if "/gradio_api/file=" in src and src.endswith(".png")
            ]
            if len(outputs) < 2:
                raise SystemExit(f"{name}: the page showed {len(outputs)} result images, not the 2 or 3 expected")
            for suffix, src in zip(("drawn", "result", "hint"), outputs, strict=False):  # hint: exemplar models only
                urllib.request.urlretrieve(src, folder / f"{name}-{suffix}.png")
            page.screenshot(path=str(folder.parent / f"freehand-{name}-screen.png"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:7860/")
