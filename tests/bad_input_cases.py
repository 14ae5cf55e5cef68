"""The bad-input table: what the app's API and `gan-demo` must refuse, and the one line each says.

One row per (case, interface): the inputs that differ from a valid request, a fragment of the expected
message, and the outcome: for the API the kind of error the client gets ("error": a gr.Error, shown in the
page, sent as an `event: error` by Gradio's HTTP API and raised by gradio_client; "HTTP 413"), for the
command line its exit code (one line on stderr per problem, nothing written). API rows go through Gradio's
/call HTTP API (raw JSON, which also carries NaN and ∞) unless marked "(gradio_client)". A few rows
are accepted on purpose ("accepted", "exit 0"): input that looks odd but is fine. tests/test_bad_input.py
runs every row; README.md's "Bad input" section is rendered from this table (`python -m
tests.bad_input_cases` prints it; a test keeps the README equal to it).

Values that are files are named (`File`, `Upload`) and built by tests/test_bad_input.py (FILES, SETS).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NAN, INF = float("nan"), float("inf")


@dataclass(frozen=True)
class File:
    name: str  # a file of the kit (or of examples/); API: uploaded, CLI: its path
    suffix: str = ""  # CLI: appended to the path (a style image's ":WEIGHT")


@dataclass(frozen=True)
class Upload:
    name: str  # an upload set of the kit; API: its files (or the one .zip) uploaded, CLI: the folder or .zip


@dataclass(frozen=True)
class Out:
    name: str = ""  # CLI: the output folder, or a file or run folder inside it; nothing may be written there
    locked: bool = False  # the run folder is being trained by another process (the test holds its lock)


@dataclass(frozen=True)
class RunningJob:
    part: str  # "id" or "name" of a fine-tune job that runs while the row is sent (API)


@dataclass(frozen=True)
class Case:
    case: str  # what is wrong, in the user's words
    interface: str  # "api" or "cli"
    target: str  # API endpoint ("/translate") or CLI command ("translate")
    inputs: Any  # API: the parameters that differ from DEFAULTS[target]; CLI: argv after the command
    message: str  # a fragment of the one-line message
    outcome: str  # API: "error", "HTTP 413" or "accepted"; CLI: "exit N"
    via: str = "http"  # API: "http" (Gradio's /call API, raw JSON), "client" (gradio_client), "upload" (raw upload)


def api(case: str, target: str, message: str, *, outcome: str = "error", via: str = "http", **inputs) -> Case:
    unknown = set(inputs) - set(DEFAULTS[target])
    assert not unknown, f"{target} has no parameters {unknown}"
    return Case(case, "api", target, inputs, message, outcome, via)


def cli(case: str, command: str, *argv: Any, message: str, code: int) -> Case:
    return Case(case, "cli", command, argv, message, f"exit {code}")


CAT, SWIRLS, HEART = File("cat.jpg"), File("swirls.png"), File("heart.png")
DEFAULTS: dict[str, dict[str, Any]] = {  # a valid request per endpoint, parameters in order
    "/sample": {"key": "faces-dcgan", "seed": 1, "n": 2, "latent_scale": 1.0, "truncation": 0.0, "display_size": 64},
    "/translate": {"key": "vintage", "direction": "a2b", "source": CAT, "max_side": 64, "show_cycle": False},
    "/sketch": {"key": "emoji-sketch", "drawing": {"background": None, "layers": [], "composite": HEART}},
    "/sketch_upload": {"key": "emoji-sketch", "sketch": HEART},
    "/sketch_photo": {"key": "emoji-sketch", "photo": CAT, "method": "canny", "threshold": 0.5, "stroke": 3},
    "/stylize": {
        **{"key": "effnet-lite0", "content": CAT, "style_1": SWIRLS, "weight_1": 1.0, "style_2": None},
        **{"weight_2": 0.5, "style_3": None, "weight_3": 0.5, "log_content": 0, "log_style": 2, "log_tv": 1},
        **{f"layer_{i}": 1 for i in range(1, 6)},
        **{"colour": "none", "steps": 1, "size": 64, "optimiser": "lbfgs", "init": "content", "coarse": False},
    },
    "/edit": {"key": "emoji-styles", "image": CAT, "frame": False, "text": "flat=1"},
    "/finetune_check": {
        "family": "gan",
        "base": "(from scratch)",
        "pairing": "names",
        "first": Upload("8 images"),
        "second": [],
        "augment": [],
    },
    "/finetune_start": {
        **{"family": "gan", "base": "emoji-fluent", "pairing": "names", "first": Upload("8 images"), "second": []},
        **{"name": "refused", "steps": 2, "minutes": 5, "lr": 1e-4, "batch": 2, "augment": ["color"]},
        **{"freeze": 1, "ema": 0.9, "job_id": None, "licence": "unspecified", "credit": ""},
    },
    "/finetune_resume": {
        **{"key": "no-such-run", "pairing": "names", "first": Upload("8 images"), "second": []},
        **{"steps": 4, "minutes": 5, "job_id": None},
    },
    "/gradio_api/upload": {"files": None},
}
STYLIZE_CLI = ("--content", CAT, "--steps", "1", "--size", "64")  # with --style and --out: a valid request
PIX2PIX = {"family": "pix2pix", "base": "emoji-sketch", "batch": 2}


def image_cases() -> list[Case]:
    """Files that are not usable images, through every way an image arrives."""
    rows = []
    for file, message in [
        ("text.png", "text.png: not a supported image"),
        ("empty.jpg", "empty.jpg: the file is empty"),
        ("truncated.png", "truncated.png: the file is damaged or truncated"),
        ("bomb.png", "bomb.png: the image is too large (a possible decompression bomb)"),
        ("tiny.png", "tiny.png: 4×4 is too small (each side needs ≥ 8 px)"),
    ]:
        what = f"{file}: " + {"bomb.png": "8000×5001 px in 39 KB", "tiny.png": "4×4 px"}.get(file, "unusable")
        rows += [
            api(what, "/translate", message, via="client" if file == "text.png" else "http", source=File(file)),
            cli(what, "translate", "--input", File(file), "--out", Out(), message=message, code=1),
        ]
    bomb = "bomb.png: the image is too large (a possible decompression bomb)"
    # fmt: off
    return [
        *rows,
        api("bomb.png as a sketch", "/sketch_upload", bomb, via="client", sketch=File("bomb.png")),
        cli("bomb.png as a sketch", "sketch", "--input", File("bomb.png"), "--out", Out(), message=bomb, code=1),
        api("bomb.png as a content photo", "/stylize", bomb, content=File("bomb.png")),
        cli("bomb.png as a content photo", "stylize", *STYLIZE_CLI, "--content", File("bomb.png"), "--style",
            SWIRLS, "--out", Out("x.png"), message=bomb, code=1),
        api("a file over 20 MB", "/gradio_api/upload", "File size exceeded maximum allowed size of 20971520 bytes",
            outcome="HTTP 413", via="upload", files=File("21mb.png")),
        cli("a file over 20 MB", "translate", "--input", File("21mb.png"), "--out", Out(),
            message="21mb.png: the file is larger than 20 MB", code=1),
        api("a blank sketch", "/sketch_upload", "the sketch is blank: draw something first", sketch=File("blank.png")),
        cli("a blank sketch", "sketch", "--input", File("blank.png"), "--out", Out(), message="the sketch is blank",
            code=1),
        api("a drawing of 24 layers", "/sketch", "the drawing has 24 layers; at most 4",
            drawing={"background": None, "layers": [File("stroke.png")] * 24, "composite": File("stroke.png")}),
        api("a drawing that is not an image", "/sketch", "the drawing: not a supported image",
            drawing={"background": None, "layers": [], "composite": File("text.png")}),
        cli("an input that does not exist", "translate", "--input", "missing.png", "--out", Out(),
            message="missing.png: no such file", code=2),
    ]
    # fmt: on


def number_cases() -> list[Case]:
    """Numbers out of range, not a number or infinite; the app's bounds are checked server-side."""
    seeds = "seeds go from 0 to 4294967295"
    # fmt: off
    return [
        api("seed below 0", "/sample", "Value -3 is less than minimum value 0", seed=-3),
        cli("seed below 0", "sample", "--seed", "-3", "--out", Out(), message=seeds, code=2),
        api("seed of 2⁷⁰", "/sample", "is greater than maximum value 4294967295", seed=2**70),
        cli("seed of 2⁷⁰", "sample", "--seed", str(2**70), "--out", Out(), message=seeds, code=2),
        api("NaN seed", "/sample", "Seed: expected a number", seed=NAN),
        cli("NaN seed", "sample", "--seed", "nan", "--out", Out(), message="invalid int value: 'nan'", code=2),
        api("65 images", "/sample", "Value 65 is greater than maximum value 64", n=65),
        cli("65 images", "sample", "--n", "65", "--out", Out(), message="between 1 and 64, got 65", code=2),
        api("infinite latent scale", "/sample", "expected a number", latent_scale=INF),
        cli("infinite latent scale", "sample", "--latent-scale", "inf", "--out", Out(),
            message="latent scale must be in (0, 2], got inf", code=2),
        api("NaN truncation", "/sample", "expected a number", truncation=NAN),
        cli("NaN truncation", "sample", "--truncation", "nan", "--out", Out(),
            message="truncation threshold must be a positive number", code=2),
        api("output size 30000 px", "/sample", "is not in the list of choices", display_size=30000),
        cli("output size 30000 px", "sample", "--size", "30000", "--out", Out(),
            message="output size must be between 16 and 1024", code=2),
        api("max side 5000 px", "/translate", "Value 5000 is greater than maximum value 1024", max_side=5000),
        cli("max side 5000 px", "translate", "--input", CAT, "--max-side", "5000", "--out", Out(),
            message="max side must be between 16 and 2048 px, got 5000", code=2),
        api("infinite max side", "/translate", "expected a number", max_side=INF),
        cli("infinite max side", "translate", "--input", CAT, "--max-side", "inf", "--out", Out(),
            message="invalid int value: 'inf'", code=2),
        api("edge threshold 2", "/sketch_photo", "Value 2.0 is greater than maximum value 1", threshold=2.0),
        cli("edge threshold 2", "sketch", "--input", CAT, "--edges", "canny", "--threshold", "2", "--out", Out(),
            message="threshold must be between 0 and 1, got 2.0", code=2),
        api("line width 0 px", "/sketch_photo", "Value 0 is less than minimum value 1", stroke=0),
        cli("line width 0 px", "sketch", "--input", CAT, "--edges", "xdog", "--stroke", "0", "--out", Out(),
            message="line width must be between 1 and 9 px, got 0", code=2),
    ]
    # fmt: on


