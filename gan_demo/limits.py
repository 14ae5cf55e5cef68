"""Time limits for work done on behalf of one request (the app runs model events one at a time)."""

from __future__ import annotations

import time
from collections.abc import Callable


class TimeLimitExceeded(RuntimeError):
    """The request ran past its time limit; the message is meant for the user."""


class Deadline:
    """A point in time after which `check()` raises TimeLimitExceeded; call it between steps of the work."""

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self) -> float:
        return self._end - self._clock()

    def check(self) -> None:
        if self.remaining() < 0:
            raise TimeLimitExceeded(
                f"stopped after {self.seconds:.0f} s, the time limit for one request (ask for fewer or smaller images)"
            )
