"""The service's memory, kept within bounds whatever arrives.

Every cache is bounded — analysed texts by bytes, word-level facts by entries — but a flood of distinct
maximal messages full of words never seen fills the word caches with entries of one to ten kilobytes each,
and CPython hands freed memory back to the system only in whole arenas. So the service watches its own
resident size: past SOFT_LIMIT_MB it empties its caches (what is needed again is analysed again, and the
memory freed is what new requests reuse), gives glibc's free pages back, and logs it. It does that again
only if the size grows a further STEP_MB: a peak that does not shrink is not a reason to empty the caches
every few seconds. Under ordinary use (an operator's chats) the caches never come near the limit.

What live chats have analysed (`LiveHub`, chatmemory.py) is not a cache to empty at the first limit: it is
bounded by itself (its estimate is the guard's `allowance`, room on top of the soft limit), and a few
hundred chats analysed anew at once would stall every keystroke for seconds. Only past HARD_LIMIT_MB —
hostile texts filling both the caches and the chats — do the chats let theirs go too.
"""
from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import os
from collections.abc import Callable

log = logging.getLogger("coach.service")

SOFT_LIMIT_MB = 180.0
HARD_LIMIT_MB = 235.0
STEP_MB = 15.0
INTERVAL_S = 2.0
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_mb() -> float | None:
    """This process's resident set size in MB (Linux), or None where it cannot be read."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * _PAGE / 2**20
    except (OSError, ValueError, IndexError):
        return None


def _trim() -> None:
    """Give the free pages of glibc's heap back to the system (where glibc is the C library)."""
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        ctypes.CDLL(name).malloc_trim(0)
    except (OSError, AttributeError):
        pass


class MemoryGuard:
    def __init__(self, shed: Callable[[], None], soft_limit_mb: float = SOFT_LIMIT_MB, step_mb: float = STEP_MB,
                 interval: float = INTERVAL_S, measure: Callable[[], float | None] = resident_mb, *,
                 shed_more: Callable[[], None] | None = None, hard_limit_mb: float = HARD_LIMIT_MB,
                 allowance: Callable[[], float] | None = None):
        self.shed = shed
        self.shed_more = shed_more  # what goes too when the caches were not enough (past hard_limit_mb)
        self.hard_limit_mb = hard_limit_mb
        self.allowance = allowance  # MB held by what shed_more lets go, bounded on its own: not the caches'
        self.soft_limit_mb = soft_limit_mb
        self.step_mb = step_mb
        self.interval = interval
        self.measure = measure
        self.threshold = soft_limit_mb  # the size past which the caches are emptied next (less the allowance)
        self.hard_threshold = hard_limit_mb  # …and everything, whatever the allowance
        self.sheds = 0

    def look(self) -> bool:
        """Empty the caches if the process has grown past the threshold; True when it did."""
        rss = self.measure()
        allowed = self.allowance() if self.allowance is not None else 0.0
        if rss is None or (rss - allowed <= self.threshold and rss <= self.hard_threshold):
            return False
        self.shed()
        hard = self.shed_more is not None and rss > self.hard_threshold
        if self.shed_more is not None and hard:
            self.shed_more()
            allowed = 0.0
        gc.collect()
        _trim()
        after = self.measure() or rss
        self.threshold = max(self.soft_limit_mb, after - allowed) + self.step_mb
        if hard:  # (freed memory is not always given back: a size that stays is no reason to shed again)
            self.hard_threshold = max(self.hard_limit_mb, after) + self.step_mb
        self.sheds += 1
        log.info("memory: %.0f MB resident, over %.0f MB: the caches were emptied (%.0f MB now; next at %.0f MB)",
                 rss, self.soft_limit_mb, after, self.threshold)
        return True

    async def watch(self) -> None:
        """Look every `interval` seconds, until cancelled."""
        while True:
            await asyncio.sleep(self.interval)
            self.look()
