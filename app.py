"""GAN Playground: `python app.py` serves the Gradio app on http://127.0.0.1:7860.

Settings come from the environment:
  GRADIO_SERVER_NAME  address to bind (default 127.0.0.1; the Dockerfile and Spaces use 0.0.0.0)
  GRADIO_SERVER_PORT  port (default 7860)
  GAN_DEMO_DEVICE     auto | cpu | cuda | mps (default auto)
  GAN_DEMO_COMPILE    1 to torch.compile the networks (faster per image, up to ~30 s per new input size)
  GAN_DEMO_PRECISION  auto | fp32 | bf16 for the translators (default auto: bf16 on CPUs with native bf16)
  GAN_DEMO_RUNS       folder of fine-tuned runs (default runs/): listed as models at start, written by the Fine-tune tab
  GAN_DEMO_CHECKPOINTS  folder of bundled run folders (default checkpoints/ of the repository)
  GRADIO_TEMP_DIR     Gradio's file cache (default <temp>/gradio)
  HF_HUB_OFFLINE      1 to never touch the network; Hub models then load only from the local cache
They are read once, into a gan_demo.settings.Settings.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from gan_demo.device import describe, select_device
from gan_demo.imaging import MAX_FILE_BYTES
from gan_demo.registry import Registry
from gan_demo.settings import Settings
from gan_demo.store import ModelStore
from gan_demo.training.gpu_calls import finetune_runner
from gan_demo.training.worker import TrainingWorker
from gan_demo.ui import CSS, build_app
from gan_demo.ui.http import BodySizeLimit

log = logging.getLogger("gan_demo")
WARM_MODELS = ("faces-dcgan", "emoji-fluent", "vintage")  # loaded in the background so the first click is quick
# An image may arrive inline as a base64 `data:` URL (4/3 of its size) inside a JSON body; the loader then
# applies MAX_FILE_BYTES to the decoded bytes. Anything larger is refused before it is read.
MAX_REQUEST_BYTES = MAX_FILE_BYTES * 4 // 3 + 2**20


def create_app(settings: Settings | None = None, *, runs_dir: Path | None = None) -> tuple[gr.Blocks, ModelStore]:
    """The app and its model store; runs saved under `runs_dir` (default: the settings') are listed as models."""
    settings = settings or Settings.from_env()
    device = select_device(settings.device)
    runs_dir = Path(runs_dir or settings.runs_dir)
    registry = Registry()
    registry.add_runs_from(runs_dir)
    store = ModelStore(registry, device, compile_networks=settings.compile, precision=settings.precision)

    def list_run(folder: Path) -> None:  # a saved fine-tune becomes a model at once (and its old weights go)
        entry = registry.add_run(folder, replace=True)
        store.evict(entry.key)

    worker = TrainingWorker(device=device, on_saved=list_run, trainer=finetune_runner())  # ZeroGPU: in GPU calls
    label = describe(device) + (", bf16 for translation" if store.precision == "bf16" else "")
    demo = build_app(store, label, worker=worker, runs_dir=runs_dir)
    demo.queue(max_size=16, default_concurrency_limit=1)
    return demo, store


def warm_up(store: ModelStore) -> None:
    for key in WARM_MODELS:
        try:
            store.get(key)
        except Exception as error:  # the tab reports it properly when the user asks for this model
            log.warning("could not preload %s: %s", key, error)


def launch_options() -> dict[str, Any]:
    """The `demo.launch` settings that make the app safe to expose (the tests launch with them too)."""
    return {
        "share": False,
        "max_file_size": MAX_FILE_BYTES,
        "app_kwargs": {"middleware": [Middleware(BodySizeLimit, max_bytes=MAX_REQUEST_BYTES)]},
        "show_error": False,
        "enable_monitoring": False,
        "theme": gr.themes.Soft(),
        "css": CSS,
    }


def writable_temp_dir(settings: Settings | None = None) -> Path:
    """Gradio's file cache (GRADIO_TEMP_DIR), created and checked; raises OSError with a one-line reason."""
    folder = (settings or Settings.from_env()).temp_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise OSError(
            f"GRADIO_TEMP_DIR={folder} is not a writable folder ({error.strerror or error}); "
            "point it at one that is, or unset it"
        ) from None
    return folder


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        writable_temp_dir(settings)
    except (OSError, ValueError) as error:
        sys.exit(f"gan-demo: {error}")
    demo, store = create_app(settings)
    threading.Thread(target=warm_up, args=(store,), daemon=True, name="warm-up").start()
    demo.launch(server_name=settings.server_name, server_port=settings.server_port, **launch_options())


if __name__ == "__main__":
    main()
