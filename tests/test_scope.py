"""Text-only scope: each check kind says whether it needs the conversation; a request with `"scope": "text"`
runs only the rules that judge the draft by itself — in the engine, `POST /v1/check`, `coach check` and
`/v1/live` — and `GET /v1/rules` and the live `hello` tell which rules those are."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import aiohttp

from coach_server.checks import KINDS

from .conftest import ROOT

NOW = 1_750_000_000.0
# A chat no operator has answered yet, waiting for a minute, and a draft that is wrong in both ways: no
# introduction (a conversation rule) and an order without «пожалуйста» (a text rule).
CHAT = [{"role": "client", "text": "Какие у вас карты?", "ts": NOW - 60}]
DRAFT = "Пройдите на сайт"

CONVERSATION_KINDS = {"timer", "introduction", "repetition", "contact_request", "question_coverage", "closing",
                      "empathy", "formality", "language"}


def test_each_kind_declares_whether_it_needs_the_conversation():
    assert {name for name, kind in KINDS.items() if kind.needs_conversation} == CONVERSATION_KINDS
    assert {name for name, kind in KINDS.items() if kind.timed} == {"timer"}


def _conversation_rules(coach) -> set[str]:
    return {r.id for r in coach.rulebook.active if r.check.needs_conversation}


def test_engine_runs_only_text_rules_with_scope_text(coach):
    request = {"draft": DRAFT, "messages": CHAT, "now": NOW}
    everything = {w.rule for w in coach.check(request).warnings}
    text_only = {w.rule for w in coach.check({**request, "scope": "text"}).warnings}
    assert {"missing_please", "no_introduction", "slow_reply"} <= everything
    assert "missing_please" in text_only
    assert not text_only & _conversation_rules(coach)
    assert text_only == everything - _conversation_rules(coach)
    evaluation = coach.evaluate({**request, "scope": "text"})
    assert evaluation.next_change is None  # no timed rule ran: nothing to push later


def test_scope_is_validated(coach):
    from coach_server import RequestError

    try:
        coach.check({"draft": DRAFT, "scope": "draft"})
    except RequestError as exc:
        assert [d.field for d in exc.details] == ["scope"]
        assert "'all'" in exc.details[0].problem and "'text'" in exc.details[0].problem
    else:
        raise AssertionError("an unknown scope was accepted")


def test_http_check_and_rules_listing(server):
    status, body = server.post("/v1/check", {"draft": DRAFT, "messages": CHAT, "now": NOW, "scope": "text"})
    assert status == 200
    rules = {w["rule"] for w in body["warnings"]}
    assert "missing_please" in rules and "no_introduction" not in rules and "slow_reply" not in rules
    status, body = server.post("/v1/check", {"draft": DRAFT, "scope": 1})
    assert status == 400 and body["error"]["details"][0]["field"] == "scope"
    status, listing = server.get("/v1/rules")
    assert status == 200
    by_id = {r["id"]: r for r in listing["rules"]}
    assert by_id["slow_reply"]["needs_conversation"] is True and by_id["slow_reply"]["timed"] is True
    assert by_id["no_introduction"]["needs_conversation"] is True and by_id["no_introduction"]["timed"] is False
    assert by_id["missing_please"]["needs_conversation"] is False and by_id["missing_please"]["timed"] is False
    assert all(isinstance(r["needs_conversation"], bool) and isinstance(r["timed"], bool) for r in listing["rules"])


def test_cli_check_accepts_the_scope():
    request = {"draft": DRAFT, "messages": CHAT, "now": NOW, "scope": "text"}
    out = subprocess.run([sys.executable, "-m", "coach_server", "check", "-", "--json"], input=json.dumps(request),
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    rules = {w["rule"] for w in json.loads(out.stdout)["warnings"]}
    assert "missing_please" in rules and "no_introduction" not in rules


def test_live_scope_is_kept_until_changed(server):
    async def next_warnings(ws):
        while True:
            frame = json.loads((await asyncio.wait_for(ws.receive(), 5)).data)
            if frame["type"] == "warnings":
                return {w["rule"] for w in frame["warnings"]}

    async def scenario():
        async with aiohttp.ClientSession() as s:
            ws = await s.ws_connect(server.url.replace("http", "ws") + "/v1/live")
            hello = json.loads((await ws.receive()).data)
            traits = hello["rule_traits"]
            assert traits["slow_reply"] == {"needs_conversation": True, "timed": True, "reach": "message"}
            assert traits["missing_please"] == {"needs_conversation": False, "timed": False, "reach": "sentence"}
            assert len(traits) == hello["rules"]
            await ws.send_json({"type": "update", "chat_id": "A", "draft": DRAFT, "messages": CHAT,
                                "scope": "text", "now": NOW})
            first = await next_warnings(ws)
            assert "missing_please" in first and "no_introduction" not in first
            await ws.send_json({"type": "update", "chat_id": "A", "draft": DRAFT + " "})  # scope absent: kept
            assert "no_introduction" not in await next_warnings(ws)
            await ws.send_json({"type": "update", "chat_id": "A", "scope": "all"})
            assert {"no_introduction", "missing_please"} <= await next_warnings(ws)
            await ws.send_json({"type": "update", "chat_id": "A", "scope": "text"})
            assert "no_introduction" not in await next_warnings(ws)
            await ws.send_json({"type": "update", "chat_id": "A", "scope": None})  # null: back to every rule
            assert "no_introduction" in await next_warnings(ws)
            await ws.send_json({"type": "update", "chat_id": "A", "scope": "draft"})
            error = json.loads((await asyncio.wait_for(ws.receive(), 5)).data)
            assert error["type"] == "error" and error["code"] == "bad_update"
            assert error["error"]["details"][0]["field"] == "scope"
            await ws.close()
    asyncio.run(scenario())