def model_cases() -> list[Case]:
    """Model keys that do not exist, belong to another tab, or cannot be loaded here."""
    offline = "not in the local cache, and HF_HUB_OFFLINE is set"
    # fmt: off
    return [
        api("unknown model key", "/sample", "no sample model called 'nope'; choose one of:", via="client", key="nope"),
        cli("unknown model key", "sample", "--model", "nope", "--out", Out(),
            message="no sample model called 'nope'; choose one of:", code=2),
        api("a model of another tab", "/sample", "no sample model called 'vintage'", key="vintage"),
        cli("a model of another tab", "sample", "--model", "vintage", "--out", Out(),
            message="no sample model called 'vintage'", code=2),
        api("Hub model, offline and not cached", "/translate", offline, key="cyclegan-style-monet"),
        cli("Hub model, offline and not cached", "translate", "--model", "cyclegan-style-monet", "--input", CAT,
            "--out", Out(), message=offline, code=3),
        api("a direction a one-way model lacks", "/translate", "vintage has no network 'b2a'", direction="b2a"),
        cli("a direction a one-way model lacks", "translate", "--input", CAT, "--direction", "b2a", "--out", Out(),
            message="vintage only translates a2b", code=2),
        cli("unknown precision", "translate", "--input", CAT, "--precision", "fp8", "--out", Out(),
            message="unknown precision 'fp8'", code=2),
        cli("unknown command", "paint", message="invalid choice: 'paint'", code=2),
    ]
    # fmt: on


