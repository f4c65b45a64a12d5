"""What operators did with the coaching (dismissed, applied), as the live service receives it.

The service keeps the latest events in memory so that a supervisor can see the feedback arrive
(`GET /v1/feedback/recent`, with the token); a persistent store can subscribe with `add_sink`. A sink says
whether it has kept the event durably (a store writes it to its spool file before anything else), which is
what the live endpoint's acknowledgement reports.

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


# A sink receives each event; it returns True when it has kept the event durably (on disk).
Sink = Callable[[FeedbackEvent], "bool | None"]


class FeedbackLog:
    def __init__(self, size: int = 1000):
        self.recent: deque[FeedbackEvent] = deque(maxlen=size)
        self._sinks: list[Sink] = []

    def add_sink(self, sink: Sink) -> None:
        self._sinks.append(sink)

    def record(self, action: str, rule: str, chat_id: str, severity: str | None = None,
               operator: str | None = None, ts: float | None = None) -> FeedbackEvent:
        return self.keep(action, rule, chat_id, severity, operator, ts)[0]

    def keep(self, action: str, rule: str, chat_id: str, severity: str | None = None,
             operator: str | None = None, ts: float | None = None) -> tuple[FeedbackEvent, bool]:
        """Record an event; (the event, whether some sink has kept it durably)."""
        event = FeedbackEvent(ts if ts is not None else time.time(), action, rule, severity, chat_hash(chat_id),
                              operator_label(operator))
        self.recent.append(event)
        durable = False
        for sink in self._sinks:
            try:
                durable = bool(sink(event)) or durable
            except Exception:  # a failing store must not stop the coaching
                log.exception("feedback sink failed")
        return event, durable
