"""A shared feedback store on PostgreSQL (asyncpg): many operators' services write to one database.

The same schema as the SQLite file (see schema.py), migrated under an advisory lock so that services
starting together do not race. The writer is a task on the service's event loop; asyncpg never blocks the
loop. When the server is down the events stay queued and the writer reconnects with a growing pause.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

import asyncpg

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
from .schema import POSTGRES_MIGRATIONS, SchemaTooNew
from .verdicts import NOTIFY_CHANNEL, REVISION, Statement

HEALTH_TIMEOUT_S = 2.0  # the listening connection's periodic one-row query (a frozen server: away after this)

log = logging.getLogger("coach.store")

MIGRATION_LOCK = 0x0C0AC4  # pg_advisory_xact_lock key: one service migrates at a time
CONNECT_TIMEOUT_S = 5.0


def to_dollar_params(sql: str) -> str:
    """`?` placeholders (the SQLite style the shared queries use) → asyncpg's `$1, $2, …`."""
    counter = iter(range(1, 1000))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


# query parameters of a connection URL that carry a secret (libpq's and common ones)
_SECRET_PARAMS = frozenset({"password", "pass", "passwd", "pwd", "sslpassword", "secret", "token", "access_token",
                            "api_key", "apikey", "key", "sslkey", "auth"})


def redact_url(url: str) -> str:
    """`url` as it may be shown: a password in the user-info (`user:secret@`) and the values of secret query
    parameters (`?password=…`, `sslpassword`, `token`, …) replaced by `***`."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            if ":" in userinfo:
                userinfo = userinfo.split(":", 1)[0] + ":***"
            netloc = f"{userinfo}@{host}"
        query = "&".join(_redact_param(p) for p in parts.query.split("&"))
        return (f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if parts.query else "")
                + (f"#{parts.fragment}" if parts.fragment else ""))
    except ValueError:  # not parseable as a URL: show nothing of it beyond its scheme
        return url.split("://", 1)[0] + "://***" if "://" in url else "***"


def _redact_param(param: str) -> str:
    name, sep, _ = param.partition("=")
    return f"{name}=***" if sep and name.strip().lower() in _SECRET_PARAMS else param


def secrets_of(url: str) -> list[str]:
    """The secret values in a URL (to take out of any message that might quote them)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = [parts.password] if parts.password else []
    for param in parts.query.split("&"):
        name, sep, value = param.partition("=")
        if sep and value and name.strip().lower() in _SECRET_PARAMS:
            found.append(unquote(value))
            found.append(value)
    return [f for f in found if len(f) >= 3]