def style_cases() -> list[Case]:
    """Style transfer: weights that leave nothing to optimise, missing or unusable images, sizes too large."""
    zeros, offline = "style-image weights are all 0", "not in the local cache, and HF_HUB_OFFLINE is set"

    def styled(case: str, *argv: Any, message: str, code: int = 2, style: Any = SWIRLS) -> Case:
        styles = ("--style", style) if style else ()
        return cli(case, "stylize", *STYLIZE_CLI, *styles, *argv, "--out", Out("x.png"), message=message, code=code)

    # fmt: off
    return [
        api("all-zero style-image weights", "/stylize", zeros, via="client", weight_1=0.0),
        styled("all-zero style-image weights", message=zeros, style=File("swirls.png", ":0")),
        api("negative style-image weight", "/stylize", "Value -1.0 is less than minimum value 0", weight_1=-1.0),
        styled("negative style-image weight", message="must not be negative", style=File("swirls.png", ":-1")),
        api("NaN style-image weight", "/stylize", "expected a number", weight_1=NAN),
        styled("NaN style-image weight", message="style-image weights must be finite",
               style=File("swirls.png", ":nan")),
        api("infinite style weight", "/stylize", "expected a number", log_style=INF),
        styled("infinite style weight", "--style-weight", "inf", message="must be finite numbers"),
        api("all-zero style-layer weights", "/stylize", "style-layer weights are all 0",
            **{f"layer_{i}": 0 for i in range(1, 6)}),
        styled("all-zero style-layer weights", "--layer-weights", "0,0,0,0,0",
               message="style-layer weights are all 0"),
        api("negative style-layer weight", "/stylize", "Value -1 is less than minimum value 0", layer_2=-1),
        styled("negative style-layer weight", "--layer-weights", "1,-1,1,1,1", message="must not be negative"),
        styled("four style-layer weights", "--layer-weights", "1,1,1,1", message="expected 5 style-layer weights"),
        styled("style-layer weights that are not numbers", "--layer-weights", "1,x,1,1,1",
               message="numbers separated by commas"),
        api("no usable style image", "/stylize", "no usable style image: give at least one", style_1=None),
        styled("no usable style image", message="the following arguments are required: --style", style=None),
        api("a style image that is not an image", "/stylize", "text.png: not a supported image",
            style_1=File("text.png")),
        styled("a style image that is not an image", message="text.png: not a supported image", code=1,
               style=File("text.png")),
        api("5000 px", "/stylize", "Value 5000 is greater than maximum value 1024", size=5000),
        styled("5000 px", "--size", "5000", message="between 64 and 1024 px, got 5000"),
        api("100000 steps", "/stylize", "Value 100000 is greater than maximum value 2000", steps=100000),
        styled("100000 steps", "--steps", "100000", message="steps must be between 1 and 2000, got 100000"),
        api("no content photo", "/stylize", "Upload a content photo first", content=None),
        styled("no content photo", "--content", "missing.png", message="missing.png: no such file"),
        api("a network of another tab", "/stylize", "no stylize model called 'vintage'", key="vintage"),
        styled("a network of another tab", "--network", "vintage", message="no stylize model called 'vintage'"),
        api("Hub network, offline and not cached", "/stylize", offline, key="vgg19"),
        styled("Hub network, offline and not cached", "--network", "vgg19", message=offline, code=3),
        api("unknown colour preservation", "/stylize", "'sepia' (type: <class 'str'>) is not in the list of choices",
            colour="sepia"),
        styled("unknown colour preservation", "--preserve-colour", "sepia",
               message="unknown colour preservation 'sepia'"),
    ]
    # fmt: on


