"""The model card (README.md) of a run folder, made from its run.json at every save.

It says what a person needs to trust and repeat the model: the base model, the data (with its image
count), steps, time, the final losses, the augmentation, the seed, the command and the licence, with the
Hub's YAML header. A card marked as generated is rewritten at each save; a hand-written one (the bundled
checkpoints' cards) is never replaced.
"""

from __future__ import annotations

import json
import re
from statistics import mean
from typing import Any

CARD_NAME = "README.md"
MARKER = "<!-- generated from run.json by gan_demo.training.card; it is rewritten at every save -->"
TAIL = 50  # points of the loss history averaged for the "final losses"
AUGMENTATION_FIELDS = {  # config field → what it does (shown when it is on)
    "augment": "DiffAugment on everything the discriminator sees: {}",
    "affine": "a small random rotation / zoom / shift of each pair",
    "traced_fraction": "{:.0%} of the sketches traced from their targets",
    "vary_strokes": "stroke widths varied at random",
    "crop": "random {0}×{0} crops",
}
USE = {"sample": "sample", "sketch": "sketch", "translate": "translate", "attributes": "edit"}  # the CLI command
TAGS = {"sample": "unconditional-image-generation", "sketch": "image-to-image", "translate": "image-to-image"}


def is_generated(text: str) -> bool:
    return MARKER in text


def model_card(record: dict[str, Any]) -> str:
    """README.md for the run whose run.json is `record`."""
    model, config = record.get("model", {}), record.get("config", {})
    licence = str(model.get("licence", "unspecified"))
    tags = ["gan-demo", record.get("family", ""), TAGS.get(model.get("task", ""), "image-to-image")]
    header = ["---", f"license: {_licence_id(licence)}", "tags:", *(f"- {tag}" for tag in tags if tag), "---"]
    lines = [
        *header,
        MARKER,
        "",
        f"# {model.get('title', 'A gan-demo run')}",
        "",
        model.get("description", ""),
        "",
        "| | |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in _facts(record, model, config)),
        "",
        "## Final losses",
        "",
        _losses(record),
        "",
        "## Use it",
        "",
        f"The folder is a model: `gan-demo {USE.get(model.get('task', ''), 'sample')} --model FOLDER`, or pick it in "
        "the app's matching tab when the folder is under its runs folder (`GAN_DEMO_RUNS`).",
        "",
        "## Repeat it",
        "",
        "```",
        record.get("command", ""),
        "```",
        "",
        "Add `--resume RUN_FOLDER` to the same command to continue an interrupted run from its last save.",
        "",
        "## Settings",
        "",
        "```json",
        json.dumps(config, indent=2),
        "```",
        "",
        f"Licence: {licence}. Credit: {model.get('credit', '')}.",
        "",
    ]
    return "\n".join(lines)


def _facts(record: dict[str, Any], model: dict[str, Any], config: dict[str, Any]) -> list[tuple[str, str]]:
    finetune = record.get("finetune") or {}
    best = record.get("best")
    facts = [
        ("Base model", model.get("base_model") or "none: trained from scratch"),
        ("Family", f"{record.get('family')} ({model.get('architecture')}, {model.get('image_size')} px)"),
        ("Data", _data(record.get("data", {}))),
        ("Steps", f"{record.get('steps')}" + _resumed(record.get("resumed_at") or [])),
        ("Training time", f"{_duration(float(record.get('seconds', 0)))} on {record.get('device')}"),
        ("Batch size / learning rate", f"{config.get('batch_size')} / {config.get('lr')}"),
        ("Augmentation", _augmentation(config)),
        ("Seed", str(config.get("seed"))),
    ]
    if finetune.get("freeze_d"):
        facts.append(("Frozen discriminator layers", str(finetune["freeze_d"])))
    if best:
        value = f"{best['value']:.4g}" if best.get("value") is not None else "n/a"
        where = f"step {best['step']} in `{best.get('folder')}`"
        facts.append(("Best checkpoint", f"{where} ({best['criterion']}: {value})"))
    return facts


def _data(summary: dict[str, Any]) -> str:
    """E.g. "64 pairs", "30 images", or per folder / domain."""
    if isinstance(summary.get("images"), dict):  # StarGAN: per domain
        counts = summary["images"]
        return f"{sum(counts.values())} images in {len(counts)} domains (" + _counts(counts) + ")"
    total = sum(v for v in summary.values() if isinstance(v, int))
    if len(summary) == 1:
        ((name, count),) = summary.items()
        return f"{count} {name}"
    return f"{total} images (" + _counts(summary) + ")" if summary else "not recorded"


def _counts(counts: dict[str, Any]) -> str:
    return ", ".join(f"{name}: {count}" for name, count in counts.items())


def _augmentation(config: dict[str, Any]) -> str:
    parts = ["random horizontal flips"]
    for name, text in AUGMENTATION_FIELDS.items():
        if config.get(name):
            parts.append(text.format(config[name]))
    return "; ".join(parts)


def _losses(record: dict[str, Any]) -> str:
    """Each term's mean over the last TAIL recorded steps (the last step alone is noisy)."""
    terms = (record.get("loss_history") or {}).get("terms") or {}
    means = {name: [v for v in values[-TAIL:] if v is not None] for name, values in terms.items()}
    means = {name: mean(values) for name, values in means.items() if values}
    if not means:
        means = dict(record.get("last_losses", {}))
    rows = [f"| {name} | {value:.4g} |" for name, value in means.items()]
    return "\n".join([f"Mean of the last {TAIL} recorded steps:", "", "| term | loss |", "|---|---|", *rows])


def _resumed(steps: list[int]) -> str:
    return f" (resumed at step {', '.join(map(str, steps))})" if steps else ""


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def _licence_id(licence: str) -> str:
    """The Hub's licence field: an identifier such as "mit" or "cc-by-4.0", else "other"."""
    return licence.lower() if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.+-]*", licence) else "other"
