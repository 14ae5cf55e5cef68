"""Quality of the bundled multi-domain emoji StarGAN on the validation split, beside the identity baseline.

    python -m benchmarks.eval_stargan [--model emoji-styles | RUN_FOLDER] [--threads 2] [--pictures DIR]

For every ordered pair of the three Fluent styles (modern, flat, high-contrast), on the validation emoji that
exist in both (high contrast has only the default skin tone), at the model's 128 px:
  - mean L1 and SSIM in [0, 1] of G(x, target) against the true image of that emoji in the target style,
    for the model and for the identity baseline (the input unchanged);
  - KID to the target style with EfficientNet-Lite0 features (×10³; not comparable to Inception-based KID)
    of the model's outputs and of the inputs; the true target images of the same emoji are the reference.
Writes benchmarks/results/stargan_validation.jpg (per pair: inputs, outputs, truth) and
benchmarks/results/stargan_mix.jpg (modern → flat in 6 steps: mixed label vectors), and prints Markdown.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import torch
from PIL import Image

from benchmarks.common import OUT, l1_and_ssim, load, validation_names
from gan_demo.cli_io import make_store, model_entry
from gan_demo.imaging import make_grid
from gan_demo.metrics import extract_features, kid
from gan_demo.models.efficientnet_lite import load_efficientnet_lite0
from gan_demo.tasks.attributes import AttributeEditor, Framed, strip_vectors
from gan_demo.tensors import from_signed_unit, to_signed_unit

CPU = torch.device("cpu")
STYLES = {"modern": "fluent-modern", "flat": "fluent-flat", "high-contrast": "fluent-high-contrast"}


@torch.inference_mode()
def translate_all(editor: AttributeEditor, images: list[Image.Image], domain: str, *, batch: int = 32) -> list:
    """Each image into one domain (one-hot label), at the model's size, in batches."""
    vector = editor.target({domain: 1.0}, [0.0] * len(editor.space.names))
    outputs = []
    for start in range(0, len(images), batch):
        pixels = torch.cat([to_signed_unit(image, CPU) for image in images[start : start + batch]])
        labels = torch.tensor([vector] * len(pixels))
        outputs += from_signed_unit(editor.generator(pixels, labels))
    return outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="emoji-styles", help="registry key or run folder")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads")
    parser.add_argument("--pictures", type=Path, default=OUT, help="folder for the two JPEGs (default: results)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    store = make_store("cpu")
    editor = AttributeEditor.load(store, model_entry(store, args.model, "attributes").key)
    network = load_efficientnet_lite0(CPU)
    images = {
        style: dict(zip(names, load(folder, names, editor.size), strict=True))
        for style, folder in STYLES.items()
        for names in [validation_names(folder)]
    }
    features = {
        style: dict(zip(shown, extract_features(list(shown.values()), network, device=CPU), strict=True))
        for style, shown in images.items()
    }  # each validation image's features, computed once
    quality, style, grid = [], [], []
    for source, target in itertools.permutations(STYLES, 2):
        names = sorted(set(images[source]) & set(images[target]))
        inputs, truth = [images[source][n] for n in names], [images[target][n] for n in names]
        outputs = translate_all(editor, inputs, target)
        label = f"{source} → {target}"
        quality.append((label, len(names), *l1_and_ssim(outputs, truth), *l1_and_ssim(inputs, truth)))
        reference = torch.stack([features[target][n] for n in names])
        identity = torch.stack([features[source][n] for n in names])
        model_kid = kid(reference, extract_features(outputs, network, device=CPU), subsets=50)[0]
        style.append((label, 1e3 * model_kid, 1e3 * kid(reference, identity, subsets=50)[0]))
        picks = list(range(0, len(names), max(1, len(names) // 8)))[:8]
        grid += [[inputs[i] for i in picks], [outputs[i] for i in picks], [truth[i] for i in picks]]
    args.pictures.mkdir(parents=True, exist_ok=True)
    make_grid([image for row in grid for image in row], columns=8).save(
        args.pictures / "stargan_validation.jpg", quality=85
    )
    _mix_strip(editor).save(args.pictures / "stargan_mix.jpg", quality=85)
    print("| pair | emoji | L1 model ↓ | SSIM model ↑ | L1 identity | SSIM identity |\n|---|---|---|---|---|---|")
    for label, n, l1, ssim, l1_id, ssim_id in quality:
        print(f"| {label} | {n} | {l1:.4f} | {ssim:.4f} | {l1_id:.4f} | {ssim_id:.4f} |")
    print("\n| pair | KID×10³ model ↓ | KID×10³ identity |\n|---|---|---|")
    for label, model_kid, identity_kid in style:
        print(f"| {label} | {model_kid:.1f} | {identity_kid:.1f} |")


def _mix_strip(editor: AttributeEditor) -> Image.Image:
    """Rows of validation emoji from modern towards flat and then high contrast, through mixed labels."""
    names = validation_names("fluent-modern", also_in="fluent-high-contrast")[::20][:4]
    modern, flat, lines = ([1.0 if i == k else 0.0 for i in range(3)] for k in range(3))
    rows = []
    for image in load("fluent-modern", names, editor.size):
        framed = Framed.of(image, frame_faces=False)
        vectors = strip_vectors(modern, flat, 4) + strip_vectors(flat, lines, 4)[1:]
        rows += editor.edit(framed, vectors, paste=False)
    return make_grid(rows, columns=7)


if __name__ == "__main__":
    main()
