"""How long the garbage collector held the process, per generation: a collection holds the event loop like any
other work, and under hundreds of live chats its pauses are what a keystroke's slowest round trips wait for.
`/healthz` reports them (`process.gc`); bench/load_ws.py prints them beside the round trips."""
from __future__ import annotations

import gc
import time
from typing import Any


class GcPauses:
    """Counts the collections of each generation and times them, from `watch()` on (a callback per
    collection: two clock readings)."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.total_s = [0.0, 0.0, 0.0]
        self.longest_s = [0.0, 0.0, 0.0]
        self._started: float | None = None

    def watch(self) -> None:
        if self._callback not in gc.callbacks:
            gc.callbacks.append(self._callback)

    def stop(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        if self._started is None:
            return
        took = time.perf_counter() - self._started
        self._started = None
        generation = info["generation"]
        self.count[generation] += 1
        self.total_s[generation] += took
        if took > self.longest_s[generation]:
            self.longest_s[generation] = took

    def summary(self) -> dict[str, Any]:
        """Per generation: collections, their time in all and the longest (ms); and the thresholds in force."""
        return {"thresholds": list(gc.get_threshold()),
                **{f"gen{g}": {"collections": self.count[g], "total_ms": round(self.total_s[g] * 1e3, 1),
                               "longest_ms": round(self.longest_s[g] * 1e3, 1)} for g in range(3)}}


# the service's own (one per process; `settle_memory` starts it once the engine is loaded and warmed)
PAUSES = GcPauses()
