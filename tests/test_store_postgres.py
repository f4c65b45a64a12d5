"""The feedback store on a real PostgreSQL server (Debian's `postgresql`), started by these tests in a
temporary directory on a free loopback port: the same schema and results as SQLite, two services sharing
one store, and events kept while the server is down. Skipped, with the reason, only where no server can
be started (not installed and apt-get cannot install it)."""
from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from coach_server.feedback import FeedbackEvent, chat_hash
from coach_server.store import PostgresStore
from coach_server.store.schema import POSTGRES_MIGRATIONS, SCHEMA_VERSION
from tests.conftest import free_port

asyncpg = pytest.importorskip("asyncpg", reason="asyncpg is a dependency of the package: pip install -e .")


def _bindir() -> Path | None:
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True):
        if (Path(d) / "initdb").exists() and (Path(d) / "pg_ctl").exists():
            return Path(d)
    return None


def _install() -> str:
    """Install Debian's postgresql when we may (root, apt-get); '' on success, else why not."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "not root or no apt-get"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=300, check=True)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "postgresql"], env=env,
                       capture_output=True, timeout=600, check=True)
    except (subprocess.SubprocessError, OSError) as exc:
        return f"apt-get install postgresql failed: {exc}"
    return ""


class PG:
    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.base = Path(tempfile.mkdtemp(prefix="coach-pg-"))
        self.data = self.base / "data"
        self.port = free_port()
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as the package's own user
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root and there is no 'postgres' user to run the server as") from None
            os.chown(self.base, user.pw_uid, user.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "coach", "-E", "UTF8", "--no-sync")
        self.start()
        self.dsn = f"postgresql://coach@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        result = subprocess.run([*self.prefix, str(self.bindir / tool), *args], capture_output=True, text=True,
                                timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stdout}\n{result.stderr}")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.base / "log"), "-w", "-t", "30", "-o",
                  f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def close(self) -> None:
        try:
            self.stop()
        except RuntimeError:
            pass
        shutil.rmtree(self.base, ignore_errors=True)

    def database(self, name: str) -> str:
        async def create():
            con = await asyncpg.connect(self.dsn)
            try:
                await con.execute(f'DROP DATABASE IF EXISTS "{name}"')
                await con.execute(f'CREATE DATABASE "{name}"')
            finally:
                await con.close()
        asyncio.run(create())
        return f"postgresql://coach@127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="module")
def postgres():
    bindir = _bindir()
    if bindir is None:
        why = _install()
        bindir = _bindir()
        if bindir is None:
            pytest.skip(f"PostgreSQL cannot be started here: Debian's postgresql is not installed ({why})")
    try:
        server = PG(bindir)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"PostgreSQL could not be started: {exc}")
    yield server
    server.close()


def ev(rule, action, ts, operator="Анна", chat="c"):
    return FeedbackEvent(ts, action, rule, "warning", chat_hash(chat), operator)


async def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


def test_schema_stats_and_text(postgres):
    dsn = postgres.database("stats")

    async def scenario():
        store = PostgresStore(dsn)
        await store.start()
        t0 = 1_750_000_000.0
        for i in range(5):
            store.submit(ev("slang", "shown", t0 + i))
        for i in range(3):
            store.submit(ev("slang", "dismissed", t0 + i))
        store.submit(ev("caps", "applied", t0, operator="Олег"))
        store.set_store_text(True)
        store.submit(ev("caps", "dismissed", t0 + 5), text="мой телефон +7 912 345-67-89")
        store.record_conversation("abc", "Анна", [{"role": "client", "text": "почта a.b@c.ru", "ts": t0}])
        assert await store.flush(5)
        stats = await store.stats(t0 - 10, t0 + 100)
        chats = await store.conversations()
        con = await asyncpg.connect(dsn)
        version = await con.fetchval("SELECT version FROM coach_schema")
        texts = [r["text"] for r in await con.fetch("SELECT text FROM events WHERE text IS NOT NULL")]
        await con.close()
        await store.close()
        return stats, chats, version, texts

    stats, chats, version, texts = asyncio.run(scenario())
    assert version == SCHEMA_VERSION
    by_rule = {r["rule"]: r for r in stats["rules"]}
    assert (by_rule["slang"]["shown"], by_rule["slang"]["dismissed"]) == (5, 3)
    assert by_rule["caps"]["applied"] == 1 and by_rule["caps"]["dismissed"] == 1
    assert stats["days"] == [{"day": "2025-06-15", "shown": 5, "dismissed": 4, "applied": 1}]
    assert texts == ["мой телефон +• ••• •••-••-89"]
    assert by_rule["caps"]["examples"][0]["text"] == texts[0]
    assert chats == [{"chat_id": "abc", "operator": "Анна",
                      "messages": [{"role": "client", "text": "почта •••@•••.ru", "ts": 1_750_000_000.0}]}]


def test_two_services_share_one_store(postgres):
    dsn = postgres.database("shared")

    async def scenario():
        a, b = PostgresStore(dsn), PostgresStore(dsn)
        await asyncio.gather(a.start(), b.start())  # both migrate at once: the advisory lock serialises them
        for i in range(20):
            a.submit(ev("slang", "shown", 1_750_000_000.0 + i, operator="Анна"))
            b.submit(ev("slang", "dismissed", 1_750_000_000.0 + i, operator="Олег"))
        assert await a.flush(5) and await b.flush(5)
        stats = await b.stats(0, 2e9)
        a.set_store_text(True)
        await a.flush(5)
        b._settings_read_at = 0
        b._wake()
        shared = await wait_for(lambda: b.store_text, 5)
        await a.close()
        await b.close()
        return stats, shared

    stats, shared = asyncio.run(scenario())
    slang = stats["rules"][0]
    assert (slang["shown"], slang["dismissed"]) == (20, 20)
    assert {o["operator"] for o in slang["operators"]} == {"Анна", "Олег"}
    assert shared


def test_migrates_version_1(postgres):
    dsn = postgres.database("old")

    async def scenario():
        con = await asyncpg.connect(dsn)
        await con.execute("CREATE TABLE coach_schema (version INTEGER NOT NULL)")
        await con.execute("INSERT INTO coach_schema VALUES (1)")
        for statement in POSTGRES_MIGRATIONS[0]:
            await con.execute(statement)
        await con.execute("INSERT INTO events (ts, action, rule, severity, chat, operator) "
                          "VALUES (1750000000, 'dismissed', 'caps', 'warning', 'abcd', 'Анна')")
        await con.close()
        store = PostgresStore(dsn)
        await store.start()
        store.submit(ev("caps", "dismissed", 1_750_000_001.0))
        await store.flush(5)
        stats = await store.stats(0, 2e9)
        await store.close()
        return stats, store.schema_version

    stats, version = asyncio.run(scenario())
    assert version == SCHEMA_VERSION
    assert stats["rules"][0]["dismissed"] == 2


def test_server_down_events_kept_then_written(postgres):
    dsn = postgres.database("outage")

    async def scenario():
        store = PostgresStore(dsn)
        await store.start()
        store.submit(ev("slang", "shown", 1.0e9))
        assert await store.flush(5)
        postgres.stop()
        try:
            started = time.perf_counter()
            for i in range(30):
                store.submit(ev("slang", "dismissed", 1.0e9 + i))
            submit_s = time.perf_counter() - started
            assert await wait_for(lambda: store.last_error is not None, 15)
            during = store.status()
        finally:
            postgres.start()
        assert await wait_for(lambda: store.pending == 0, 20)
        stats = await store.stats(0, 2e9)
        await store.close()
        return submit_s, during, stats

    submit_s, during, stats = asyncio.run(scenario())
    assert submit_s < 0.05
    assert during["pending"] >= 30 and not during["connected"]
    assert stats["rules"][0]["dismissed"] == 30 and stats["rules"][0]["shown"] == 1
