"""Every setting the environment may change, read in one place.

`Settings.from_env()` is called once by app.py and once by the CLI, and the result is passed down. A few
settings are also read here at call time by the modules that need them without a Settings at hand: the
checkpoints folder (the catalogue is built at import), Hub offline mode and the Space's id (tests flip them
per test), ZeroGPU (decorators are applied at import), and the process ranks torchrun gives each process.
Tokens are never read here: huggingface_hub reads HF_TOKEN itself, when a push needs it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


def env_flag(value: str | None) -> bool:
    """An environment switch: "1", "true", "yes" or "on" (any case) mean on; anything else off."""
    return (value or "").strip().lower() in TRUE_WORDS


def checkpoints_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """GAN_DEMO_CHECKPOINTS, default the repository's checkpoints/ folder."""
    return Path(environ.get("GAN_DEMO_CHECKPOINTS") or PACKAGE_ROOT / "checkpoints")


def hub_offline(environ: Mapping[str, str] = os.environ) -> bool:
    """HF_HUB_OFFLINE: never touch the network; Hub models then load only from the local cache."""
    return env_flag(environ.get("HF_HUB_OFFLINE"))


def on_zerogpu(environ: Mapping[str, str] = os.environ) -> bool:
    """SPACES_ZERO_GPU: a Hugging Face ZeroGPU Space, where the GPU is attached per call."""
    return (environ.get("SPACES_ZERO_GPU") or "").lower() in {"1", "true"}


def space_id(environ: Mapping[str, str] = os.environ) -> str:
    """SPACE_ID: "owner/name" of the Hugging Face Space this app runs in ("" when it runs elsewhere)."""
    return (environ.get("SPACE_ID") or "").strip()


def space_sign_in(environ: Mapping[str, str] = os.environ) -> bool:
    """OAUTH_CLIENT_ID: the Space has `hf_oauth: true`, so visitors can sign in with their Hub account."""
    return bool(space_id(environ) and environ.get("OAUTH_CLIENT_ID"))


def process_ranks(environ: Mapping[str, str] = os.environ) -> tuple[int, int, int]:
    """(RANK, WORLD_SIZE, LOCAL_RANK) as torchrun sets them for each process; (0, 1, 0) when run alone."""
    values = []
    for name, default in (("RANK", "0"), ("WORLD_SIZE", "1"), ("LOCAL_RANK", "0")):
        value = environ.get(name) or default
        if not value.isdigit():
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        values.append(int(value))
    rank, world_size, local_rank = values
    return rank, world_size, local_rank


@dataclass(frozen=True)
class Settings:
    device: str = "auto"  # GAN_DEMO_DEVICE: auto | cpu | cuda | mps
    precision: str = "auto"  # GAN_DEMO_PRECISION: auto | fp32 | bf16, for the networks whose task allows bf16
    compile: bool = False  # GAN_DEMO_COMPILE: torch.compile the networks (see gan_demo/optimise.py)
    server_name: str = "127.0.0.1"  # GRADIO_SERVER_NAME: address the app binds
    server_port: int = 7860  # GRADIO_SERVER_PORT
    runs_dir: Path = Path("runs")  # GAN_DEMO_RUNS: fine-tuned runs, listed as models and written by the app
    checkpoints_dir: Path = PACKAGE_ROOT / "checkpoints"  # GAN_DEMO_CHECKPOINTS: bundled run folders
    offline: bool = False  # HF_HUB_OFFLINE
    temp_dir: Path = Path(tempfile.gettempdir()) / "gradio"  # GRADIO_TEMP_DIR: Gradio's file cache
    debug: bool = False  # GAN_DEMO_DEBUG: the CLI shows tracebacks

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """The settings `environ` asks for; unset or empty variables keep the defaults above."""
        port = environ.get("GRADIO_SERVER_PORT") or "7860"
        try:
            server_port = int(port)
        except ValueError:
            raise ValueError(f"GRADIO_SERVER_PORT must be a whole number, got {port!r}") from None
        return cls(
            device=environ.get("GAN_DEMO_DEVICE") or "auto",
            precision=(environ.get("GAN_DEMO_PRECISION") or "auto").strip().lower() or "auto",
            compile=env_flag(environ.get("GAN_DEMO_COMPILE")),
            server_name=environ.get("GRADIO_SERVER_NAME") or "127.0.0.1",
            server_port=server_port,
            runs_dir=Path(environ.get("GAN_DEMO_RUNS") or "runs"),
            checkpoints_dir=checkpoints_dir(environ),
            offline=hub_offline(environ),
            temp_dir=Path(environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio"),
            debug=bool(environ.get("GAN_DEMO_DEBUG")),
        )
