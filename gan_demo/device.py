"""The only module that knows about CUDA, Apple MPS and Hugging Face ZeroGPU.

Everything else receives a `torch.device` as an argument.
"""

from __future__ import annotations

import importlib.util
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


def gpu_lent_per_call() -> bool:
    """Whether the GPU is only lent for the length of a decorated call (ZeroGPU, with its `spaces` package)."""
    return on_zerogpu() and importlib.util.find_spec("spaces") is not None


def gpu_task(duration: int | Callable[..., int] = 60) -> Callable[[F], F]:
    """Decorate a function that needs the GPU: `spaces.GPU` on ZeroGPU, a no-op elsewhere.

    `duration` is the seconds the call may hold the GPU, or a function of the call's arguments giving them.
    On ZeroGPU the call runs in another process: its arguments and its result must pickle.
    """

    def wrap(fn: F) -> F:
        if not gpu_lent_per_call():
            return fn
        import spaces  # only present on Spaces

        return spaces.GPU(duration=duration)(fn)

    return wrap


def training_precision(device: torch.device) -> str:
    """The mixed precision training uses on `device` by default: bf16 on CUDA GPUs that have it, fp16 with loss
    scaling on older ones (before Ampere), fp32 on CPUs and Apple GPUs."""
    if device.type != "cuda":
        return "fp32"
    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"


def process_device(device: torch.device, local_rank: int) -> torch.device:
    """The device of one process of a multi-process run: its own GPU (cuda:LOCAL_RANK), or the CPU."""
    if device.type == "mps":
        raise ValueError("multi-process training runs on CUDA GPUs or CPUs, not Apple MPS; use --device cpu")
    if device.type != "cuda":
        return device
    if local_rank >= torch.cuda.device_count():
        raise ValueError(f"process {local_rank} has no GPU: this machine has {torch.cuda.device_count()}")
    torch.cuda.set_device(local_rank)
    return torch.device("cuda", local_rank)


def collective_backend(device: torch.device) -> str:
    """The torch.distributed backend for processes on `device`: NCCL between CUDA GPUs, gloo on CPUs."""
    return "nccl" if device.type == "cuda" else "gloo"


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
