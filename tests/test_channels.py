"""Channels: a request, a live chat and an export say where the conversation happens, and a rule file may
switch itself off, change its thresholds or its wording there — through the real engine, HTTP and WebSocket."""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from coach_server import Coach
from coach_server.corpus import read_corpus
from coach_server.rulebook.loader import RuleError, RuleFileInvalid, parse_rule

NOW = 1_750_000_000.0


def waited(seconds: float, text: str = "Сколько стоит доставка?") -> list[dict]:
    return [{"role": "client", "text": text, "ts": NOW - seconds}]


def rules_of(result) -> list[str]:
    return [w.rule for w in result.warnings]


@pytest.mark.parametrize("channel, wait, expected", [
    (None, 60, "warning"),          # a live chat, no answer yet: a minute is late
    ("chat", 150, "error"),
    ("messenger", 90, None),        # a messenger: five minutes
    ("messenger", 400, "warning"),
    ("social", 400, None),          # a public post: an hour
    ("social", 2 * 3600, "warning"),
    ("email", 5 * 3600, None),      # an e-mail: 36 hours
    ("email", 4 * 86400, "error"),
])
def test_slow_reply_follows_the_channel(coach, channel, wait, expected):
    request = {"draft": "", "messages": waited(wait), "now": NOW}
    if channel is not None:
        request["channel"] = channel
    got = coach.check(request, only=["slow_reply"]).warnings
    assert [w.severity for w in got] == ([expected] if expected else [])


def test_a_channel_has_its_own_wording(coach):
    [w] = coach.check({"draft": "", "messages": waited(3 * 3600), "now": NOW, "channel": "social"},
                      only=["slow_reply"]).warnings
    assert "соцсетях" in w.message and "3 ч" in w.message
    [w] = coach.check({"draft": "", "messages": waited(2 * 86400, "How much is delivery?"), "now": NOW,
                       "channel": "email"}, only=["slow_reply"]).warnings
    assert "working day" in w.message and "2 days" in w.message


@pytest.mark.parametrize("channel, flagged", [("chat", True), ("messenger", True), ("social", False),
                                              ("email", False)])
def test_introduction_belongs_to_chats_and_messengers(coach, channel, flagged):
    result = coach.check({"draft": "Доставка стоит 300 рублей.", "messages": waited(20), "now": NOW,
                          "channel": channel}, only=["no_introduction"])
    assert bool(result.warnings) == flagged


def test_long_answers_are_fine_in_e_mail(coach):
    draft = ("Доставка в Казань занимает два дня. Стоимость доставки 300 рублей. Оплатить можно картой "
             "или наличными. Также у нас есть самовывоз из пункта выдачи на Баумана.")
    assert rules_of(coach.check({"draft": draft, "now": NOW}, only=["too_long"])) == ["too_long"]
    assert rules_of(coach.check({"draft": draft, "now": NOW, "channel": "email"}, only=["too_long"])) == []


def test_unknown_channel_is_refused_with_its_field(coach):
    from coach_server.models import RequestError

    with pytest.raises(RequestError) as exc:
        coach.check({"draft": "x", "channel": "fax"})
    assert exc.value.details[0].field == "channel"


# --- rule files --------------------------------------------------------------------------------------------
BASE = """kind = "metric"
title = "Длинно"
[params]
max = { sentences = 3 }
[ru]
message = "Длинно: {count}."
[en]
message = "Long: {count}."
"""


LONG = ("The parcel left our warehouse today. The courier will call you tomorrow morning. You can pay him by "
        "card or in cash. Returns are free for fourteen days after delivery.")


def test_channel_settings_are_validated_like_the_rule(tmp_path):
    with pytest.raises(RuleFileInvalid) as exc:
        parse_rule("too_long", (BASE + '[channels.email]\nparams.max = { sentences = 0 }\n').encode(), "too_long.toml")
    assert any(e.field.startswith("channels.email.params.max") for e in exc.value.errors), exc.value.errors
    with pytest.raises(RuleFileInvalid) as exc:
        parse_rule("too_long", (BASE + '[channels.email]\nen.message = "Long: {nope}."\n').encode(), "too_long.toml")
    assert any(e.field == "channels.email.en.message" and "{nope}" in e.problem for e in exc.value.errors)
    with pytest.raises(RuleFileInvalid) as exc:
        parse_rule("too_long", (BASE + '[channels.fax]\nenabled = false\n').encode(), "too_long.toml")
    assert any(e.field.startswith("channels") for e in exc.value.errors)
    assert all(isinstance(e, RuleError) for e in exc.value.errors)


