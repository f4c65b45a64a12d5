"""Supervisors' verdicts on warnings, kept in the feedback store (schema version 4), and what they changed.

A supervisor judges warnings on the team's own chats («Проверка подсказок», docs/supervisor.md): one verdict per
warning and supervisor, which they may change or take back (undo). The store keeps, with each verdict, where the
warning fired and a short quote of the message and of the client before it — masked like recorded text — so
that the verdicts behind a figure can be read, and exported to the labels format `coach quality` reads, without
the chats. Every write also moves a counter (`settings.verdicts_revision`) in the same transaction: a node learns
that the team's verdicts changed by that number — on PostgreSQL at once, by NOTIFY on `coach_verdicts`; on
SQLite (one machine, perhaps several `--workers`) by looking at it every `POLL_S`.

The figures the engine uses are the agreed counts per rule and trigger (rulebook/precision.py `TeamCounts`).
"""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..rulebook.precision import TeamCounts, VerdictRow
from .mask import mask_personal

NOTIFY_CHANNEL = "coach_verdicts"
REVISION_KEY = "verdicts_revision"
POLL_S = 0.5  # SQLite: how often a node looks at the counter (other workers' verdicts reach it within this)
MAX_QUOTE_CHARS = 400  # as the labels file keeps them
MAX_REASON_CHARS = 500
MAX_LIST = 2000

COLUMNS = ("item", "supervisor", "ts", "corpus", "chat", "message", "rule", "trigger", "lang", "channel", "span",
           "quote", "client", "verdict", "category", "reason")
UPSERT = (f"INSERT INTO verdicts ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
          "ON CONFLICT (item, supervisor) DO UPDATE SET " + ", ".join(
              f"{c} = excluded.{c}" for c in COLUMNS if c not in ("item", "supervisor")))
BUMP = ("INSERT INTO settings (key, value) VALUES ('verdicts_revision', '1') ON CONFLICT (key) DO UPDATE "
        "SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT)")
REVISION = "SELECT value FROM settings WHERE key = 'verdicts_revision'"

Statement = tuple[str, Sequence[Any]]


@dataclass(frozen=True)
class StoredVerdict:
    """One supervisor's verdict on one warning, as kept."""

    item: str  # the warning's key (quality/findings.label_key): corpus, chat, message, rule, flagged piece, channel
    supervisor: str  # the token holder's name
    ts: float
    corpus: str
    chat: str
    message: int
    rule: str
    trigger: str
    lang: str
    channel: str
    span: str | None
    quote: str
    client: str
    verdict: str  # "correct" | "wrong"
    category: str  # quality/blind.py WRONG_CATEGORIES, when wrong
    reason: str  # the supervisor's own words

    def row(self) -> tuple[Any, ...]:
        return tuple(getattr(self, c) for c in COLUMNS)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def masked(self) -> StoredVerdict:
        """As stored: the quotes masked like recorded text, everything bounded."""
        return StoredVerdict(
            self.item, self.supervisor[:100], self.ts, self.corpus[:200], self.chat[:200], self.message,
            self.rule, self.trigger, self.lang, self.channel, self.span[:MAX_QUOTE_CHARS] if self.span else self.span,
            mask_personal(self.quote)[:MAX_QUOTE_CHARS], mask_personal(self.client)[:MAX_QUOTE_CHARS],
            self.verdict, self.category, self.reason[:MAX_REASON_CHARS])


def _verdict(row: Sequence[Any]) -> StoredVerdict:
    values = dict(zip(COLUMNS, row, strict=True))
    values["ts"] = float(values["ts"])
    values["message"] = int(values["message"])
    return StoredVerdict(**values)


