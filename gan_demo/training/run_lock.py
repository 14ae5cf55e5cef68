"""One writer per run folder across processes: the app's worker and `gan-demo finetune` may share runs/.

The lock is an advisory `flock` on a hidden file beside the run folder (`.NAME.lock`, never listed as a
model). The kernel releases it when the holder exits, however it exits, so a killed run never leaves the
folder locked; the file itself stays (removing it would race with the next writer) and is harmless.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; a second writer is then not detected (saves stay atomic)
    fcntl = None  # type: ignore[assignment]


class RunBusy(BlockingIOError):
    """Another process is writing this run folder; the message is meant for the user."""


def lock_path(folder: Path) -> Path:
    return Path(folder).parent / f".{Path(folder).name}.lock"


@contextmanager
def writing(folder: Path) -> Iterator[None]:
    """Hold the run folder's lock for the block; RunBusy at once if another process holds it."""
    path = lock_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise RunBusy(
                    f"{folder} is being trained by {holder}; wait for it to finish or choose another name"
                ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)


def one_writer(is_writer: Callable[[], bool]) -> Callable[[Callable[..., Path]], Callable[..., Path]]:
    """Decorate a training function whose first argument has `.out` (the run folder): in the process that
    writes it (`is_writer()`: under torchrun, rank 0 only) it runs under the folder's lock."""

    def decorate(train: Callable[..., Path]) -> Callable[..., Path]:
        @functools.wraps(train)
        def locked(spec, *args, **kwargs) -> Path:
            if not is_writer():
                return train(spec, *args, **kwargs)
            with writing(spec.out):
                return train(spec, *args, **kwargs)

        return locked

    return decorate
