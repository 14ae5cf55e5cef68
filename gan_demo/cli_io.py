"""What every `gan-demo` command shares: one-line errors with exit codes, the model store, input files and
atomic output files. Nothing here imports torch at import time."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from PIL import Image

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_MODEL, EXIT_INTERNAL = 0, 1, 2, 3, 4


class CliError(Exception):
    """A failure to report as one line, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def make_store(device_name: str, *, compile_networks: bool = False, precision: str = "fp32"):
    """The model store of one command, on `device_name` (a registry of the catalogue)."""
    from gan_demo.device import select_device
    from gan_demo.registry import Registry
    from gan_demo.store import ModelStore

    try:
        device = select_device(device_name)
        return ModelStore(Registry(), device, compile_networks=compile_networks, precision=precision)
    except ValueError as error:
        raise CliError(str(error), EXIT_USAGE) from None


def model_entry(store, value: str, task: str):
    """The registry entry for --model: a registry key, or a run folder (listed under its folder's name)."""
    if Path(value).is_dir():
        store.registry.add_run(value, replace=True)
        return store.registry.get(Path(value).resolve().name, task)
    return store.registry.get(value, task)


def save_png(image: Image.Image, path: Path) -> None:
    from gan_demo.imaging import encode_png

    write_file(path, encode_png(image))


def write_file(path: Path, data: bytes) -> None:
    """Write atomically: a failure leaves no partial file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=f"{path.suffix}.part", delete=False) as handle:
        handle.write(data)
    umask = os.umask(0)  # a temporary file is private (0600); give the result the usual permissions
    os.umask(umask)
    os.chmod(handle.name, 0o666 & ~umask)
    os.replace(handle.name, path)


def existing_file(path: Path) -> Path:
    """The path, if something is there: a missing input is a usage error, as in input_files."""
    if not Path(path).exists():
        raise CliError(f"{path}: no such file", EXIT_USAGE)
    return Path(path)


def input_files(path: Path) -> list[Path]:
    """The file, or the visible files of the folder; checked before any model is loaded."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        if not files:
            raise CliError(f"{path}: the folder has no files")
        return files
    if path.exists():
        return [path]
    raise CliError(f"{path}: no such file or folder", EXIT_USAGE)


def for_each_image(inputs: list[Path], out_dir: Path, convert: Callable[[Image.Image], dict[str, Image.Image]]) -> int:
    """Run `convert` on every readable image; write OUT/<stem><suffix>.png; report unreadable ones by name."""
    from gan_demo.imaging import InvalidImage, load_image
    from gan_demo.tasks.sketch import BlankSketch

    failures = 0
    for path in inputs:
        try:
            outputs = convert(load_image(path, name=str(path)))
        except (InvalidImage, BlankSketch, ValueError, RuntimeError) as error:  # one bad file never stops a run
            message = str(error) if isinstance(error, InvalidImage) else f"{path}: {error}"
            print(f"gan-demo: skipped {message}", file=sys.stderr)
            failures += 1
            continue
        for suffix, image in outputs.items():
            out = out_dir / f"{path.stem}{suffix}.png"
            save_png(image, out)
            print(out)
    if failures:
        raise CliError(f"{failures} of {len(inputs)} input(s) could not be used (see above)")
    return EXIT_OK