def finetune_cases() -> list[Case]:
    """Fine-tune uploads and settings: hostile zips, too little data, pairs that do not pair, a busy run."""

    def tune(case: str, family: str, *argv: Any, message: str, code: int = 1, out: Out = Out("run")) -> Case:
        return cli(case, "finetune", family, "--steps", "1", *argv, "--out", out, message=message, code=code)

    few = "Not enough to train: fine-tuning needs at least 8 images; got 3"
    unsafe = "unsafe path in zip (.. leads outside the archive)"
    bomb = "zeros.png (larger than 20 MB uncompressed)"
    unpaired = "inputs: in0.png (no target with the same name)"
    shape = "inputs: in7.png (another shape than its target in7.png (48×48 against 96×48))"
    batch_16 = "8 training images, fewer than one batch of 16; lower the batch size"
    pets = "upload.zip/cats/ (8 files) (not in a domain folder: modern/, flat/, high-contrast/)"
    hub_base = "cyclegan-horse-zebra cannot be loaded here: "
    zip_unsafe, zip_bomb, inputs = Upload("zip with ../ and absolute paths"), Upload("zip bomb"), Upload("8 inputs")
    # fmt: off
    return [
        api("zip with ../ and absolute paths (+3 images)", "/finetune_start", unsafe, via="client", first=zip_unsafe),
        tune("zip with ../ and absolute paths (+3 images)", "gan", "--data", zip_unsafe, message=unsafe),
        api("zip bomb: 30 MB of zeros in 30 KB (+3 images)", "/finetune_start", bomb, first=zip_bomb),
        tune("zip bomb: 30 MB of zeros in 30 KB (+3 images)", "gan", "--data", zip_bomb, message=bomb),
        api("3 images", "/finetune_start", few, first=Upload("3 images")),
        tune("3 images", "gan", "--data", Upload("3 images"), message=few),
        api("pix2pix pairs with no shared names", "/finetune_start", unpaired, **PIX2PIX, first=inputs,
            second=Upload("8 outputs, other names")),
        tune("pix2pix pairs with no shared names", "pix2pix", "--from", "emoji-sketch", "--data", inputs,
             "--target", Upload("8 outputs, other names"), message=unpaired),
        api("a pix2pix pair of two shapes (so 7 pairs)", "/finetune_start", shape, **PIX2PIX, first=inputs,
            second=Upload("8 outputs, one wide")),
        tune("a pix2pix pair of two shapes (so 7 pairs)", "pix2pix", "--from", "emoji-sketch", "--data", inputs,
             "--target", Upload("8 outputs, one wide"), message=shape),
        api("StarGAN: folders that are not the base's domains", "/finetune_start", pets, family="stargan",
            base="emoji-styles", first=Upload("zip of cats/ and dogs/")),
        tune("StarGAN: folders that are not the base's domains", "stargan", "--from", "emoji-styles", "--data",
             Upload("zip of cats/ and dogs/"), message=pets),
        api("mixed sizes and modes", "/finetune_check", "8 images accepted.", outcome="accepted",
            first=Upload("8 mixed images")),
        tune("mixed sizes and modes", "gan", "--from", "emoji-fluent", "--data", Upload("8 mixed images"),
             "--batch-size", "2", "--check", message="8 images accepted.", code=0),
        api("a batch larger than the set", "/finetune_start", batch_16, batch=16),
        tune("a batch larger than the set", "gan", "--from", "emoji-fluent", "--data", Upload("8 images"),
             message=batch_16, code=2),
        api("no uploads", "/finetune_start", "Upload some training images first", first=[]),
        tune("no uploads", "gan", "--data", "missing", message="missing: no such folder or .zip", code=2),
        api("a base that is not a run", "/finetune_start", "'faces-dcgan' cannot be a gan base; choose one of:",
            base="faces-dcgan"),
        tune("a base that is not a run", "gan", "--from", "faces-dcgan", "--data", Upload("8 images"),
             message="loads from a package or the Hub, and no training family fits its networks", code=2),
        api("a base of another family", "/finetune_start", "'emoji-sketch' cannot be a gan base", base="emoji-sketch"),
        api("a Hub base, offline and not cached", "/finetune_start", hub_base, family="cyclegan",
            base="cyclegan-horse-zebra", second=Upload("8 images")),
        tune("a Hub base, offline and not cached", "cyclegan", "--from", "cyclegan-horse-zebra", "--data",
             Upload("8 images"), "--data-b", Upload("8 images"), message="not in the local cache", code=3),
        tune("a base of another family", "pix2pix", "--from", "emoji-fluent", "--data", inputs, "--target",
             Upload("8 outputs, other names"), message="no sketch model called 'emoji-fluent'", code=2),
        tune("pix2pix without outputs", "pix2pix", "--data", inputs, message="pix2pix needs --target", code=2),
        api("0 steps", "/finetune_start", "Value 0 is less than minimum value 1", steps=0),
        tune("0 steps", "gan", "--data", Upload("8 images"), "--steps", "0", message="--steps must be at least 1",
             code=2),
        api("NaN learning rate", "/finetune_start", "Learning rate: expected a number", lr=NAN),
        tune("NaN learning rate", "gan", "--data", Upload("8 images"), "--lr", "nan",
             message="--lr must be a positive number, got nan", code=2),
        api("a name that is not a key", "/finetune_start", "Give the new model a name", name="../x"),
        api("a licence with markup", "/finetune_start", "Licence: an identifier such as MIT or CC-BY-4.0",
            licence="MIT<img src=x>"),
        api("a credit with a link", "/finetune_start", "Credit: one line of plain text, up to 300 characters",
            credit="[me](javascript:alert(1))"),
        api("resume a run that is not listed", "/finetune_resume", "Choose one of your runs to resume"),
        api("resume a path instead of a run", "/finetune_resume", "Choose one of your runs to resume", key="../.."),
        api("the name of a bundled model", "/finetune_start", "already a model called 'emoji-fluent'",
            name="emoji-fluent"),
        # last: a job runs while these rows are sent (the test starts it before the first, stops it after the last)
        api("a second job from the same page while one runs", "/finetune_start",
            "Your previous job is still running; stop it first", job_id=RunningJob("id")),
        api("a second job with the running job's name", "/finetune_start", "a job is already writing busy-run",
            name=RunningJob("name")),
        tune("a second job with the running job's name", "gan", "--data", Upload("8 images"), "--batch-size", "2",
             message="is being trained by process", out=Out("busy-run", locked=True)),
    ]
    # fmt: on