async def migrate(con: asyncpg.Connection, migrations: list[list[str]] = POSTGRES_MIGRATIONS, *,
                  table: str = "coach_schema", what: str = "feedback store") -> int:
    """Bring one list of migrations (the feedback store's by default) to its newest version, under the
    advisory lock; `table` is the one-row table that keeps that list's version. Returns the version."""
    target = len(migrations)
    async with con.transaction():
        await con.execute(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        await con.execute(f"CREATE TABLE IF NOT EXISTS {table} (version INTEGER NOT NULL)")
        version: int | None = await con.fetchval(f"SELECT version FROM {table}")
        if version is None:
            await con.execute(f"INSERT INTO {table} (version) VALUES (0)")
            version = 0
        if version > target:
            raise SchemaTooNew(version, target)
        while version < target:
            for statement in migrations[version]:
                await con.execute(statement)
            version += 1
            await con.execute(f"UPDATE {table} SET version = $1", version)
            log.info("%s schema migrated to version %d", what, version)
    return version


class PostgresStore(Store):
    kind = "postgresql"
    _DAY_EXPR = "CAST(FLOOR(ts / 86400) AS BIGINT)"

    def __init__(self, dsn: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.dsn = dsn
        self._con: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake_event: asyncio.Event | None = None
        self._stopping = False
        self._migrated = False
        self._listener: asyncpg.Connection | None = None  # LISTENs for the team's verdicts (verdicts.py)
        self._verdicts_notified = asyncio.Event()
        self._listener_lost = False

    @property
    def location(self) -> str:
        return redact_url(self.dsn)

    def describe(self, exc: BaseException) -> str:
        message = super().describe(exc)
        for secret in secrets_of(self.dsn):  # a driver's message may quote the URL it was given
            message = message.replace(secret, "***")
        return message

    # --- lifecycle -----------------------------------------------------------------------------------
    async def start(self) -> None:
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._wake_event = asyncio.Event()
        self._started()
        self._task = asyncio.ensure_future(self._run())

    async def close(self, timeout: float = 5.0) -> None:
        if self._task is None:
            return
        deadline = time.monotonic() + timeout
        await self.flush(timeout=timeout)
        self._stopping = True
        self._wake()
        try:
            await asyncio.wait_for(self._task, max(0.3, deadline - time.monotonic()))
        except (TimeoutError, asyncio.CancelledError):
            self._task.cancel()
        self._task = None
        await self._drop_connection()
        await self._drop_listener()
        self._close_spool()
        if self.pending:
            log.warning("feedback store %s closed with %d events not written (kept in its spool): %s",
                        self.location, self.pending, self.last_error)

    def _wake(self) -> None:
        loop, event = self._loop, self._wake_event
        if loop is None or event is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            event.set()
        else:
            loop.call_soon_threadsafe(event.set)

    # --- the writer task -----------------------------------------------------------------------------
    async def _run(self) -> None:
        delay = RETRY_MIN_S
        assert self._wake_event is not None
        while True:
            ok = await self.write_pending()
            if self._stopping:
                break
            if ok:
                delay = RETRY_MIN_S
                try:
                    await asyncio.wait_for(self._wake_event.wait(), SETTINGS_REFRESH_S)
                except TimeoutError:
                    pass
                self._wake_event.clear()
            else:
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)

    async def _connect(self) -> asyncpg.Connection:
        con = await asyncpg.connect(self.dsn, timeout=CONNECT_TIMEOUT_S)
        if not self._migrated:
            try:
                self.schema_version = await migrate(con)
            except BaseException:
                await con.close()
                raise
            self._migrated = True
        return con

    async def _drop_connection(self) -> None:
        con, self._con = self._con, None
        if con is not None:
            try:
                await asyncio.wait_for(con.close(), 2)
            except Exception:
                con.terminate()

    async def write_pending(self) -> bool:
        if self.spool is not None:
            await asyncio.to_thread(self.spool.sync)
        try:
            if self._con is None or self._con.is_closed():
                self._con = await self._connect()
            con = self._con
            while True:
                if not self._inflight:
                    self._inflight = self._take(BATCH)
                if not self._inflight:
                    break
                batch = await asyncio.to_thread(Batch, self._inflight, self.masked)  # masking: off the loop
                async with con.transaction():
                    if batch.events:
                        await con.executemany(to_dollar_params(INSERT_EVENT), batch.events)
                    if batch.conversations:
                        await con.executemany(to_dollar_params(UPSERT_CONVERSATION), batch.conversations)
                    if batch.settings:
                        await con.executemany(to_dollar_params(UPSERT_SETTING), batch.settings)
                self.written += len(self._inflight)
                self._inflight = []
            self._written_all()
            if self._settings_due():
                self._apply_settings([(r[0], r[1]) for r in await con.fetch("SELECT key, value FROM settings")])
            self._succeeded()
            return True
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # connection refused, server gone, timeouts, SQL errors: retry later
            self._failed(exc)
            await self._drop_connection()
            return False

    # --- supervisors' verdicts: written at once, announced with NOTIFY -----------------------------------------
    async def _execute(self, statements: Sequence[Statement], *, notify: str | None = None) -> list[Row]:
        con = await self._connect_for("write")
        try:
            rows: list[Row] = []
            async with con.transaction():
                for sql, params in statements:
                    rows = [tuple(r) for r in await con.fetch(to_dollar_params(sql), *params)]
                if notify is not None:
                    await con.execute("SELECT pg_notify($1, '')", notify)
            return rows
        except Exception as exc:
            raise StoreUnavailable(f"cannot write {self.location}: {self.describe(exc)}") from None
        finally:
            await con.close()

    async def _drop_listener(self) -> None:
        con, self._listener = self._listener, None
        if con is not None:
            try:
                await asyncio.wait_for(con.close(), 2)
            except Exception:
                con.terminate()

    async def _listening(self) -> asyncpg.Connection:
        con = self._listener
        if con is not None and not con.is_closed() and not self._listener_lost:
            return con
        await self._drop_listener()
        self._listener_lost = False
        con = await self._connect_for("listen")

        def notified(*_: Any) -> None:
            self._verdicts_notified.set()

        def lost(*_: Any) -> None:
            self._listener_lost = True
            self._verdicts_notified.set()

        try:
            await con.add_listener(NOTIFY_CHANNEL, notified)
            con.add_termination_listener(lost)
        except Exception as exc:
            con.terminate()
            raise StoreUnavailable(f"cannot listen on {self.location}: {self.describe(exc)}") from None
        self._listener = con
        return con

    async def wait_verdicts(self, known: int | None, wait: float) -> int:
        """The revision of the team's verdicts once it is not `known`: told at once by NOTIFY on a connection of
        its own, which is also asked the number when `wait` s pass (how a lost connection is noticed)."""
        try:
            con = await self._listening()
            self._verdicts_notified.clear()
            revision = await _revision(con)
            if revision != known:
                return revision
            try:
                await asyncio.wait_for(self._verdicts_notified.wait(), wait)
            except TimeoutError:
                pass
            if self._listener_lost:
                raise StoreUnavailable(f"the connection to {self.location} was lost")
            return await _revision(con, HEALTH_TIMEOUT_S)
        except StoreUnavailable:
            await self._drop_listener()
            raise
        except Exception as exc:
            await self._drop_listener()
            raise StoreUnavailable(f"{self.location}: {self.describe(exc)}") from None

    async def _connect_for(self, what: str) -> asyncpg.Connection:
        try:
            return await self._connect()
        except SchemaTooNew as exc:
            raise StoreUnavailable(str(exc)) from None
        except Exception as exc:
            raise StoreUnavailable(f"cannot reach {self.location} to {what}: {self.describe(exc)}") from None

    # --- reading ---------------------------------------------------------------------------------------
    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            con = await self._connect()
        except SchemaTooNew as exc:
            raise StoreUnavailable(str(exc)) from None
        except Exception as exc:
            raise StoreUnavailable(f"cannot reach {self.location}: {self.describe(exc)}") from None
        try:
            rows = await con.fetch(to_dollar_params(sql), *params)
            return [tuple(r) for r in rows]
        except Exception as exc:
            raise StoreUnavailable(f"cannot read {self.location}: {self.describe(exc)}") from None
        finally:
            await con.close()


async def _revision(con: asyncpg.Connection, timeout: float = 10.0) -> int:
    value = await con.fetchval(REVISION, timeout=timeout)
    return int(value) if value is not None else 0
