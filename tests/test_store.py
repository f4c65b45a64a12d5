"""The SQLite feedback store: schema and migrations, WAL, masking, text only when on, and that a locked or
missing database never loses events nor stops the caller — they are kept and written when it is back."""
from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from coach_server.feedback import FeedbackEvent, FeedbackLog, chat_hash
from coach_server.store import SQLiteStore, StoreUrlError, default_store_path, open_store
from coach_server.store.mask import mask_personal
from coach_server.store.schema import SCHEMA_VERSION, SQLITE_MIGRATIONS
from coach_server.store.sqlite import migrate


def event(rule="slang", action="shown", ts=None, operator="Анна", chat="chat-1", severity="warning"):
    return FeedbackEvent(ts if ts is not None else time.time(), action, rule, severity, chat_hash(chat), operator)


async def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.02)
    return predicate()


def rows(path: Path, sql: str):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_schema_wal_and_stats(tmp_path):
    path = tmp_path / "deep" / "dir" / "feedback.sqlite3"

    async def scenario():
        store = SQLiteStore(path)
        await store.start()
        log = FeedbackLog()
        log.add_sink(store.submit)
        t0 = time.time()
        for i in range(6):
            log.record("shown", "slang", f"chat-{i}", "warning", "Анна", ts=t0 - i)
        for i in range(4):
            log.record("dismissed", "slang", f"chat-{i}", "warning", "Анна", ts=t0 - i)
        log.record("applied", "missing_please", "chat-9", "warning", "Олег", ts=t0)
        log.record("shown", "missing_please", "chat-9", "warning", "Олег", ts=t0)
        log.record("shown", "slang", "old-chat", "warning", "Анна", ts=t0 - 40 * 86400)  # outside the period
        assert await store.flush()
        stats = await store.stats(t0 - 7 * 86400, t0 + 60)
        await store.close()
        return stats, store

    stats, store = asyncio.run(scenario())
    assert rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert rows(path, "PRAGMA journal_mode") == [("wal",)]
    by_rule = {r["rule"]: r for r in stats["rules"]}
    assert (by_rule["slang"]["shown"], by_rule["slang"]["dismissed"]) == (6, 4)
    assert by_rule["slang"]["dismiss_rate"] == pytest.approx(4 / 6, abs=1e-3)
    assert by_rule["missing_please"]["applied"] == 1 and by_rule["missing_please"]["dismiss_rate"] == 0
    assert stats["rules"][0]["rule"] == "slang"  # the most dismissed first: the rule to fix
    assert {k: stats["totals"][k] for k in ("shown", "dismissed", "applied", "left")} == {
        "shown": 7, "dismissed": 4, "applied": 1, "left": 2}
    assert by_rule["slang"]["operators"][0]["operator"] == "Анна"
    assert sum(d["shown"] for d in stats["days"]) == 7
    # chat ids are stored hashed, never as the console's id; no text unless turned on
    stored = rows(path, "SELECT chat, text FROM events")
    assert all(len(chat) == 16 and not chat.startswith("chat-") for chat, _ in stored)
    assert all(text is None for _, text in stored)
    assert store.status()["written"] == 13 and store.status()["pending"] == 0


def test_migrates_a_version_1_file_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.sqlite3"
    con = sqlite3.connect(path, isolation_level=None)
    for statement in SQLITE_MIGRATIONS[0]:
        con.execute(statement)
    con.execute("PRAGMA user_version = 1")
    con.execute("INSERT INTO events (ts, action, rule, severity, chat, operator) "
                "VALUES (1750000000, 'dismissed', 'caps', 'warning', 'abcd', 'Анна')")
    con.close()

    async def scenario():
        store = SQLiteStore(path)
        await store.start()
        store.submit(event("caps", "dismissed", ts=1750000100))
        await store.flush()
        stats = await store.stats(1749999000, 1750001000)
        await store.close()
        return stats

    stats = asyncio.run(scenario())
    assert rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert stats["rules"][0]["dismissed"] == 2  # the old row survived the migration
    assert rows(path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") == [
        ("conversations",), ("events",), ("settings",), ("status_changes",), ("verdicts",)]


def test_a_newer_schema_is_refused_not_damaged(tmp_path):
    path = tmp_path / "future.sqlite3"
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 99")
    con.close()

    async def scenario():
        store = SQLiteStore(path)
        await store.start()
        store.submit(event())
        await wait_for(lambda: store.last_error is not None)
        status = store.status()
        await store.close(timeout=0.5)
        return status

    status = asyncio.run(scenario())
    assert "newer" in status["last_error"] and status["pending"] == 1
    assert rows(path, "PRAGMA user_version") == [(99,)]


def test_locked_database_keeps_events_and_writes_them_later(tmp_path):
    path = tmp_path / "feedback.sqlite3"

    async def scenario():
        store = SQLiteStore(path)
        await store.start()
        store.submit(event(ts=1))
        assert await store.flush()
        # another process holds the write lock
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        started = time.perf_counter()
        for i in range(50):
            store.submit(event(ts=10 + i))  # never blocks, never raises
        submit_s = time.perf_counter() - started
        await wait_for(lambda: store.last_error is not None)
        during = store.status()
        blocker.execute("ROLLBACK")
        blocker.close()
        assert await wait_for(lambda: store.pending == 0, timeout=10)
        after = store.status()
        await store.close()
        return submit_s, during, after

    submit_s, during, after = asyncio.run(scenario())
    assert submit_s < 0.05, "submitting must not wait for the database"
    assert "locked" in during["last_error"] and during["pending"] >= 50 and not during["connected"]
    assert after["connected"] and after["last_error"] is None
    assert rows(path, "SELECT COUNT(*) FROM events") == [(51,)]


