"""What a long poll waits on: a change of something this service hands out to its followers (the rules, the
adapters, the team's figures), announced by whoever put the new version in force."""
from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

# Waiters a change releases in one turn of the event loop: each one woken runs its request's rest (the check,
# the answer) in that turn, and a thousand woken at once held the loop ~100 ms.
WAKE_BATCH = 50


def _wake(waiter: asyncio.Future[None]) -> None:
    """Let one waiter go (released by a change, by shutdown, or at its timeout; once)."""
    if not waiter.done():
        waiter.set_result(None)


class Changes:
    """Waiters block until the next `announce()` (or `close()`, on shutdown), each on a future of its own: an
    announcement releases them WAKE_BATCH at a time, one batch a turn of the event loop — and with `per_s`, at
    most that many a second, so that a thousand followers' answers do not hold the loop at once either."""

    def __init__(self, per_s: float | None = None) -> None:
        self.per_s = per_s
        self.closing = False
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._releases: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None  # the waiters' (set by the first of them)

    def announce(self) -> None:
        """A new version is in force. Callable from any thread (a save runs in a worker thread)."""
        loop = self._loop
        if loop is None:
            return  # nobody has waited yet
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not loop:
            try:
                loop.call_soon_threadsafe(self._announce)
            except RuntimeError:
                pass  # the loop is closed: the service has stopped, nobody waits
        else:
            self._announce()

    def _announce(self) -> None:
        if not self._waiters:
            return
        waiters, self._waiters = self._waiters, deque()
        task = asyncio.ensure_future(self._release(waiters))
        self._releases.add(task)  # (kept until done: the loop holds only a weak reference to a task)
        task.add_done_callback(self._releases.discard)

    async def _release(self, waiters: deque[asyncio.Future[None]]) -> None:
        pause = WAKE_BATCH / self.per_s if self.per_s else 0.0
        while waiters:
            for _ in range(min(WAKE_BATCH, len(waiters))):
                _wake(waiters.popleft())
            if waiters:
                await asyncio.sleep(pause)

    def close(self) -> None:
        """Shutting down (on the waiters' loop): every waiter returns at once, and no one waits any more."""
        self.closing = True
        waiters, self._waiters = self._waiters, deque()
        for waiter in waiters:
            _wake(waiter)

    async def wait_while(self, current: Callable[[], str], digest: str, timeout: float) -> None:
        """Return when `current()` is no longer `digest` (or after `timeout` s, or on shutdown)."""
        deadline = time.monotonic() + timeout
        loop = self._loop = asyncio.get_running_loop()
        while current() == digest and not self.closing:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            timer = loop.call_later(left, _wake, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                if not waiter.done():  # the request went away (cancelled): not released, not kept
                    waiter.cancel()
                try:
                    self._waiters.remove(waiter)  # timed out or cancelled: out of the queue at once
                except ValueError:
                    pass  # released (or being released) by an announcement
