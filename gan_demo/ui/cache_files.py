"""Whole files in Gradio's cache, however many requests write the same output at once.

Gradio 6.31 saves each output picture (and each output of bytes) under a name made from the hash of its
content, by truncating and rewriting that file in place (`processing_utils.save_pil_to_cache`,
`save_bytes_to_cache`). Two requests that make the same picture (the same seed, an example row, the load
test's repeated calls) then rewrite one file while another client is downloading it, and that download
comes out short: "peer closed connection without sending complete message body" on the client,
"Too little data for declared Content-Length" in the server. Gradio's own `save_file_to_cache` already
writes under a temporary name and renames it into place; `install()` makes the other two do the same, so a
reader only ever sees a whole file (the old one or the new one, which hold the same bytes).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from gradio import processing_utils
from PIL import Image

GRADIOS_SAVE_PIL_TO_CACHE = processing_utils.save_pil_to_cache  # as imported, before install() (for the test)


def write_whole(path: Path, data: bytes) -> None:
    """Write `data` to `path` under a temporary name in the same folder, then rename it into place."""
    descriptor, staging = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        umask = os.umask(0)  # mkstemp makes the file private; the cache serves ordinary files
        os.umask(umask)
        os.chmod(staging, 0o666 & ~umask)
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def save_pil_to_cache(img: Image.Image, cache_dir: str, name: str = "image", format: str = "webp") -> str:
    """As gradio's, but the file is written whole (see the module's docstring)."""
    data = processing_utils.encode_pil_to_bytes(img, format)
    folder = Path(cache_dir) / processing_utils.hash_bytes(data)
    folder.mkdir(exist_ok=True, parents=True)
    path = (folder / f"{name}.{format}").resolve()
    write_whole(path, data)
    return str(path)


def save_bytes_to_cache(data: bytes, file_name: str, cache_dir: str) -> str:
    """As gradio's, but the file is written whole (see the module's docstring)."""
    folder = Path(cache_dir) / processing_utils.hash_bytes(data)
    folder.mkdir(exist_ok=True, parents=True)
    if not Path(file_name).suffix:
        file_name += processing_utils.detect_audio_format(data)
    path = folder / Path(file_name).name
    write_whole(path, data)
    return str(path.resolve())


def install() -> None:
    """Use the whole-file writers for every output Gradio caches (its components look them up by module)."""
    processing_utils.save_pil_to_cache = save_pil_to_cache
    processing_utils.save_bytes_to_cache = save_bytes_to_cache
