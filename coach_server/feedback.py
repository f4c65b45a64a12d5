"""What operators did with the coaching (dismissed, applied), as the live service receives it.

The service keeps the latest events in memory so that a supervisor can see the feedback arrive
(`GET /v1/feedback/recent`, with the token); a persistent store can subscribe with `add_sink`. A sink says
whether it has written the event to its spool file and, when asked, syncs that file to the disk: whether
both happened is what the live endpoint's acknowledgement reports (`durable`).

The free-text fields are reduced to what they are before anything keeps them: the chat id to a hash, the
operator to a name (letters, spaces, a few digits and marks) — anything else, an e-mail or a phone number
in the console's name field, to a hash that still groups the operator's events but names nobody.
"""
from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
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


MAX_OPERATOR_CHARS = 100
MAX_NAME_DIGITS = 4  # «Оператор 2», "Agent 007" — a phone number has seven and more
_NAME = re.compile(r"[^\W\d_](?:[^\W_]|[ .,'’()\-])*")
_DIGIT = re.compile(r"\d")


def operator_label(name: str | None) -> str | None:
    """The operator as events keep them: a name as it is (spaces collapsed); anything that is no name — an
    e-mail, a phone number, a login full of digits — as «#» and a hash of it (the same operator still
    groups in the stats; nobody's address or number is kept)."""
    if name is None:
        return None
    name = " ".join(name.split())
    if not name:
        return None
    if (len(name) <= MAX_OPERATOR_CHARS and _NAME.fullmatch(name)
            and len(_DIGIT.findall(name)) <= MAX_NAME_DIGITS):
        return name
    return "#" + hashlib.sha256(name.encode("utf-8", "replace")).hexdigest()[:12]


# A sink receives each event; it returns True when it has written the event to a file of its own (its
# spool). Its `sync` (awaited by `keep_durably`) puts what it wrote on the disk and says whether it did.
Sink = Callable[[FeedbackEvent], "bool | None"]
Sync = Callable[[], Awaitable[bool]]


class FeedbackLog:
    def __init__(self, size: int = 1000):
        self.recent: deque[FeedbackEvent] = deque(maxlen=size)
        self._sinks: list[tuple[Sink, Sync | None]] = []

    def add_sink(self, sink: Sink, sync: Sync | None = None) -> None:
        self._sinks.append((sink, sync))

    def record(self, action: str, rule: str, chat_id: str, severity: str | None = None,
               operator: str | None = None, ts: float | None = None) -> FeedbackEvent:
        return self._record(action, rule, chat_id, severity, operator, ts)[0]

    async def keep_durably(self, action: str, rule: str, chat_id: str, severity: str | None = None,
                           operator: str | None = None, ts: float | None = None) -> tuple[FeedbackEvent, bool]:
        """Record an event; (the event, whether it is kept durably): written whole by a sink and then synced
        to the disk by it — only then may an acknowledgement say "kept"."""
        event, wrote = self._record(action, rule, chat_id, severity, operator, ts)
        durable = False
        for sync in wrote:
            try:
                durable = await sync() or durable
            except Exception:  # a failing store must not stop the coaching
                log.exception("feedback sink failed to sync")
        return event, durable

    def _record(self, action: str, rule: str, chat_id: str, severity: str | None, operator: str | None,
                ts: float | None) -> tuple[FeedbackEvent, list[Sync]]:
        event = FeedbackEvent(ts if ts is not None else time.time(), action, rule, severity, chat_hash(chat_id),
                              operator_label(operator))
        self.recent.append(event)
        wrote: list[Sync] = []
        for sink, sync in self._sinks:
            try:
                if sink(event) and sync is not None:
                    wrote.append(sync)
            except Exception:  # a failing store must not stop the coaching
                log.exception("feedback sink failed")
        return event, wrote
