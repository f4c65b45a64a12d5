"""The feedback store on a real PostgreSQL server (Debian's `postgresql`), started by these tests in a
temporary directory on a free loopback port: the same schema and results as SQLite, two services sharing
one store, and events kept while the server is down. Skipped, with the reason, only where no server can
be started (not installed and apt-get cannot install it)."""
from __future__ import annotations

import asyncio
import time

import pytest

from coach_server.feedback import FeedbackEvent, chat_hash
from coach_server.store import PostgresStore
from coach_server.store.schema import POSTGRES_MIGRATIONS, SCHEMA_VERSION

asyncpg = pytest.importorskip("asyncpg", reason="asyncpg is a dependency of the package: pip install -e .")


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
    # (the caps warnings dismissed and applied were shown too, unrecorded: shown counts them)
    assert stats["days"] == [{"day": "2025-06-15", "shown": 7, "dismissed": 4, "applied": 1, "shown_unrecorded": 2,
                              "left": 2, "dismiss_rate": 0.5714}]
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
    # Олег's 20 dismissed warnings were shown to him, unrecorded: shown counts them beside Анна's 20
    assert (slang["shown"], slang["dismissed"], slang["shown_unrecorded"]) == (40, 20, 20)
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
    # one showing recorded, 30 dismissals: each dismissed warning was shown (29 of them unrecorded)
    assert stats["rules"][0]["dismissed"] == 30 and stats["rules"][0]["shown"] == 30