def test_channel_overrides_reach_the_engine(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "long.toml").write_text(BASE + """
[channels.messenger]
params.max = { sentences = 1 }
en.message = "Too long for a messenger: {count}."

[channels.social]
enabled = false

[[invalid]]
lang = "en"
channel = "messenger"
draft = "The parcel left our warehouse today. The courier will call you tomorrow morning."

[[valid]]
lang = "en"
draft = "The parcel left our warehouse today. The courier will call you tomorrow morning."

[[invalid]]
lang = "ru"
draft = "Посылка уехала со склада сегодня. Курьер позвонит вам завтра утром. Оплатить можно картой или наличными. Вернуть товар можно в течение двух недель."

[[valid]]
lang = "ru"
channel = "social"
draft = "Посылка уехала со склада сегодня. Курьер позвонит вам завтра утром. Оплатить можно картой или наличными. Вернуть товар можно в течение двух недель."
""", encoding="utf-8")
    coach = Coach.load(rules)
    assert coach.errors == []
    draft = "The parcel left our warehouse today. The courier will call you tomorrow morning."
    assert rules_of(coach.check({"draft": draft, "now": NOW})) == []
    [w] = coach.check({"draft": draft, "now": NOW, "channel": "messenger"}).warnings
    assert w.message == "Too long for a messenger: 2."
    long_draft = LONG
    assert rules_of(coach.check({"draft": long_draft, "now": NOW, "channel": "social"})) == []
    assert rules_of(coach.check({"draft": long_draft, "now": NOW, "channel": "email"})) == ["long"]


def test_a_rule_off_by_default_may_be_on_in_one_channel(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "long.toml").write_text(BASE.replace('title = "Длинно"', 'title = "Длинно"\nenabled = false')
                                     + "[channels.email]\nenabled = true\n", encoding="utf-8")
    coach = Coach.load(rules)
    assert rules_of(coach.check({"draft": LONG, "now": NOW})) == []
    assert rules_of(coach.check({"draft": LONG, "now": NOW, "channel": "email"})) == ["long"]


# --- exports -------------------------------------------------------------------------------------------------
def test_an_export_carries_the_channel():
    line = json.dumps({"chat_id": "t1", "channel": "email", "messages": [{"role": "client", "text": "Привет"}]})
    result = read_corpus(line)
    assert result.bad_lines == [] and result.chats[0][1].channel == "email"
    bad = read_corpus(json.dumps({"channel": "pigeon", "messages": [{"role": "client", "text": "x"}]}))
    assert bad.chats == [] and "channel" in bad.bad_lines[0].problem


# --- the service -------------------------------------------------------------------------------------------
def test_http_and_live_take_the_channel(server):
    status, body = server.post("/v1/check", {"draft": "", "messages": waited(400), "now": NOW,
                                             "channel": "messenger"})
    assert status == 200 and [w["rule"] for w in body["warnings"]].count("slow_reply") == 1
    status, body = server.post("/v1/check", {"draft": "", "messages": waited(400), "now": NOW, "channel": "email"})
    assert status == 200 and "slow_reply" not in [w["rule"] for w in body["warnings"]]
    status, body = server.post("/v1/check", {"draft": "", "channel": "fax"})
    assert status == 400 and body["error"]["details"][0]["field"] == "channel"

    async def live():
        async with aiohttp.ClientSession() as s:
            ws = await s.ws_connect(server.url.replace("http", "ws") + "/v1/live")
            await ws.receive()  # hello
            await ws.send_json({"type": "update", "chat_id": "c1", "seq": 1, "draft": "", "now": NOW,
                                "messages": waited(400), "channel": "email"})
            first = await _next_warnings(ws)
            await ws.send_json({"type": "update", "chat_id": "c1", "seq": 2, "draft": "Д"})  # the channel stays
            second = await _next_warnings(ws)
            await ws.send_json({"type": "update", "chat_id": "c1", "seq": 3, "channel": None})  # back to chat
            third = await _next_warnings(ws)
            await ws.close()
            return first, second, third

    first, second, third = asyncio.run(live())
    assert "slow_reply" not in [w["rule"] for w in first["warnings"]]
    assert "slow_reply" not in [w["rule"] for w in second["warnings"]]
    assert "slow_reply" in [w["rule"] for w in third["warnings"]]


async def _next_warnings(ws, timeout: float = 5.0) -> dict:
    while True:
        msg = await asyncio.wait_for(ws.receive(), timeout)
        data = json.loads(msg.data)
        if data["type"] == "warnings":
            return data