class Verdicts:
    """The verdicts part of a store (mixed into store/base.py `Store`). A concrete store provides `_fetch` (a
    read) and `_execute` (statements in one transaction, the last one's rows returned; `notify`: a channel told
    on commit, where the database can)."""

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    async def _execute(self, statements: Sequence[Statement], *, notify: str | None = None) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    async def _bumped(self, statements: list[Statement]) -> int:
        rows = await self._execute([*statements, (BUMP, ()), (REVISION, ())], notify=NOTIFY_CHANNEL)
        return int(rows[0][0]) if rows else 0

    # --- writing ---------------------------------------------------------------------------------------
    async def put_verdict(self, verdict: StoredVerdict) -> int:
        """Keep a verdict (replacing this supervisor's earlier one on the same warning); the new revision."""
        return await self._bumped([(UPSERT, verdict.masked().row())])

    async def remove_verdict(self, item: str, supervisor: str) -> int:
        """Take a supervisor's verdict back (undo); the new revision."""
        return await self._bumped([("DELETE FROM verdicts WHERE item = ? AND supervisor = ?", (item, supervisor))])

    async def record_status_changes(self, changes: Sequence[dict[str, Any]], author: str) -> None:
        """Keep what the team's verdicts changed in what operators see, with who and the figures (the why)."""
        if not changes:
            return
        now = time.time()
        await self._execute([(
            "INSERT INTO status_changes (ts, rule, trigger, lang, shown, author, why) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (now, c["rule"], c["trigger"], c["lang"], int(bool(c["shown"])), author[:100],
             json.dumps(c, ensure_ascii=False))) for c in changes])

    # --- reading ---------------------------------------------------------------------------------------
    async def verdicts_revision(self) -> int:
        rows = await self._fetch(REVISION)
        return int(rows[0][0]) if rows else 0

    async def verdicts(self, *, rule: str | None = None, corpus: str | None = None, supervisor: str | None = None,
                       item: str | None = None, limit: int = MAX_LIST) -> list[StoredVerdict]:
        """The verdicts kept (newest first), of one rule, corpus, supervisor or warning when given."""
        where, params = [], []
        for column, value in (("rule", rule), ("corpus", corpus), ("supervisor", supervisor), ("item", item)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = (f"SELECT {', '.join(COLUMNS)} FROM verdicts" + (f" WHERE {' AND '.join(where)}" if where else "")
               + " ORDER BY ts DESC, id DESC LIMIT ?")
        return [_verdict(r) for r in await self._fetch(sql, (*params, max(1, min(int(limit), 100_000))))]

    async def verdict_rows(self) -> list[VerdictRow]:
        rows = await self._fetch("SELECT item, supervisor, rule, trigger, lang, verdict FROM verdicts")
        return [(str(a), str(b), str(c), str(d), str(e), str(f)) for a, b, c, d, e, f in rows]

    async def team_counts(self) -> TeamCounts:
        """The team's figures as they are now."""
        revision = await self.verdicts_revision()
        return TeamCounts.of(await self.verdict_rows(), revision)

    async def status_changes(self, limit: int = 50, before: int | None = None) -> list[dict[str, Any]]:
        """What the team's verdicts changed in what operators see, newest first."""
        rows = await self._fetch("SELECT id, ts, author, why FROM status_changes WHERE id < ? ORDER BY id DESC LIMIT ?",
                                 (before if before is not None else 1 << 62, max(1, min(int(limit), 1000))))
        out = []
        for id_, ts, author, why in rows:
            try:
                figures = json.loads(why)
            except ValueError:
                continue
            out.append({**figures, "id": int(id_), "ts": float(ts), "author": author})
        return out

    # --- following ---------------------------------------------------------------------------------------
    async def wait_verdicts(self, known: int | None, wait: float) -> int:
        """The revision once it is not `known`, or after `wait` s. Here: looked at every POLL_S (a store that
        can announce a change — PostgreSQL's NOTIFY — answers at once)."""
        deadline = time.monotonic() + wait
        while True:
            revision = await self.verdicts_revision()
            if revision != known or time.monotonic() >= deadline:
                return revision
            await asyncio.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))

    async def team_newer(self, current: TeamCounts | None, wait: float) -> TeamCounts | None:
        """The team's figures when the verdicts changed since `current`, waiting up to `wait` s for a change;
        None when nothing changed. StoreUnavailable when the store cannot be read."""
        revision = await self.wait_verdicts(current.revision if current is not None else None, wait)
        if current is not None and revision == current.revision:
            return None
        return TeamCounts.of(await self.verdict_rows(), revision)