# StarGAN (`gan-demo edit`, the StarGAN tab) belongs to its author: the rows go here, written with api(...) /
# cli(...) like the rows above (an unknown attribute, out-of-range and non-finite slider values, no face found,
# through the tab's endpoint, which DEFAULTS then gets, and through the command).
# fmt: off
EDIT = ("edit", "--model", "emoji-styles", "--input", CAT, "--out", Out(), "--attr")
STARGAN_CASES: list[Case] = [
    cli("a model of another tab (StarGAN)", "edit", "--model", "vintage", "--input", CAT, "--attr", "a=1", "--out",
        Out(), message="no attributes model called 'vintage'", code=2),
    api("an unknown attribute", "/edit", "unknown attribute 'bogus'; this model has: modern, flat, high-contrast",
        text="bogus=1"),
    cli("an unknown attribute", *EDIT, "bogus=1",
        message="unknown attribute 'bogus'; this model has: modern, flat, high-contrast", code=2),
    api("an attribute out of its range", "/edit", "flat=2 is outside the allowed range 0 … 1", text="flat=2"),
    cli("an attribute out of its range", *EDIT, "flat=2", message="flat=2 is outside the allowed range 0 … 1", code=2),
    api("a non-finite attribute", "/edit", "flat: expected a finite number, got nan", text="flat=nan"),
    cli("a non-finite attribute", *EDIT, "flat=inf", message="flat: expected a finite number, got inf", code=2),
    cli("an attribute without a value", *EDIT, "flat", message="expected NAME=VALUE", code=2),
    cli("an attribute given twice", *EDIT, "flat=1", "--attr", "flat=0", message="--attr flat is given twice", code=2),
    api("no picture", "/edit", "Upload a picture first", image=None),
]
# fmt: on

