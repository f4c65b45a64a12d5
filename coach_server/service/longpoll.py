"""What a long poll waits on: a change of something this service hands out to its followers (the rules, the
adapters, the team's figures), announced by whoever put the new version in force."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class Changes:
    """Waiters block until the next `announce()` (or `close()`, on shutdown). The event is replaced on every
    announcement, so a waiter woken by one change waits for the next one afresh."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.closing = False
        self._woken: dict[int, int] = {}  # how many waiters the latest change has released so far (paced)

    def announce(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    def close(self) -> None:
        """Shutting down: every waiter returns at once, and no one waits any more."""
        self.closing = True
        self._event.set()

    async def wait_while(self, current: Callable[[], str], digest: str, timeout: float, *,
                         per_s: float | None = None) -> None:
        """Return when `current()` is no longer `digest` (or after `timeout` s, or on shutdown). With `per_s`,
        the waiters one change wakes return at most that many a second, so that a thousand followers' answers
        do not hold the event loop at once."""
        deadline = time.monotonic() + timeout
        while current() == digest and not self.closing:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            event = self._event
            try:
                await asyncio.wait_for(event.wait(), left)
            except TimeoutError:
                return
            if per_s is not None and not self.closing:
                turn = self._woken.get(id(event), 0)
                self._woken = {id(event): turn + 1}
                await asyncio.sleep(turn / per_s)
