"""What every feedback store shares: a queue that never blocks the coaching, masking, and the reports.

`submit` (a FeedbackLog sink) appends the event to the spool file next to the store (spool.py: what makes
it *kept*, and acknowledged as such) and to an in-memory queue, and wakes the writer; `record_conversation`
only queues. The writer (a thread for SQLite, a task for PostgreSQL) masks and writes batches. When the
database is unavailable or locked, the events stay queued (up to `max_pending`; beyond that new ones are
refused and counted) and in the spool, and are written when it is back — after a kill, by the next start:
a broken store never stops or slows the coaching, and never loses an event it acknowledged.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..caching import SizedLRU
from ..feedback import ACTIONS, FeedbackEvent
from .mask import mask_personal
from .spool import Spool
from .verdicts import Verdicts

log = logging.getLogger("coach.store")

BATCH = 500
RETRY_MIN_S = 0.25
RETRY_MAX_S = 5.0
SETTINGS_REFRESH_S = 10.0  # how often a service re-reads store-wide settings another service may change
EXAMPLES_PER_RULE = 3

INSERT_EVENT = ("INSERT INTO events (ts, action, rule, severity, chat, operator, text, eid) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (eid) DO NOTHING")
EVENT_COLUMNS = 8
UPSERT_CONVERSATION = (
    "INSERT INTO conversations (chat, operator, started_at, updated_at, messages) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (chat) DO UPDATE SET operator = excluded.operator, "
    "started_at = COALESCE(conversations.started_at, excluded.started_at), "
    "updated_at = excluded.updated_at, messages = excluded.messages")
UPSERT_SETTING = "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"


Row = tuple[Any, ...]  # one row of a table, as written or read
Item = tuple[str, Row]  # a queued write: ("event" | "conversation" | "setting", its row)


class StoreUnavailable(RuntimeError):
    """A read could not reach the store (it is down, locked or misconfigured)."""


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "on", "true", "yes")


class Batch:
    """Queued items sorted by table; conversations coalesced (only a chat's latest state matters) and their
    messages masked here, by the writer: off the event loop, once per chat and batch, each distinct text
    once while it is in `masked` (a chat recorded again costs only its new messages)."""

    def __init__(self, items: Sequence[Item], masked: SizedLRU[str, str] | None = None):
        self.events: list[Row] = []
        conversations: dict[str, Row] = {}
        settings: dict[str, Row] = {}
        for kind, row in items:
            if kind == "event":
                self.events.append(row)
            elif kind == "conversation":
                conversations[row[0]] = row
            elif kind == "setting":
                settings[row[0]] = row
        cache = masked if masked is not None else SizedLRU[str, str](0, 0, _masked_size)
        self.conversations = [(chat, operator, started, updated, json.dumps(
            [{"role": m["role"], "text": _mask_cached(m["text"], cache), "ts": m["ts"]} for m in messages],
            ensure_ascii=False)) for chat, operator, started, updated, messages in conversations.values()]
        self.settings = list(settings.values())


def _masked_size(text: str, masked: str) -> int:
    return 200 + 2 * (len(text) + len(masked))


def _mask_cached(text: str, cache: SizedLRU[str, str]) -> str:
    found = cache.get(text)
    if found is None:
        found = mask_personal(text)
        cache.put(text, found)
    return found


class Store(Verdicts):
    """The store of what the coaching did: feedback events, recorded conversations (text storage on),
    store-wide settings, and supervisors' verdicts on warnings (verdicts.py). A concrete store (SQLite,
    PostgreSQL) provides the connection and the writer."""

    kind = "none"

    def __init__(self, *, store_text: bool | None = None, max_pending: int = 100_000, spool: Path | None = None):
        # None: keep the store's setting; True/False: the service was started with it set (`--store-text`)
        self._initial_store_text = store_text
        self.store_text = bool(store_text)
        self.max_pending = max_pending
        self.spool = Spool(spool) if spool is not None else None
        self.masked: SizedLRU[str, str] = SizedLRU(20_000, 8 << 20, _masked_size)  # the writer's: text → masked
        self._pending: deque[Item] = deque()
        self._inflight: list[Item] = []
        self._lock = threading.Lock()
        self.dropped = 0
        self.written = 0
        self.connected = False
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self.schema_version: int | None = None
        self._settings_read_at = 0.0

    # --- what a concrete store provides -------------------------------------------------------------
    @property
    def location(self) -> str:
        raise NotImplementedError

    async def start(self) -> None:
        raise NotImplementedError

    async def close(self, timeout: float = 5.0) -> None:
        """Write what is queued within `timeout` s and stop; what is not written stays in the spool."""
        raise NotImplementedError

    def _wake(self) -> None:
        raise NotImplementedError

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a read query (written with `?` placeholders); raise StoreUnavailable when it cannot."""
        raise NotImplementedError

    _DAY_EXPR = "CAST(ts / 86400 AS INTEGER)"

    # --- writing: never blocks, never raises ------------------------------------------------------------
    def submit(self, event: FeedbackEvent, text: str | None = None) -> bool:
        """Keep one feedback event (the FeedbackLog sink): spooled and queued. `text` is kept only when text
        storage is on, masked. True when the event's whole line is in the spool (`sync_spool` puts it on the
        disk)."""
        stored_text = mask_personal(text) if self.store_text and text else None
        row = (float(event.ts), event.action, event.rule, event.severity, event.chat, event.operator, stored_text,
               uuid.uuid4().hex)
        return self._enqueue(("event", row), spool=True)

    async def sync_spool(self) -> bool:
        """Wait until the events spooled so far are on the disk (fsync, off the event loop; callers waiting
        at the same moment share one); True when they are."""
        if self.spool is None:
            return False
        return await asyncio.to_thread(self.spool.sync)

    def record_conversation(self, chat: str, operator: str | None, messages: Iterable[dict[str, Any]]) -> None:
        """Queue a chat's current transcript (chat = the hash of its id). Ignored unless text storage is on."""
        if not self.store_text:
            return
        raw = [{"role": m["role"], "text": m.get("text") or "", "ts": m.get("ts")} for m in messages]
        if not raw:
            return
        started = next((m["ts"] for m in raw if m["ts"] is not None), None)
        self._enqueue(("conversation", (chat, operator, started, time.time(), raw)))  # masked by the writer

    def set_store_text(self, on: bool) -> None:
        """Turn storing message text on or off for every service that shares this store."""
        self.store_text = bool(on)
        self._enqueue(("setting", ("store_text", "on" if on else "off")))

    def _enqueue(self, item: Item, *, spool: bool = False) -> bool:
        """Queue an item (and spool it, for an event); False when it could not be kept durably."""
        with self._lock:
            if len(self._pending) >= self.max_pending:
                self.dropped += 1  # the store has been away long: refuse the new, keep what was acknowledged
                return False
            kept = spool and self.spool is not None and self.spool.append(item[1])
            self._pending.append(item)
        self._wake()
        return kept

    def _written_all(self) -> None:
        """The writer has written everything it took: when nothing more is queued, the spool is emptied."""
        if self.spool is None:
            return
        with self._lock:
            if not self._pending and not self._inflight:
                self.spool.empty()

    def _take(self, n: int = BATCH) -> list[Item]:
        with self._lock:
            count = min(n, len(self._pending))
            return [self._pending.popleft() for _ in range(count)]

    @property
    def pending(self) -> int:
        return len(self._pending) + len(self._inflight)

    def _started(self) -> None:
        if self.spool is not None:
            earlier = [("event", tuple(row)) for row in self.spool.open() if len(row) == EVENT_COLUMNS]
            with self._lock:
                self._pending.extendleft(reversed(earlier))  # events from before a kill are written first
        if self._initial_store_text is not None:
            self.set_store_text(self._initial_store_text)

    def _close_spool(self) -> None:
        if self.spool is not None:
            self.spool.close()

    def describe(self, exc: BaseException) -> str:
        """An error as the store's status and log show it (a store with secrets takes them out)."""
        return f"{type(exc).__name__}: {exc}".strip()

    def _failed(self, exc: BaseException) -> None:
        message = self.describe(exc)
        if message != self.last_error:
            log.warning("feedback store %s unavailable (%d events kept in memory): %s", self.location,
                        self.pending, message)
        self.connected = False
        self.last_error = message
        self.last_error_at = time.time()

    def _succeeded(self) -> None:
        if not self.connected and self.last_error is not None:
            log.info("feedback store %s is back; queued events written", self.location)
        self.connected = True
        self.last_error = None

    def _apply_settings(self, rows: Iterable[tuple[str, str]]) -> None:
        settings = dict(rows)
        self.store_text = _truthy(settings.get("store_text"))
        self._settings_read_at = time.monotonic()

    def _settings_due(self) -> bool:
        return time.monotonic() - self._settings_read_at >= SETTINGS_REFRESH_S

    async def flush(self, timeout: float = 2.0) -> bool:
        """Wait until everything queued has been written (or `timeout`); True when nothing is left."""
        deadline = time.monotonic() + timeout
        self._wake()
        while self.pending:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    def status(self) -> dict[str, Any]:
        return {"kind": self.kind, "location": self.location, "connected": self.connected,
                "pending": self.pending, "dropped": self.dropped, "written": self.written,
                "last_error": self.last_error, "store_text": self.store_text,
                "schema_version": self.schema_version,
                "spool": None if self.spool is None else {"path": str(self.spool.path), "bytes": self.spool.size,
                                                          "failed": self.spool.failed}}

    # --- reading ---------------------------------------------------------------------------------------
    async def stats(self, since: float, until: float) -> dict[str, Any]:
        """Per rule: how often it was shown, dismissed and applied in [since, until), by operator and day."""
        rows = await self._fetch(
            f"SELECT rule, operator, action, {self._DAY_EXPR} AS day, COUNT(*) FROM events "
            "WHERE ts >= ? AND ts < ? GROUP BY rule, operator, action, day", (since, until))
        examples = await self._fetch(
            "SELECT rule, text, ts, operator FROM events WHERE action = 'dismissed' AND text IS NOT NULL "
            "AND ts >= ? AND ts < ? ORDER BY ts DESC LIMIT 500", (since, until))
        return summarize(rows, examples, since, until)

    async def conversations(self, since: float | None = None, until: float | None = None,
                            limit: int = 5000) -> list[dict[str, Any]]:
        """Recorded chats (newest first) in the corpus format of docs/audit.md."""
        rows = await self._fetch(
            "SELECT chat, operator, started_at, updated_at, messages FROM conversations "
            "WHERE updated_at >= ? AND updated_at < ? ORDER BY updated_at DESC LIMIT ?",
            (since or 0.0, until or 4_102_444_800.0, int(limit)))
        chats = []
        for chat, operator, _started, _updated, messages in rows:
            try:
                decoded = json.loads(messages)
            except ValueError:
                continue
            chats.append({"chat_id": chat, "operator": operator, "messages": decoded})
        return chats

    async def count_events(self) -> dict[str, Any]:
        """Everything the store holds, whenever written (a restart changes nothing): events by action, and the
        time of the first."""
        rows = await self._fetch("SELECT action, COUNT(*), MIN(ts) FROM events GROUP BY action")
        counts = {action: int(n) for action, n, _ in rows}
        firsts = [float(first) for _, _, first in rows if first is not None]
        return {"total": sum(counts.values()), "shown": counts.get("shown", 0),
                "dismissed": counts.get("dismissed", 0), "applied": counts.get("applied", 0),
                "since": min(firsts) if firsts else None}

    async def count_conversations(self) -> int:
        rows = await self._fetch("SELECT COUNT(*) FROM conversations")
        return int(rows[0][0]) if rows else 0

    async def events(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = await self._fetch("SELECT ts, action, rule, severity, chat, operator, text FROM events "
                                 "ORDER BY id DESC LIMIT ?", (int(limit),))
        keys = ("ts", "action", "rule", "severity", "chat", "operator", "text")
        return [dict(zip(keys, row)) for row in rows]


def _day(day: int) -> str:
    return datetime.fromtimestamp(int(day) * 86400, tz=UTC).strftime("%Y-%m-%d")


def summarize(rows: Iterable[Sequence[Any]], examples: Iterable[Sequence[Any]], since: float,
              until: float) -> dict[str, Any]:
    """Group (rule, operator, action, day, count) rows into the stats the supervisor page shows.

    Every dismissed or applied warning was shown, whether its `shown` event was recorded or not (an extension
    from before `shown` was sent, a show just before the period began): within each (rule, operator, day)
    `shown` is at least dismissed + applied, the shortfall counted in `shown_unrecorded`. Rules, operators,
    days and the totals are sums of those same cells, so every level adds up, and each share is of its own
    `shown`: shown = dismissed + applied + left (shown and neither dismissed nor applied)."""
    cells: dict[tuple[str, str, int], dict[str, int]] = {}
    for rule, operator, action, day, count in rows:
        if action in ACTIONS:
            cell = cells.setdefault((rule, operator or "", int(day)), dict.fromkeys(ACTIONS, 0))
            cell[action] += int(count)
    rules: dict[str, dict[str, Any]] = {}
    operators: dict[tuple[str, str], dict[str, int]] = {}
    days: dict[int, dict[str, int]] = {}
    totals = _no_counts()
    for (rule, operator, day), cell in cells.items():
        counts = _known(cell)
        entry = rules.setdefault(rule, {"rule": rule, **_no_counts(), "examples": []})
        for target in (entry, operators.setdefault((rule, operator), _no_counts()),
                       days.setdefault(day, _no_counts()), totals):
            for key, n in counts.items():
                target[key] += n
    for rule, text, ts, operator in examples:
        listed = rules.get(rule)
        if listed is not None and len(listed["examples"]) < EXAMPLES_PER_RULE:
            listed["examples"].append({"text": text, "ts": ts, "operator": operator})
    out = []
    for entry in rules.values():
        _shares(entry)
        entry["often_dismissed"] = often_dismissed(entry)
        entry["operators"] = sorted(
            ({"operator": name or None, **_shares(counts)} for (rule, name), counts in operators.items()
             if rule == entry["rule"]),
            key=lambda o: (-o["shown"], -o["dismissed"], o["operator"] or ""))
        out.append(entry)
    # the rules to fix first: dismissed most of the time; then by the share, those shown too rarely to tell last
    out.sort(key=lambda e: (not e["often_dismissed"], e["shown"] < OFTEN_DISMISSED_MIN_SHOWN,
                            -(e["dismiss_rate"] or 0), -e["shown"], e["rule"]))
    return {"since": since, "until": until, "totals": _shares(totals), "rules": out,
            "days": [{"day": _day(d), **_shares(counts)} for d, counts in sorted(days.items())]}


COUNTS = (*ACTIONS, "shown_unrecorded", "left")
OFTEN_DISMISSED = 0.5  # a rule dismissed at least this share of the times it was shown is a rule to fix…
OFTEN_DISMISSED_MIN_SHOWN = 5  # …once it was shown this many times (one dismissal of one show says little)


def _no_counts() -> dict[str, Any]:
    return dict.fromkeys(COUNTS, 0)


def _known(cell: dict[str, int]) -> dict[str, int]:
    """One (rule, operator, day) cell with what it implies: shows at least as many as actions."""
    acted = cell["dismissed"] + cell["applied"]
    unrecorded = max(0, acted - cell["shown"])
    shown = cell["shown"] + unrecorded
    return {"shown": shown, "dismissed": cell["dismissed"], "applied": cell["applied"],
            "shown_unrecorded": unrecorded, "left": shown - acted}


def _shares(counts: dict[str, Any]) -> dict[str, Any]:
    counts["dismiss_rate"] = dismiss_rate(counts)
    return counts


def dismiss_rate(counts: dict[str, int]) -> float | None:
    """Dismissed ÷ shown (None when nothing was shown: no share of nothing)."""
    shown = counts.get("shown", 0)
    return round(counts.get("dismissed", 0) / shown, 4) if shown else None


def often_dismissed(counts: dict[str, Any]) -> bool:
    rate = counts.get("dismiss_rate")
    return rate is not None and rate >= OFTEN_DISMISSED and counts["shown"] >= OFTEN_DISMISSED_MIN_SHOWN