CASES: list[Case] = [
    *image_cases(),
    *number_cases(),
    *model_cases(),
    *style_cases(),
    *STARGAN_CASES,
    *finetune_cases(),  # last: its final rows need a running job
]


def shown(value: Any) -> str:
    """How a value reads in the table (files by name)."""
    if isinstance(value, File | Upload):
        return value.name + value.suffix if isinstance(value, File) else f"<{value.name}>"
    if isinstance(value, Out):
        return "OUT" + (f"/{value.name}" if value.name else "") + (" (being trained)" if value.locked else "")
    if isinstance(value, RunningJob):
        return f"<the running job's {value.part}>"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {shown(v)}" for k, v in value.items() if v not in (None, [])) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(shown(v) for v in value[:2]) + (", …" if len(value) > 2 else "") + "]"
    return str(value)


def inputs_text(row: Case) -> str:
    if row.interface == "cli":
        return " ".join(["gan-demo", row.target, *(shown(a) for a in row.inputs)])
    changes = ", ".join(f"{name}={shown(value)}" for name, value in row.inputs.items())
    return f"{row.target} {changes}" + (" (gradio_client)" if row.via == "client" else "")


def markdown(rows: list[Case] = CASES) -> str:
    """The table as README.md shows it."""
    lines = ["| case | interface | inputs | message (fragment) | outcome |", "|---|---|---|---|---|"]
    for row in rows:
        cells = [row.case, row.interface, f"`{inputs_text(row)}`", row.message, row.outcome]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
