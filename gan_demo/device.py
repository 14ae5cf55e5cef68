"""The only module that knows about CUDA, Apple MPS and Hugging Face ZeroGPU.

Everything else receives a `torch.device` as an argument.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import torch

from gan_demo.settings import on_zerogpu

F = TypeVar("F", bound=Callable)

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def select_device(requested: str = "auto") -> torch.device:
    """Resolve a device name; "auto" prefers CUDA, then MPS, then CPU.

    Raises ValueError for an unknown name or a device this machine does not have.
    """
    name = (requested or "auto").lower()
    if name not in DEVICE_CHOICES:
        raise ValueError(f"unknown device {requested!r}; choose one of {', '.join(DEVICE_CHOICES)}")
    if name == "auto":
        if on_zerogpu() or torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not (torch.cuda.is_available() or on_zerogpu()):
        raise ValueError("device 'cuda' was requested but no CUDA GPU is available here")
    if name == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device 'mps' was requested but Apple MPS is not available here")
    return torch.device(name)


def describe(device: torch.device) -> str:
    """A short human description for the UI banner and the CLI."""
    if device.type == "cuda" and torch.cuda.is_available():
        return f"GPU ({torch.cuda.get_device_name(device)})"
    if device.type == "cuda":
        return "GPU (ZeroGPU, attached per request)"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    return f"CPU ({torch.get_num_threads()} threads)"


def gpu_task(duration: int = 60) -> Callable[[F], F]:
    """Decorate a function that needs the GPU: `spaces.GPU` on ZeroGPU, a no-op elsewhere."""

    def wrap(fn: F) -> F:
        if not on_zerogpu():
            return fn
        try:
            import spaces  # only present on Spaces
        except ImportError:
            return fn
        return spaces.GPU(duration=duration)(fn)

    return wrap


def out_of_memory(error: BaseException) -> bool:
    """Whether an exception means the device (GPU, MPS or the CPU's allocator) ran out of memory."""
    if isinstance(error, (torch.OutOfMemoryError, MemoryError)):
        return True
    return isinstance(error, RuntimeError) and "out of memory" in str(error).lower()


def release_memory() -> None:
    """Give the accelerators' cached blocks back after an out-of-memory error, so the next request starts clean."""
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    if torch.backends.mps.is_available():
        torch.mps.empty_cache()
