"""The default feedback store: one SQLite file in the user's data directory (WAL, versioned schema).

A dedicated writer thread owns the write connection, so the event loop never waits on the disk. A lock
held by another process (`database is locked`) or a missing/unwritable directory is a failed attempt: the
events stay queued and the writer retries with a growing pause (0.25 s … 5 s) until the file is back.
Reads (the supervisor's stats, recorded conversations) run in a worker thread on their own connection;
WAL lets them proceed while the writer writes.
"""
from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .base import (
    BATCH,
    INSERT_EVENT,
    RETRY_MAX_S,
    RETRY_MIN_S,
    SETTINGS_REFRESH_S,
    UPSERT_CONVERSATION,
    UPSERT_SETTING,
    Batch,
    Row,
    Store,
    StoreUnavailable,
)
from .schema import SCHEMA_VERSION, SQLITE_MIGRATIONS, SchemaTooNew
from .verdicts import Statement

log = logging.getLogger("coach.store")

BUSY_TIMEOUT_MS = 200  # how long one write attempt waits for another process's lock before retrying later


def connect(path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    con = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000, isolation_level=None,
                          check_same_thread=False)
    try:
        con.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        con.close()
        raise
    return con


def migrate(con: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the file's schema to `target` (each migration in its own transaction); return the version."""
    version: int = con.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(version)
    while version < target:
        con.execute("BEGIN IMMEDIATE")
        try:
            version = con.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated
            if version >= target:
                con.execute("COMMIT")
                break
            for statement in SQLITE_MIGRATIONS[version]:
                con.execute(statement)
            con.execute(f"PRAGMA user_version = {version + 1}")
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        version += 1
        log.info("feedback store schema migrated to version %d", version)
    return version


class SQLiteStore(Store):
    kind = "sqlite"

    def __init__(self, path: str | Path, **kwargs: Any):
        super().__init__(**kwargs)
        self.path = Path(path).expanduser()
        self._con: sqlite3.Connection | None = None
        self._wake_event = threading.Event()
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def location(self) -> str:
        return str(self.path)

    # --- lifecycle -----------------------------------------------------------------------------------
    async def start(self) -> None:
        if self._thread is not None:
            return
        self._started()
        self._thread = threading.Thread(target=self._run, name="coach-feedback-sqlite", daemon=True)
        self._thread.start()

    async def close(self, timeout: float = 5.0) -> None:
        """Write what is queued within `timeout` s; what is not written stays in the spool for the next start."""
        if self._thread is None:
            return
        deadline = time.monotonic() + timeout
        await self.flush(timeout=timeout)
        self._stop_event.set()
        self._wake_event.set()
        await asyncio.to_thread(self._thread.join, max(0.3, deadline - time.monotonic()))
        self._thread = None
        self._close_spool()
        if self.pending:
            log.warning("feedback store %s closed with %d events not written (kept in its spool): %s",
                        self.location, self.pending, self.last_error)

    def _wake(self) -> None:
        self._wake_event.set()

    # --- the writer thread ---------------------------------------------------------------------------
    def _run(self) -> None:
        delay = RETRY_MIN_S
        while True:
            ok = self.write_pending()
            if self._stop_event.is_set():
                break
            if ok:
                delay = RETRY_MIN_S
                self._wake_event.wait(SETTINGS_REFRESH_S)
                self._wake_event.clear()
            else:
                # failing: wait out the pause whatever arrives (new events just queue), unless stopping
                self._stop_event.wait(delay)
                delay = min(delay * 2, RETRY_MAX_S)
        if self._con is not None:
            self._con.close()
            self._con = None

    def _connection(self) -> sqlite3.Connection:
        if self._con is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = connect(self.path)
            try:
                self.schema_version = migrate(con)
            except BaseException:
                con.close()
                raise
            self._con = con
        return self._con

    def write_pending(self) -> bool:
        """Write everything queued; False (events kept) when the database cannot be written now."""
        if self.spool is not None:
            self.spool.sync()
        try:
            con = self._connection()
            while True:
                if not self._inflight:
                    self._inflight = self._take(BATCH)
                if not self._inflight:
                    break
                self._write(con, Batch(self._inflight, self.masked))
                self.written += len(self._inflight)
                self._inflight = []
            self._written_all()
            if self._settings_due():
                self._apply_settings(con.execute("SELECT key, value FROM settings").fetchall())
            self._succeeded()
            return True
        except (sqlite3.Error, OSError, SchemaTooNew) as exc:
            self._failed(exc)
            if self._con is not None:
                try:
                    self._con.close()
                except sqlite3.Error:
                    pass
                self._con = None
            return False

    @staticmethod
    def _write(con: sqlite3.Connection, batch: Batch) -> None:
        con.execute("BEGIN IMMEDIATE")
        try:
            if batch.events:
                con.executemany(INSERT_EVENT, batch.events)
            if batch.conversations:
                con.executemany(UPSERT_CONVERSATION, batch.conversations)
            if batch.settings:
                con.executemany(UPSERT_SETTING, batch.settings)
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise

    # --- reading ---------------------------------------------------------------------------------------
    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await asyncio.to_thread(self._fetch_sync, sql, tuple(params))

    async def _execute(self, statements: Sequence[Statement], *, notify: str | None = None) -> list[Row]:
        """Statements in one transaction on a connection of their own, off the loop (a supervisor's verdict:
        written when the answer says so). `notify` is for stores that can announce; here others poll."""
        return await asyncio.to_thread(self._execute_sync, [(sql, tuple(params)) for sql, params in statements])

    def _execute_sync(self, statements: list[tuple[str, Row]]) -> list[Row]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = connect(self.path, busy_timeout_ms=5000)
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"cannot open {self.path}: {exc}") from None
        try:
            if con.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                migrate(con)
            con.execute("BEGIN IMMEDIATE")
            rows: list[Row] = []
            try:
                for sql, params in statements:
                    rows = con.execute(sql, params).fetchall()
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
            return rows
        except (sqlite3.Error, SchemaTooNew) as exc:
            raise StoreUnavailable(f"cannot write {self.path}: {exc}") from None
        finally:
            con.close()

    def _fetch_sync(self, sql: str, params: Row) -> list[Row]:
        if not self.path.exists():
            return []  # nothing recorded yet
        try:
            con = connect(self.path, busy_timeout_ms=2000)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open {self.path}: {exc}") from None
        try:
            if con.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                migrate(con)
            return con.execute(sql, params).fetchall()
        except (sqlite3.Error, SchemaTooNew) as exc:
            raise StoreUnavailable(f"cannot read {self.path}: {exc}") from None
        finally:
            con.close()
