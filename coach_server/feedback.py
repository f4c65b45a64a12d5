"""What operators did with the coaching (dismissed, applied), as the live service receives it.

The service keeps the latest events in memory so that anyone can see the feedback arrive
(`GET /v1/feedback/recent`); a persistent store can subscribe with `add_sink`.
"""
from __future__ import annotations

import hashlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

log = logging.getLogger("coach.feedback")

Action = Literal["shown", "dismissed", "applied"]
ACTIONS: tuple[str, ...] = ("shown", "dismissed", "applied")


@dataclass(frozen=True)
class FeedbackEvent:
    ts: float
    action: str
    rule: str
    severity: str | None
    chat: str  # a hash of the chat id: which chat, without the console's identifiers
    operator: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def chat_hash(chat_id: str) -> str:
    return hashlib.sha256(chat_id.encode("utf-8")).hexdigest()[:16]


class FeedbackLog:
    def __init__(self, size: int = 1000):
        self.recent: deque[FeedbackEvent] = deque(maxlen=size)
        self._sinks: list[Callable[[FeedbackEvent], None]] = []

    def add_sink(self, sink: Callable[[FeedbackEvent], None]) -> None:
        self._sinks.append(sink)

    def record(self, action: str, rule: str, chat_id: str, severity: str | None = None,
               operator: str | None = None, ts: float | None = None) -> FeedbackEvent:
        event = FeedbackEvent(ts if ts is not None else time.time(), action, rule, severity, chat_hash(chat_id),
                              operator)
        self.recent.append(event)
        for sink in self._sinks:
            try:
                sink(event)
            except Exception:  # a failing store must not stop the coaching
                log.exception("feedback sink failed")
        return event
