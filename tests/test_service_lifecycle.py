"""The service across stops, kills and vanishing files (issue 11): a stop closes every live socket with 1001
and exits within seconds (case 9); feedback acknowledged while the store was locked survives a kill -9
(case 10); rules whose directory or file disappears stay active and the error shows (case 6)."""
from __future__ import annotations

import asyncio
import json
import shutil
import signal
import sqlite3
import time

import aiohttp
import pytest

from .conftest import Server

NOW = 1_750_000_000


async def _hello(session: aiohttp.ClientSession, server: Server) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(server.url.replace("http", "ws") + "/v1/live")
    assert json.loads((await ws.receive(timeout=5)).data)["type"] == "hello"
    return ws


async def _until(ws: aiohttp.ClientWebSocketResponse, kind: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads((await ws.receive(timeout=max(0.1, deadline - time.monotonic()))).data)
        if frame["type"] == kind:
            return frame


# --- a stop ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_closes_live_sockets_with_1001_and_exits_at_once(rules_copy, how):
    server = Server(rules_copy)

    async def go():
        async with aiohttp.ClientSession() as s:
            sockets = [await _hello(s, server) for _ in range(5)]
            for i, ws in enumerate(sockets[:3]):  # (two of them idle since their hello)
                await ws.send_json({"type": "update", "chat_id": f"c{i}", "draft": "Пройдите на сайт", "now": NOW,
                                    "messages": [{"role": "client", "text": "Где заказ?", "ts": NOW - 30}]})
                await _until(ws, "warnings")
            started = time.monotonic()
            server.proc.send_signal(how)
            closes = []
            for ws in sockets:
                msg = await ws.receive(timeout=10)
                closes.append((msg.type, msg.data))  # the code the service sent
            told = time.monotonic() - started
            return closes, told, started

    try:
        closes, told, started = asyncio.run(go())
        server.proc.wait(timeout=30)
        exited = time.monotonic() - started
    finally:
        server.stop()
    assert closes == [(aiohttp.WSMsgType.CLOSE, 1001)] * 5, closes
    assert told < 2.0, told  # the extension shows «offline» at once
    assert exited < 3.0, exited  # ~48 s before
    assert server.proc.returncode == 0


# --- acknowledged feedback across a kill -----------------------------------------------------------------------
def test_feedback_acknowledged_while_the_store_is_locked_survives_a_kill(rules_copy, tmp_path):
    db = tmp_path / "feedback.sqlite3"
    server = Server(rules_copy, "--store", f"sqlite:///{db}")

    async def feedback(count: int, prefix: str) -> list[dict]:
        async with aiohttp.ClientSession() as s:
            ws = await _hello(s, server)
            await ws.send_json({"type": "update", "chat_id": "c1", "draft": "щас гляну", "now": NOW})
            await _until(ws, "warnings")
            acks = []
            for i in range(count):
                await ws.send_json({"type": "feedback", "chat_id": "c1", "action": "shown", "rule": "slang",
                                    "seq": i + 1, "severity": "warning", "text": f"{prefix}{i}"})
                acks.append(await _until(ws, "feedback_ack"))
            await ws.close()
            return acks

    def stored() -> tuple[int, int]:
        con = sqlite3.connect(db, timeout=5)
        try:
            return con.execute("SELECT COUNT(*), COUNT(DISTINCT eid) FROM events").fetchone()
        finally:
            con.close()

    try:
        asyncio.run(feedback(1, "first"))
        deadline = time.time() + 10
        while not (db.exists() and stored()[0] == 1) and time.time() < deadline:
            time.sleep(0.1)
        assert stored() == (1, 1)
        blocker = sqlite3.connect(db, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")  # another process holds the file
        acks = asyncio.run(feedback(40, "locked"))
        assert [a["durable"] for a in acks] == [True] * 40  # acknowledged as kept: in the spool
        server.proc.kill()  # kill -9: nothing is flushed, closed or said
        server.proc.wait(timeout=10)
        blocker.execute("ROLLBACK")
        blocker.close()
        assert stored() == (1, 1)  # nothing reached the database meanwhile
        server.start()  # the next start writes the spool first
        deadline = time.time() + 15
        while stored()[0] < 41 and time.time() < deadline:
            time.sleep(0.1)
        assert stored() == (41, 41)
    finally:
        server.stop()


# --- rules that vanish -----------------------------------------------------------------------------------------
def _wait_for(predicate, timeout: float = 10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def test_rules_stay_when_their_directory_is_moved_away(rules_copy):
    server = Server(rules_copy)
    try:
        before = server.get("/healthz")[1]["rules"]
        moved = rules_copy.with_name("rules-moved")
        rules_copy.rename(moved)
        health = _wait_for(lambda: (h := server.get("/healthz")[1])["rule_errors"] and h)
        assert health["rules"] == before  # not 0
        assert "rules directory not found" in health["rule_errors"][0]["problem"]
        assert "stays active" in health["rule_errors"][0]["problem"]
        status, result = server.post("/v1/check", {"draft": "щас гляну", "now": NOW})
        assert status == 200 and "slang" in [w["rule"] for w in result["warnings"]]
        state = server.get("/supervisor/api/state")[1]
        assert state["errors"] and all(r["stale"] for r in state["rules"])
        moved.rename(rules_copy)
        assert _wait_for(lambda: not server.get("/healthz")[1]["rule_errors"])
    finally:
        server.stop()
    assert "rules directory not found" in server.log.read_text(encoding="utf-8")


def test_a_deleted_rule_file_keeps_its_rule_and_says_so(rules_copy):
    server = Server(rules_copy)
    try:
        saved = (rules_copy / "slang.toml").read_bytes()
        (rules_copy / "slang.toml").unlink()
        health = _wait_for(lambda: (h := server.get("/healthz")[1])["rule_errors"] and h)
        assert health["rule_errors"][0]["file"] == "slang.toml" and "gone" in health["rule_errors"][0]["problem"]
        rules = {r["id"]: r for r in server.get("/v1/rules")[1]["rules"]}
        assert rules["slang"]["stale"] is True
        _, result = server.post("/v1/check", {"draft": "щас гляну", "now": NOW})
        assert "slang" in [w["rule"] for w in result["warnings"]]
        (rules_copy / "slang.toml").write_bytes(saved)
        assert _wait_for(lambda: not server.get("/healthz")[1]["rule_errors"])
        assert not any(r["stale"] for r in server.get("/v1/rules")[1]["rules"])
    finally:
        server.stop()


def test_a_deleted_rule_is_gone_after_a_restart(rules_copy):
    (rules_copy / "slang.toml").unlink()
    server = Server(rules_copy)
    try:
        assert "slang" not in {r["id"] for r in server.get("/v1/rules")[1]["rules"]}
        assert server.get("/healthz")[1]["rule_errors"] == []
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _no_leftover(tmp_path):
    yield
    shutil.rmtree(tmp_path / "rules-moved", ignore_errors=True)
