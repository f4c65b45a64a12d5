"""One extension, one owner (issue 11, case 8), and no secret or personal data where it can be read (case 7):
the manifest's key fixes the extension's id and only that origin is served by default; feedback, stats and
recorded text need the supervisor token; a connection dismisses only its own chats' warnings; store URLs are
shown redacted; stored text is masked and feedback fields are what they claim to be."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import sqlite3
import time

import aiohttp
import pytest

from coach_server.feedback import operator_label
from coach_server.service.guard import EXTENSION_ID, EXTENSION_ORIGIN

from .conftest import ROOT, Server

NOW = 1_750_000_000
CARD = "4111 1111 1111 1111"
HIDDEN_PHONE = "8\u200b912\u200b345\u200b67\u200b89"


def test_the_manifest_key_gives_the_pinned_id():
    manifest = json.loads((ROOT / "extension" / "manifest.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256(base64.b64decode(manifest["key"])).hexdigest()[:32]
    assert "".join(chr(ord("a") + int(c, 16)) for c in digest) == EXTENSION_ID
    assert f"chrome-extension://{EXTENSION_ID}" == EXTENSION_ORIGIN


# --- reads that need the token --------------------------------------------------------------------------------
@pytest.fixture
def sup(rules_copy, tmp_path):
    server = Server(rules_copy, "--store", f"sqlite:///{tmp_path / 'f.sqlite3'}", "--store-text")
    yield server
    server.stop()


@pytest.mark.parametrize("path", ["/v1/feedback/recent", "/supervisor/api/stats"])
def test_feedback_and_stats_need_the_token(sup, path):
    status, body = sup.get(path, token=False)
    assert status == 401 and "token" in body["error"]["message"]
    assert sup.get(path)[0] == 200


def test_recorded_conversations_need_the_token(sup):
    status, body = sup.post("/supervisor/api/backtest", {"corpus": "recorded", "rules": {}})
    assert status == 401, body
    status, _ = sup.post("/supervisor/api/backtest", {"corpus": "recorded", "rules": {}},
                         headers={"Authorization": f"Bearer {sup.token}"})
    assert status in (200, 409)  # 409: nothing recorded yet — but not refused for want of the token


# --- live: dismissals, feedback fields, masking -------------------------------------------------------------
async def _hello(session, server):
    ws = await session.ws_connect(server.url.replace("http", "ws") + "/v1/live")
    assert json.loads((await ws.receive(timeout=5)).data)["type"] == "hello"
    return ws


async def _until(ws, kind: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads((await ws.receive(timeout=max(0.1, deadline - time.monotonic()))).data)
        if frame["type"] == kind or frame["type"] == "error":
            return frame


def test_a_connection_dismisses_only_its_own_chats(sup):
    async def go():
        async with aiohttp.ClientSession() as s:
            owner, other = await _hello(s, sup), await _hello(s, sup)
            await owner.send_json({"type": "update", "chat_id": "jivo-1", "draft": "щас гляну", "now": NOW})
            first = await _until(owner, "warnings")
            assert "slang" in [w["rule"] for w in first["warnings"]]
            await other.send_json({"type": "feedback", "chat_id": "jivo-1", "action": "dismissed", "rule": "slang",
                                   "text": "щас", "seq": 7})
            refused = await _until(other, "feedback_ack")
            await owner.send_json({"type": "update", "chat_id": "jivo-1", "draft": "щас гляну ", "seq": 2})
            still = await _until(owner, "warnings")
            await owner.send_json({"type": "feedback", "chat_id": "jivo-1", "action": "dismissed", "rule": "slang",
                                   "text": "щас", "seq": 3})
            ack = await _until(owner, "feedback_ack")
            hidden = await _until(owner, "warnings")
            return refused, still, ack, hidden

    refused, still, ack, hidden = asyncio.run(go())
    assert refused["type"] == "error" and refused["code"] == "unknown_chat" and refused["ref"] == 7
    assert "slang" in [w["rule"] for w in still["warnings"]]  # the other connection changed nothing
    assert ack["type"] == "feedback_ack" and ack["durable"] is True
    assert "slang" not in [w["rule"] for w in hidden["warnings"]]


def test_feedback_fields_are_what_they_claim(sup, tmp_path):
    async def go():
        async with aiohttp.ClientSession() as s:
            ws = await _hello(s, sup)
            await ws.send_json({"type": "update", "chat_id": "c1", "draft": f"Карта {CARD}, щас", "now": NOW,
                                "operator_name": "+7 912 345-67-89",
                                "messages": [{"role": "client", "text": f"Мой номер {HIDDEN_PHONE}, почта "
                                                                        f"root@localhost, карта {CARD}",
                                              "ts": NOW - 30}]})
            await _until(ws, "warnings")
            await ws.send_json({"type": "feedback", "chat_id": "c1", "action": "dismissed", "rule": "+79123456789",
                                "seq": 1})
            unknown_rule = await _until(ws, "feedback_ack")
            await ws.send_json({"type": "feedback", "chat_id": "c1", "action": "dismissed", "rule": "slang",
                                "text": "щас", "seq": 2})
            ack = await _until(ws, "feedback_ack")
            await asyncio.sleep(2.5)  # the recorder keeps chats every 2 s
            await ws.close()
            return unknown_rule, ack

    unknown_rule, ack = asyncio.run(go())
    assert unknown_rule["type"] == "error" and unknown_rule["code"] == "bad_feedback"
    assert unknown_rule["error"]["details"][0]["field"] == "rule"
    assert ack["type"] == "feedback_ack"
    events = sup.get("/v1/feedback/recent")[1]["events"]
    assert [e["rule"] for e in events] == ["slang"]
    assert events[0]["operator"] == operator_label("+7 912 345-67-89") and events[0]["operator"].startswith("#")
    con = sqlite3.connect(tmp_path / "f.sqlite3")
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            stored = con.execute("SELECT operator, text FROM events").fetchall()
            recorded = con.execute("SELECT messages FROM conversations").fetchall()
            if stored and recorded:
                break
            time.sleep(0.2)
    finally:
        con.close()
    everything = json.dumps([stored, recorded], ensure_ascii=False)
    for secret in ("1111 1111 1111", "912", "345", "root@localhost", "localhost", "+7 912"):
        assert secret not in everything, (secret, everything)
    assert "1111" in everything and "89" in everything  # what is kept: the card's last four, the phone's last two


# --- secrets in store URLs ------------------------------------------------------------------------------------
def test_a_password_in_the_store_url_is_never_shown(rules_copy):
    url = "postgresql://coach@127.0.0.1:1/coach?password=hunter2-secret&sslmode=disable"
    server = Server(rules_copy, "--store", url)
    try:
        state = server.get("/supervisor/api/state", token=False)[1]
        deadline = time.time() + 10
        while state["store"]["last_error"] is None and time.time() < deadline:
            time.sleep(0.2)
            state = server.get("/supervisor/api/state", token=False)[1]
    finally:
        server.stop()
    assert "password=***" in state["store"]["location"]
    shown = json.dumps(state) + server.log.read_text(encoding="utf-8")
    assert "hunter2" not in shown
    assert "Feedback store: postgresql://coach@127.0.0.1:1/coach?password=***" in server.log.read_text()