def test_unavailable_directory_then_back(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the store's directory should be")
    path = blocker / "operator-coach" / "feedback.sqlite3"

    async def scenario():
        store = SQLiteStore(path)
        await store.start()
        for i in range(5):
            store.submit(event(ts=100 + i))
        await wait_for(lambda: store.last_error is not None)
        failing = store.status()
        blocker.unlink()  # the directory can be created now
        assert await wait_for(lambda: store.pending == 0, timeout=10)
        await store.close()
        return failing

    failing = asyncio.run(scenario())
    assert failing["pending"] == 5 and failing["last_error"]
    assert rows(path, "SELECT COUNT(*) FROM events") == [(5,)]


def test_memory_is_bounded_when_the_store_stays_down(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")

    async def scenario():
        store = SQLiteStore(blocker / "f.sqlite3", max_pending=10)
        await store.start()
        for i in range(25):
            store.submit(event(ts=i + 1))
        await wait_for(lambda: store.last_error is not None)
        status = store.status()
        await store.close(timeout=0.3)
        return status

    status = asyncio.run(scenario())
    assert status["pending"] <= 11 and status["dropped"] >= 14


def test_text_only_when_turned_on_and_masked(tmp_path):
    path = tmp_path / "f.sqlite3"

    async def scenario():
        store = SQLiteStore(path)
        await store.start()
        store.submit(event(ts=1), text="Позвоните мне: +7 (912) 345-67-89")
        store.record_conversation("c1", "Анна", [{"role": "client", "text": "мой номер 89123456789", "ts": 1.0}])
        await store.flush()
        store.set_store_text(True)
        store.submit(event(ts=2), text="Позвоните мне: +7 (912) 345-67-89, почта ivan.petrov@mail.ru")
        store.record_conversation("c2", "Анна", [
            {"role": "client", "text": "Пишите на ivan.petrov@mail.ru", "ts": 1750000000.0},
            {"role": "operator", "text": "Спасибо! Доставка 12.05.2025, 1 500 рублей.", "ts": 1750000030.0}])
        await store.flush()
        chats = await store.conversations()
        await store.close()
        return chats

    chats = asyncio.run(scenario())
    texts = rows(path, "SELECT text FROM events ORDER BY ts")
    assert texts[0] == (None,)  # before text storage was turned on
    assert "345" not in texts[1][0] and "ivan" not in texts[1][0] and texts[1][0].endswith("•••@•••.ru")
    assert [c["chat_id"] for c in chats] == ["c2"]  # c1 was not recorded: text storage was off
    assert chats[0]["messages"][0]["text"] == "Пишите на •••@•••.ru"
    assert chats[0]["messages"][1]["text"] == "Спасибо! Доставка 12.05.2025, 1 500 рублей."  # not a phone
    assert rows(path, "SELECT value FROM settings WHERE key = 'store_text'") == [("on",)]


def test_a_second_service_sees_the_setting(tmp_path):
    path = tmp_path / "shared.sqlite3"

    async def scenario():
        a, b = SQLiteStore(path), SQLiteStore(path)
        await a.start()
        await b.start()
        a.set_store_text(True)
        await a.flush()
        b._settings_read_at = 0  # due now (normally every 10 s)
        b._wake()
        ok = await wait_for(lambda: b.store_text)
        await a.close()
        await b.close()
        return ok

    assert asyncio.run(scenario())


def test_masking():
    assert mask_personal("+7 (912) 345-67-89") == "+• (•••) •••-••-89"
    assert mask_personal("звоните 8 800 555-35-35") == "звоните • ••• •••-••-35"
    assert mask_personal("anna.smith@example.co.uk") == "•••@•••.uk"
    for keep in ("заказ 12345", "12.05.2025", "с 10:00 до 18:00", "1 500 000 рублей", "2–3 дня"):
        assert mask_personal(keep) == keep


def test_store_urls(tmp_path, monkeypatch):
    assert isinstance(open_store(f"sqlite:///{tmp_path}/a.sqlite3"), SQLiteStore)
    assert open_store(str(tmp_path / "b.sqlite3")).path == tmp_path / "b.sqlite3"
    assert open_store("none") is None
    assert open_store("postgresql://coach@db.example/coach").kind == "postgresql"
    assert open_store("postgresql://coach:secret@db.example/coach").location == "postgresql://coach:***@db.example/coach"
    with pytest.raises(StoreUrlError):
        open_store("mysql://x")
    monkeypatch.delenv("COACH_STORE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_store_path() == tmp_path / "xdg" / "operator-coach" / "feedback.sqlite3"
    assert open_store(None).path == default_store_path()
    monkeypatch.setenv("COACH_STORE", "none")
    assert open_store(None) is None


def test_migrate_is_idempotent(tmp_path):
    con = sqlite3.connect(tmp_path / "x.sqlite3", isolation_level=None)
    assert migrate(con) == SCHEMA_VERSION
    assert migrate(con) == SCHEMA_VERSION
    con.close()
