"""A team's rule sets in PostgreSQL, versioned: one truth for every node (`coach serve --rules-from-store`).

    rules = RuleSetStore("postgresql://coach@db/coach")
    version = await rules.commit(read_directory(Path("rules")).files, author="anna")   # coach rules push
    current = await rules.fetch()                      # the newest version (None: nothing pushed yet)
    newer = await rules.newer(current, wait=5.0)       # a node following the store (LISTEN/NOTIFY)

Every write — a push, a supervisor's save of one file, a rollback — makes a new version under one
transaction-scoped advisory lock: the base it was made from is compared with the newest version *under that
lock*, so of two saves from the same base exactly one succeeds and the other gets `StaleBase` (a 409 on the
supervisor page). The version is announced with NOTIFY on commit; nodes LISTEN on a connection of their own
and check the newest version on it every `wait` seconds as well, which is also how they notice a lost
connection. Nothing is ever deleted: a rollback is a new version with an old version's files.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

import asyncpg

from ..rulebook.ruleset import (
    MAX_VERSION,
    RuleSet,
    StaleBase,
    changes,
    file_digest,
    set_digest,
    summarize_changes,
)
from .base import StoreUnavailable
from .postgres import CONNECT_TIMEOUT_S, migrate, redact_url
from .schema import RULES_MIGRATIONS, SchemaTooNew

log = logging.getLogger("coach.rules")

CHANNEL = "coach_rules"  # NOTIFY channel: the payload is the new version's number
WRITE_LOCK = 0x0C0AC5  # pg_advisory_xact_lock key: one rule-set write at a time, across every node
QUERY_TIMEOUT_S = 10.0
HEALTH_TIMEOUT_S = 2.0  # the periodic check's one-row query (a frozen server: offline after the check + this)
MAX_AUTHOR_CHARS = 100
MAX_SUMMARY_CHARS = 500
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_label(text: str, limit: int) -> str:
    """An author or summary as stored: one line, printable, bounded."""
    return _CONTROL.sub(" ", text).strip()[:limit] or "?"


class RuleSetStore:
    """The versioned rule sets of one PostgreSQL database."""

    kind = "postgresql"
    mode: Literal["store"] = "store"  # as a source of a service's rules (service/rulewatch.py)

    def __init__(self, dsn: str, *, connect_timeout: float = CONNECT_TIMEOUT_S):
        self.dsn = dsn
        self.connect_timeout = connect_timeout
        self._migrated = False
        self._listener: asyncpg.Connection | None = None  # LISTENs; the newest version is checked on it
        self._working: asyncpg.Connection | None = None  # saves, history, fetches
        self._working_lock = asyncio.Lock()
        self._notified = asyncio.Event()
        self._lost = False

    @property
    def location(self) -> str:
        return redact_url(self.dsn)

    # --- connections ---------------------------------------------------------------------------------
    async def _connect(self) -> asyncpg.Connection:
        try:
            con = await asyncpg.connect(self.dsn, timeout=self.connect_timeout)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            raise StoreUnavailable(f"cannot reach {self.location}: {type(exc).__name__}: {exc}") from None
        if not self._migrated:
            try:
                await migrate(con, RULES_MIGRATIONS, table="coach_rules_schema", what="rule sets")
            except SchemaTooNew as exc:
                await con.close()
                raise StoreUnavailable(str(exc)) from None
            except BaseException:
                await con.close()
                raise
            self._migrated = True
        return con

    async def _run(self, work: Any) -> Any:
        """`await work(con)` on this store's working connection (opened when needed, kept: a save on a busy
        node costs no new handshake), one at a time; failures as StoreUnavailable, after which the
        connection is dropped and the next call opens another (StaleBase and LookupError pass). A kept
        connection the server has closed meanwhile (a database restart) is replaced once, at once: such a
        connection fails on its first statement, before anything is written."""
        async with self._working_lock:
            for attempt in (1, 2):
                reused = self._working is not None and not self._working.is_closed()
                con = self._working if reused else await self._connect()
                self._working = con
                try:
                    return await work(con)
                except (StaleBase, StoreUnavailable, LookupError):
                    raise
                except (asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.exceptions.OperatorInterventionError,
                        asyncpg.exceptions.PostgresConnectionError, asyncpg.InterfaceError, OSError) as exc:
                    await _close(con)
                    self._working = None
                    if reused and attempt == 1:
                        continue
                    raise StoreUnavailable(f"{self.location}: {type(exc).__name__}: {exc}") from None
                except (asyncpg.PostgresError, TimeoutError) as exc:
                    await _close(con)
                    self._working = None
                    raise StoreUnavailable(f"{self.location}: {type(exc).__name__}: {exc}") from None
                except BaseException:
                    await _close(con)
                    self._working = None
                    raise
            raise AssertionError("unreachable")

    async def close(self) -> None:
        listener, self._listener = self._listener, None
        working, self._working = self._working, None
        for con in (listener, working):
            if con is not None:
                await _close(con)

    # --- reading ---------------------------------------------------------------------------------------
    @staticmethod
    async def _head(con: asyncpg.Connection, timeout: float = QUERY_TIMEOUT_S) -> int | None:
        value = await con.fetchval("SELECT max(version) FROM rule_versions", timeout=timeout)
        return int(value) if value is not None else None

    @staticmethod
    async def _load(con: asyncpg.Connection, version: int | None) -> RuleSet | None:
        """A version's files and who made it when (None: the newest) — one round trip: a node loads the new
        version as soon as it hears of it, on an event loop busy with its operators."""
        rows = await con.fetch(
            "SELECT v.version, v.created_at, v.author, f.name, b.content FROM rule_versions v "
            "JOIN rule_version_files f ON f.version = v.version JOIN rule_blobs b ON b.digest = f.digest "
            "WHERE v.version = COALESCE($1, (SELECT max(version) FROM rule_versions))",
            version, timeout=QUERY_TIMEOUT_S)
        if not rows:
            return None
        first = rows[0]
        return RuleSet({r["name"]: bytes(r["content"]) for r in rows}, int(first["version"]),
                       float(first["created_at"]), first["author"])

    async def head(self) -> int | None:
        """The newest version's number; None when nothing was pushed yet."""
        result: int | None = await self._run(self._head)
        return result

    async def fetch(self, version: int | None = None) -> RuleSet | None:
        """A version's files (default: the newest); None when there is no such version."""
        if version is not None and not 1 <= version <= MAX_VERSION:
            return None  # no store numbers a version so (and PostgreSQL could not take the number)
        result: RuleSet | None = await self._run(lambda con: self._load(con, version))
        return result

    async def history(self, limit: int = 50, before: int | None = None) -> list[dict[str, Any]]:
        """The newest `limit` versions (older than `before`), newest first, with their per-file diffs."""
        async def work(con: asyncpg.Connection) -> list[dict[str, Any]]:
            rows = await con.fetch(
                "SELECT v.version, v.created_at, v.author, v.summary, v.restores, v.digest, v.changes, v.reason, "
                "(SELECT count(*) FROM rule_version_files f WHERE f.version = v.version) AS files "
                "FROM rule_versions v WHERE v.version < $1 ORDER BY v.version DESC LIMIT $2",
                before if before is not None else 1 << 62, max(1, min(int(limit), 1000)), timeout=QUERY_TIMEOUT_S)
            return [{"version": int(r["version"]), "created_at": float(r["created_at"]), "author": r["author"],
                     "summary": r["summary"], "reason": r["reason"], "restores": r["restores"], "digest": r["digest"],
                     "files": int(r["files"]), "changes": json.loads(r["changes"])} for r in rows]
        result: list[dict[str, Any]] = await self._run(work)
        return result

    # --- writing -----------------------------------------------------------------------------------------
    async def commit(self, files: Mapping[str, bytes], *, author: str, summary: str | None = None,
                     base_version: int | None = None, restores: int | None = None) -> RuleSet | None:
        """Make `files` the newest version (a push). With `base_version` (the newest version the files were
        made from), StaleBase when the newest version is another by the time the write lock is held.
        Returns the new version, or None when the newest version already holds exactly these files."""
        def build(current: RuleSet | None) -> Mapping[str, bytes]:
            head = current.version if current is not None else None
            if base_version is not None and head != base_version:
                raise StaleBase("(version)", f"the newest version is {head}, not {base_version}")
            return files
        return await self._write(build, author=author, summary=summary, restores=restores)

    async def save_file(self, name: str, content: bytes, *, base_digest: str, author: str,
                        reason: str = "") -> RuleSet | None:
        """A supervisor's save: the newest version with one file replaced — if, under the write lock, that
        file is still the one the edit was made from (`base_digest`); else StaleBase. LookupError when the
        store holds no rule set; None when the file already has this content."""
        def build(current: RuleSet | None) -> Mapping[str, bytes]:
            if current is None:
                raise LookupError("the store holds no rule set yet: push one with `coach rules push --store …`")
            if current.digests.get(name) != base_digest:
                raise StaleBase(name, f"changed since the edit was made from it (now in version {current.version})")
            return {**current.files, name: content}
        return await self._write(build, author=author, summary=None, reason=reason)

    async def rollback(self, version: int, *, author: str, check: Callable[[RuleSet], None] | None = None,
                       reason: str = "") -> RuleSet | None:
        """A new version with the files of `version` (LookupError when there is none); None when the newest
        version already holds them. `check` sees the files first and raises (UnusableVersion) to refuse them:
        a rollback is validated like a push."""
        target = await self.fetch(version)
        if target is None:
            raise LookupError(f"there is no rule set version {version}")
        if check is not None:
            check(target)
        return await self._write(lambda _current: target.files, author=author,
                                 summary=f"rollback to version {version}", restores=version, reason=reason)

    async def _write(self, build: Callable[[RuleSet | None], Mapping[str, bytes]], *, author: str,
                     summary: str | None, restores: int | None = None, reason: str = "") -> RuleSet | None:
        """The one way a version is made: under the write lock, `build(newest)` gives the new files (or
        raises StaleBase/LookupError); they become version newest + 1, announced with NOTIFY on commit.
        `reason`: why, in the author's words (the history shows it)."""
        author = clean_label(author, MAX_AUTHOR_CHARS)
        reason = _CONTROL.sub(" ", reason).strip()[:MAX_SUMMARY_CHARS]

        async def work(con: asyncpg.Connection) -> RuleSet | None:
            async with con.transaction():
                await con.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK, timeout=QUERY_TIMEOUT_S)
                current = await self._load(con, None)
                head = current.version if current is not None else None
                files = dict(build(current))
                wanted = {name: file_digest(raw) for name, raw in files.items()}
                if current is not None and dict(current.digests) == wanted:
                    return None
                version = (head or 0) + 1
                diff = changes(current.files if current is not None else {}, files,
                               old_label=f"version {head}" if head else "empty", new_label=f"version {version}")
                text = clean_label(summary or summarize_changes(diff), MAX_SUMMARY_CHARS)
                await con.executemany("INSERT INTO rule_blobs (digest, content) VALUES ($1, $2) "
                                      "ON CONFLICT (digest) DO NOTHING",
                                      [(wanted[name], raw) for name, raw in files.items()], timeout=QUERY_TIMEOUT_S)
                created_at = float(await con.fetchval(
                    "INSERT INTO rule_versions (version, created_at, author, summary, restores, digest, changes, reason) "
                    "VALUES ($1, extract(epoch from clock_timestamp()), $2, $3, $4, $5, $6, $7) RETURNING created_at",
                    version, author, text, restores, set_digest(wanted), json.dumps(diff, ensure_ascii=False), reason,
                    timeout=QUERY_TIMEOUT_S))
                await con.executemany("INSERT INTO rule_version_files (version, name, digest) VALUES ($1, $2, $3)",
                                      [(version, name, digest) for name, digest in wanted.items()],
                                      timeout=QUERY_TIMEOUT_S)
                await con.execute("SELECT pg_notify($1, $2)", CHANNEL, str(version), timeout=QUERY_TIMEOUT_S)
            log.info("rule set version %d by %s: %s", version, author, text)
            return RuleSet(files, version, created_at, author)
        result: RuleSet | None = await self._run(work)
        return result

    # --- following -------------------------------------------------------------------------------------
    async def _drop_listener(self) -> None:
        con, self._listener = self._listener, None
        if con is not None:
            await _close(con)

    async def _listening(self) -> asyncpg.Connection:
        con = self._listener
        if con is not None and not con.is_closed() and not self._lost:
            return con
        await self._drop_listener()
        self._lost = False
        con = await self._connect()

        def notified(*_: Any) -> None:
            self._notified.set()

        def lost(*_: Any) -> None:
            self._lost = True
            self._notified.set()

        try:
            await con.add_listener(CHANNEL, notified)
            con.add_termination_listener(lost)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            con.terminate()
            raise StoreUnavailable(f"cannot listen on {self.location}: {exc}") from None
        self._listener = con
        return con

    async def newer(self, current: RuleSet | None, wait: float) -> RuleSet | None:
        """The newest version when it is not `current`, waiting up to `wait` s for one (NOTIFY); None when
        `current` is still the newest, or the store holds none. StoreUnavailable when the store cannot be
        reached or the listening connection was lost (the caller retries: that is the periodic fallback)."""
        try:
            con = await self._listening()
            self._notified.clear()
            head = await self._head(con)
            known = current.version if current is not None else None
            if head is None:
                return None
            if head == known:
                try:
                    await asyncio.wait_for(self._notified.wait(), wait)
                except TimeoutError:  # the periodic check: the newest version's number only
                    if self._lost:
                        raise StoreUnavailable(f"the connection to {self.location} was lost") from None
                    # a quick answer or the store counts as away: a frozen server is said within seconds
                    head = await self._head(con, HEALTH_TIMEOUT_S)
                    return await self._load(con, head) if head is not None and head != known else None
                if self._lost:
                    raise StoreUnavailable(f"the connection to {self.location} was lost")
                newest = await self._load(con, None)  # notified: the new version in one round trip
                return newest if newest is not None and newest.version != known else None
            return await self._load(con, head)
        except StoreUnavailable:
            await self._drop_listener()
            raise
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            await self._drop_listener()
            raise StoreUnavailable(f"{self.location}: {type(exc).__name__}: {exc}") from None


async def _close(con: asyncpg.Connection) -> None:
    if con.is_closed():
        return
    try:
        await asyncio.wait_for(con.close(), 2)
    except Exception:
        con.terminate()
